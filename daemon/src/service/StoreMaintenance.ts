import type { CheckProblem, CheckResult, GcResult } from '../../../shared/src/protocol';
import type { BlobEncoding, ContentStore } from '../store/blobs/ContentStore';
import type { SnapshotStore } from '../store/SnapshotStore';

class DryRunRollback extends Error {}

/**
 * Drop all but the last `keepLast` versions of each file, never a tagged one, then the
 * snapshots left empty and the blobs nothing points at. Rows go first, in one transaction,
 * files after: a crash in between leaves orphan blobs (found by check, freed by the next gc),
 * never a row pointing at a missing blob.
 */
export async function collectGarbage(
  store: SnapshotStore,
  blobs: ContentStore,
  keepLast: number,
  dryRun: boolean,
): Promise<GcResult> {
  const db = store.db;
  let result: GcResult = { dryRun, versionsDropped: 0, blobsFreed: 0, bytesFreed: 0, keptTagged: 0 };
  let freed: string[] = [];
  try {
    db.transaction(() => {
      const doomed = `
        SELECT v.id FROM version v
        WHERE v.seq <= (SELECT max(seq) FROM version w WHERE w.file_id = v.file_id) - ?`;
      const keptTagged = (
        db
          .prepare(
            `SELECT count(*) AS n FROM (${doomed}) d WHERE EXISTS (SELECT 1 FROM tag t WHERE t.version_id = d.id)`,
          )
          .get(keepLast) as {
          n: number;
        }
      ).n;
      const dropped = db
        .prepare(
          `DELETE FROM version WHERE id IN (${doomed}) AND NOT EXISTS (SELECT 1 FROM tag t WHERE t.version_id = version.id)`,
        )
        .run(keepLast).changes;
      db.prepare(
        'DELETE FROM snapshot WHERE NOT EXISTS (SELECT 1 FROM version v WHERE v.snapshot_id = snapshot.id)',
      ).run();
      db.prepare(
        'DELETE FROM environment WHERE NOT EXISTS (SELECT 1 FROM version v WHERE v.environment_id = environment.id)',
      ).run();
      const referenced = store.referencedBlobs();
      const unreferenced = store.blobRows().filter((b) => !referenced.has(b.hash));
      const sizeOf = db.prepare('SELECT stored_size AS s FROM blob WHERE hash = ?');
      const bytes = unreferenced.reduce((n, b) => n + (sizeOf.get(b.hash) as { s: number }).s, 0);
      const drop = db.prepare('DELETE FROM blob WHERE hash = ?');
      for (const b of unreferenced) drop.run(b.hash);
      freed = unreferenced.map((b) => b.hash);
      result = { dryRun, versionsDropped: dropped, blobsFreed: freed.length, bytesFreed: bytes, keptTagged };
      if (dryRun) throw new DryRunRollback();
    })();
  } catch (e) {
    if (!(e instanceof DryRunRollback)) throw e;
    return result;
  }
  // Pulls and reads of teammates' versions fetch blobs beside gc (they do not queue behind
  // snapshots): a row may name a freed hash again by now, so each is looked up once more,
  // and a fetch of it waits for its deletion (see deleteIf).
  const noRow = (h: string) => (): boolean => store.blob(h) === null;
  for (const h of freed) await blobs.deleteIf(h, noRow(h));
  // Orphans from an interrupted write or an earlier crashed gc. A file whose row says it is
  // not here yet is a fetch that has not marked it yet (marks are batched), or one a kill cut
  // off before it could: a fetch links a file into place only once its bytes hashed right, so
  // the file is complete and is kept, and marked here (what the fetch would have done): from
  // then on it is an ordinary blob, freed by a later gc when nothing points at it.
  // Rows marked here are read once: only gc deletes rows, and it does not run beside itself.
  const here = new Set(store.blobRows().map((b) => b.hash));
  const adopted: string[] = [];
  for (const h of await blobs.listHashes()) {
    if (here.has(h)) continue;
    const row = store.blob(h);
    if (row === null) await blobs.deleteIf(h, noRow(h));
    else if (!row.here && (await blobs.find(h)) === row.encoding) adopted.push(h);
  }
  if (adopted.length > 0) store.markBlobsHere(adopted);
  return result;
}

/** SQLite integrity and foreign-key checks, then every blob rehashed against its name. */
export async function checkStore(store: SnapshotStore, blobs: ContentStore): Promise<CheckResult> {
  const problems: CheckProblem[] = [];
  const integrity = store.db.pragma('integrity_check') as { integrity_check: string }[];
  for (const r of integrity)
    if (r.integrity_check !== 'ok') problems.push({ kind: 'sqlite', message: r.integrity_check });
  const fk = store.db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
  for (const r of fk)
    problems.push({ kind: 'foreign-key', message: `${r.table} row ${r.rowid} points at a missing ${r.parent}` });
  let blobsChecked = 0;
  let bytesChecked = 0;
  const rows = store.blobRows();
  const known = new Set(rows.map((r) => r.hash));
  for (const h of store.referencedBlobs()) {
    if (!known.has(h)) problems.push({ kind: 'blob-missing', message: `blob ${h} is referenced but has no row` });
  }
  for (const row of rows) {
    const encoding = await blobs.find(row.hash);
    if (encoding === null) {
      problems.push({ kind: 'blob-missing', message: `blob ${row.hash} is missing`, ...where(blobs, row.hash, 'raw') });
      continue;
    }
    try {
      const got = await blobs.rehash(row.hash);
      blobsChecked++;
      bytesChecked += got.size;
      if (got.hash !== row.hash || got.size !== row.size) {
        problems.push({
          kind: 'blob-corrupt',
          message: `blob ${row.hash} hashes to ${got.hash} (${got.size} bytes)`,
          ...where(blobs, row.hash, encoding),
        });
      }
    } catch (e) {
      problems.push({
        kind: 'blob-corrupt',
        message: `blob ${row.hash} cannot be read: ${(e as Error).message}`,
        ...where(blobs, row.hash, encoding),
      });
    }
  }
  for (const h of await blobs.listHashes()) {
    // A file under a row that says "not here" is a fetch not yet marked: gc keeps it and marks it (see above).
    if (!known.has(h) && store.blob(h) === null)
      problems.push({ kind: 'blob-orphan', message: `blob ${h} has no row (freed by the next gc)` });
  }
  // Orphans waste space but lose nothing: they do not fail the check.
  return { ok: problems.every((p) => p.kind === 'blob-orphan'), blobsChecked, bytesChecked, problems };
}

/** The blob's file, for a problem report, where the backend keeps blobs as local files. */
function where(blobs: ContentStore, hash: string, encoding: BlobEncoding): { path?: string } {
  const p = blobs.localPathOf(hash, encoding);
  return p === null ? {} : { path: p };
}
