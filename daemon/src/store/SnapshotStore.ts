import { createHash, randomBytes } from 'node:crypto';
import { SNAPSHOT_VERSIONS_LISTED, type EnvironmentInfo, type FileKind, type GitState, type LineageLink, type SnapshotInfo, type TrackedFileInfo, type Trigger, type VersionInfo } from '../../../shared/src/domain';
import { MlsnapError } from '../../../shared/src/errors';
import type { StoredBlob, StatFingerprint } from './BlobStore';
import type { Statement } from 'better-sqlite3';
import { closeDatabase, openDatabase, type Db } from './openDatabase';

interface TrackedFileRow {
  id: number;
  path: string;
  kind: FileKind;
  fp_size: number | null;
  fp_mtime_ns: string | null;
  fp_ctime_ns: string | null;
  fp_ino: string | null;
  fp_hash: string | null;
  fp_taken_ns: string | null;
}

interface VersionRow {
  id: number;
  path: string;
  seq: number;
  blob_hash: string;
  size: number;
  mtime_ms: number;
  created_at: number;
  trigger: Trigger;
  message: string | null;
  snapshot_id: string;
  environment_id: number | null;
  tags: string | null;
  lineage_source: string | null;
  lineage_reason: string | null;
}

interface SnapshotRow {
  id: string;
  created_at: number;
  trigger: Trigger;
  message: string | null;
  git_commit: string | null;
  git_branch: string | null;
  git_dirty: number | null;
  git_patch_blob: string | null;
  git_patch_truncated: number | null;
}

export interface RecordedFingerprint extends StatFingerprint {
  hash: string;
  takenNs: bigint;
}

/** One file's new content, ready to be recorded in a snapshot. */
export interface NewVersion {
  path: string;
  kind: FileKind;
  blob: StoredBlob;
  mtimeMs: number;
  fingerprint: StatFingerprint;
  environment: EnvironmentInfo | null;
  lineage: LineageLink | null;
}

const VERSION_SELECT = `
  SELECT v.id, f.path, v.seq, v.blob_hash, v.size, v.mtime_ms, v.created_at, v.trigger, v.message,
         v.snapshot_id, v.environment_id,
         (SELECT group_concat(t.name, char(31)) FROM tag t WHERE t.version_id = v.id) AS tags,
         l.source_path AS lineage_source, l.reason AS lineage_reason
  FROM version v JOIN tracked_file f ON f.id = v.file_id
  LEFT JOIN lineage l ON l.version_id = v.id`;

/**
 * The SQLite side of a project's store: tracked files, versions, snapshots, environments,
 * tags and lineage. The daemon is its only writer.
 */
export class SnapshotStore {
  readonly db: Db;
  private fingerprints: Map<string, RecordedFingerprint> | null = null;
  private readonly statements = new Map<string, Statement>();

  constructor(dbFile: string) {
    this.db = openDatabase(dbFile);
  }

  /**
   * Prepared statements, compiled once. better-sqlite3 does not cache them, and a statement
   * prepared per row holds native memory until the JS garbage collector finalizes it: a first
   * scan of 20,000 files left ~100 MB of them waiting.
   */
  private sql(text: string): Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }

  close(): void {
    closeDatabase(this.db);
  }

  /**
   * Every file's fingerprint. Loaded in one query, then kept in memory and updated on each
   * write (the daemon is the only writer): a re-snapshot of 20,000 unchanged files must cost
   * little more than stat'ing them.
   */
  allFingerprints(): ReadonlyMap<string, RecordedFingerprint> {
    if (this.fingerprints === null) {
      const out = new Map<string, RecordedFingerprint>();
      for (const row of this.sql('SELECT * FROM tracked_file').iterate() as IterableIterator<TrackedFileRow>) {
        const fp = toFingerprint(row);
        if (fp) out.set(row.path, fp);
      }
      this.fingerprints = out;
    }
    return this.fingerprints;
  }

  fingerprint(relPath: string): RecordedFingerprint | null {
    const row = this.sql('SELECT * FROM tracked_file WHERE path = ?').get(relPath) as TrackedFileRow | undefined;
    return row ? toFingerprint(row) : null;
  }
  /** Remember that the file with this stat holds this content, without a new version. */
  saveFingerprint(relPath: string, kind: FileKind, fp: StatFingerprint, hash: string, takenNs: bigint): void {
    this.upsertFile(relPath, kind, fp, hash, takenNs);
  }

  latestHash(relPath: string): string | null {
    const row = this.sql(
        `SELECT v.blob_hash AS h FROM version v JOIN tracked_file f ON f.id = v.file_id
         WHERE f.path = ? ORDER BY v.seq DESC LIMIT 1`,
      )
      .get(relPath) as { h: string } | undefined;
    return row?.h ?? null;
  }

  /**
   * Record versions taken together as one snapshot. `chunk` (when given) appends to a
   * snapshot begun by an earlier call: big batches (a first scan of 20,000 files) are
   * committed a few hundred versions at a time so memory stays flat; each call is one
   * transaction, and every committed version is complete.
   */
  recordSnapshot(input: {
    trigger: Trigger;
    message: string | null;
    git: GitState | null;
    versions: NewVersion[];
    takenNs: bigint;
    appendTo?: string;
  }): string {
    const id = input.appendTo ?? newSnapshotId();
    const now = Date.now();
    const tx = this.db.transaction(() => {
      if (input.appendTo === undefined) this.insertSnapshotRow(id, now, input);
      for (const v of input.versions) this.insertVersion(id, now, input, v);
    });
    try {
      tx();
    } catch (e) {
      // The transaction rolled back: the cached fingerprints may hold rows that never landed.
      this.fingerprints = null;
      throw e;
    }
    return id;
  }

  private insertSnapshotRow(id: string, now: number, input: { trigger: Trigger; message: string | null; git: GitState | null }): void {
    this.sql(
        `INSERT INTO snapshot (id, created_at, trigger, message, git_commit, git_branch, git_dirty, git_patch_blob, git_patch_truncated)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        now,
        input.trigger,
        input.message,
        input.git?.commit ?? null,
        input.git?.branch ?? null,
        input.git ? (input.git.dirty ? 1 : 0) : null,
        input.git?.patchBlob ?? null,
        input.git?.patchTruncated ? 1 : 0,
      );
  }

  private insertVersion(
    snapshotId: string,
    now: number,
    input: { trigger: Trigger; message: string | null; takenNs: bigint },
    v: NewVersion,
  ): void {
    this.insertBlob(v.blob);
    const fileId = this.upsertFile(v.path, v.kind, v.fingerprint, v.blob.hash, input.takenNs);
    const envId = v.environment ? this.insertEnvironment(v.environment) : null;
    const seq =
      ((this.sql('SELECT max(seq) AS m FROM version WHERE file_id = ?').get(fileId) as { m: number | null }).m ?? 0) + 1;
    const res = this.sql(
        `INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, message, snapshot_id, environment_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(fileId, seq, v.blob.hash, v.blob.size, Math.round(v.mtimeMs), now, input.trigger, input.message, snapshotId, envId);
    if (v.lineage) {
      this.sql('INSERT INTO lineage (version_id, source_path, reason) VALUES (?, ?, ?)')
        .run(res.lastInsertRowid, v.lineage.sourcePath, v.lineage.reason);
    }
  }

  hasBlob(hash: string): boolean {
    return this.sql('SELECT 1 FROM blob WHERE hash = ?').get(hash) !== undefined;
  }

  insertBlob(b: { hash: string; size: number; storedSize: number; encoding: string }): void {
    this.sql('INSERT OR IGNORE INTO blob (hash, size, stored_size, encoding, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(b.hash, b.size, b.storedSize, b.encoding, Date.now());
  }

  private upsertFile(relPath: string, kind: FileKind, fp: StatFingerprint, hash: string, takenNs: bigint): number {
    const row = this.sql(
        `INSERT INTO tracked_file (path, kind, fp_size, fp_mtime_ns, fp_ctime_ns, fp_ino, fp_hash, fp_taken_ns)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (path) DO UPDATE SET kind = excluded.kind, fp_size = excluded.fp_size,
           fp_mtime_ns = excluded.fp_mtime_ns, fp_ctime_ns = excluded.fp_ctime_ns, fp_ino = excluded.fp_ino,
           fp_hash = excluded.fp_hash, fp_taken_ns = excluded.fp_taken_ns
         RETURNING id`,
      )
      .get(relPath, kind, fp.size, fp.mtimeNs.toString(), fp.ctimeNs.toString(), fp.ino.toString(), hash, takenNs.toString()) as {
      id: number;
    };
    this.fingerprints?.set(relPath, { ...fp, hash, takenNs });
    return row.id;
  }

  /** Environments are stored once per distinct content (hash of their canonical JSON). */
  private insertEnvironment(env: EnvironmentInfo): number {
    const json = JSON.stringify(env);
    const hash = createHash('sha256').update(json).digest('hex');
    const existing = this.sql('SELECT id FROM environment WHERE hash = ?').get(hash) as { id: number } | undefined;
    if (existing) return existing.id;
    const res = this.sql('INSERT INTO environment (hash, json, complete, created_at) VALUES (?, ?, ?, ?)')
      .run(hash, json, env.complete ? 1 : 0, Date.now());
    return Number(res.lastInsertRowid);
  }

  environment(id: number): EnvironmentInfo | null {
    const row = this.sql('SELECT json FROM environment WHERE id = ?').get(id) as { json: string } | undefined;
    return row ? (JSON.parse(row.json) as EnvironmentInfo) : null;
  }

  snapshot(id: string): SnapshotInfo {
    const row = this.sql('SELECT * FROM snapshot WHERE id = ?').get(id) as SnapshotRow | undefined;
    if (!row) throw new MlsnapError('not-found', `no snapshot ${id}`);
    const versions = (this.sql(`${VERSION_SELECT} WHERE v.snapshot_id = ? ORDER BY f.path LIMIT ?`).all(id, SNAPSHOT_VERSIONS_LISTED) as VersionRow[]).map(
      toVersion,
    );
    const count = versions.length < SNAPSHOT_VERSIONS_LISTED ? versions.length : (this.sql('SELECT count(*) AS n FROM version WHERE snapshot_id = ?').get(id) as { n: number }).n;
    return toSnapshot(row, versions, count);
  }

  /** Snapshot ids starting with `prefix`. */
  snapshotsByPrefix(prefix: string): string[] {
    return (this.sql("SELECT id FROM snapshot WHERE id LIKE ? || '%' ESCAPE '\\' LIMIT 2").all(escapeLike(prefix)) as {
      id: string;
    }[]).map((r) => r.id);
  }

  versionBySeq(relPath: string, seq: number): VersionInfo | null {
    const row = this.sql(`${VERSION_SELECT} WHERE f.path = ? AND v.seq = ?`).get(relPath, seq) as VersionRow | undefined;
    return row ? toVersion(row) : null;
  }

  latestVersion(relPath: string): VersionInfo | null {
    const row = this.sql(`${VERSION_SELECT} WHERE f.path = ? ORDER BY v.seq DESC LIMIT 1`).get(relPath) as
      | VersionRow
      | undefined;
    return row ? toVersion(row) : null;
  }

  /** The version of the same file recorded just before version `seq`. */
  previousVersion(relPath: string, seq: number): VersionInfo | null {
    const row = this.sql(`${VERSION_SELECT} WHERE f.path = ? AND v.seq < ? ORDER BY v.seq DESC LIMIT 1`).get(relPath, seq) as
      | VersionRow
      | undefined;
    return row ? toVersion(row) : null;
  }

  versionByTag(relPath: string, tag: string): VersionInfo | null {
    const row = this.sql(`${VERSION_SELECT} JOIN tag tg ON tg.version_id = v.id WHERE f.path = ? AND tg.name = ?`)
      .get(relPath, tag) as VersionRow | undefined;
    return row ? toVersion(row) : null;
  }

  versionById(id: number): VersionInfo | null {
    const row = this.sql(`${VERSION_SELECT} WHERE v.id = ?`).get(id) as VersionRow | undefined;
    return row ? toVersion(row) : null;
  }

  log(relPath: string | undefined, limit: number): VersionInfo[] {
    const rows = relPath
      ? this.sql(`${VERSION_SELECT} WHERE f.path = ? ORDER BY v.id DESC LIMIT ?`).all(relPath, limit)
      : this.sql(`${VERSION_SELECT} ORDER BY v.id DESC LIMIT ?`).all(limit);
    return (rows as VersionRow[]).map(toVersion);
  }

  trackedPaths(): string[] {
    return (this.sql('SELECT path FROM tracked_file ORDER BY path').all() as { path: string }[]).map((r) => r.path);
  }

  files(): TrackedFileInfo[] {
    const rows = this.sql(
        `SELECT f.path, f.kind, count(v.id) AS n FROM tracked_file f LEFT JOIN version v ON v.file_id = f.id
         GROUP BY f.id ORDER BY f.path`,
      )
      .all() as { path: string; kind: FileKind; n: number }[];
    return rows.map((r) => ({ path: r.path, kind: r.kind, versions: r.n, latest: this.latestVersion(r.path) }));
  }

  addTag(version: VersionInfo, name: string): VersionInfo {
    const fileId = (this.sql('SELECT id FROM tracked_file WHERE path = ?').get(version.path) as { id: number }).id;
    const taken = this.sql('SELECT version_id FROM tag WHERE file_id = ? AND name = ?').get(fileId, name) as
      | { version_id: number }
      | undefined;
    if (taken && taken.version_id !== version.id) {
      throw new MlsnapError('conflict', `tag "${name}" already names another version of ${version.path}`, version.path);
    }
    this.sql('INSERT OR IGNORE INTO tag (file_id, name, version_id, created_at) VALUES (?, ?, ?, ?)')
      .run(fileId, name, version.id, Date.now());
    return this.versionById(version.id) as VersionInfo;
  }

  counts(): { trackedFiles: number; versions: number; blobs: number; storedBytes: number } {
    const c = (sql: string): number => (this.sql(sql).get() as { n: number | null }).n ?? 0;
    return {
      trackedFiles: c('SELECT count(*) AS n FROM tracked_file'),
      versions: c('SELECT count(*) AS n FROM version'),
      blobs: c('SELECT count(*) AS n FROM blob'),
      storedBytes: c('SELECT sum(stored_size) AS n FROM blob'),
    };
  }

  /** Every blob a row points at: versions, git patches and lockfiles inside environments. */
  referencedBlobs(): Set<string> {
    const refs = new Set<string>();
    for (const r of this.sql('SELECT DISTINCT blob_hash AS h FROM version').all() as { h: string }[]) refs.add(r.h);
    for (const r of this.sql('SELECT DISTINCT git_patch_blob AS h FROM snapshot WHERE git_patch_blob IS NOT NULL').all() as {
      h: string;
    }[])
      refs.add(r.h);
    for (const r of this.sql('SELECT json FROM environment').all() as { json: string }[]) {
      for (const l of (JSON.parse(r.json) as EnvironmentInfo).lockfiles) refs.add(l.blob);
    }
    return refs;
  }

  blobRows(): { hash: string; size: number; encoding: string }[] {
    return this.sql('SELECT hash, size, encoding FROM blob').all() as { hash: string; size: number; encoding: string }[];
  }
}

function toFingerprint(row: TrackedFileRow): RecordedFingerprint | null {
  if (row.fp_hash === null || row.fp_size === null) return null;
  return {
    size: row.fp_size,
    mtimeNs: BigInt(row.fp_mtime_ns ?? '0'),
    ctimeNs: BigInt(row.fp_ctime_ns ?? '0'),
    ino: BigInt(row.fp_ino ?? '0'),
    hash: row.fp_hash,
    takenNs: BigInt(row.fp_taken_ns ?? '0'),
  };
}

function toVersion(r: VersionRow): VersionInfo {
  return {
    id: r.id,
    path: r.path,
    seq: r.seq,
    blob: r.blob_hash,
    size: r.size,
    createdAt: r.created_at,
    mtimeMs: r.mtime_ms,
    trigger: r.trigger,
    message: r.message,
    snapshotId: r.snapshot_id,
    environmentId: r.environment_id,
    tags: r.tags ? r.tags.split('\x1f').sort() : [],
    lineage: r.lineage_source ? { sourcePath: r.lineage_source, reason: r.lineage_reason ?? '' } : null,
  };
}

function toSnapshot(r: SnapshotRow, versions: VersionInfo[], versionCount: number): SnapshotInfo {
  const git: GitState | null =
    r.git_dirty === null
      ? null
      : {
          commit: r.git_commit,
          branch: r.git_branch,
          dirty: r.git_dirty === 1,
          ...(r.git_patch_blob ? { patchBlob: r.git_patch_blob, patchTruncated: r.git_patch_truncated === 1 } : {}),
        };
  return { id: r.id, createdAt: r.created_at, trigger: r.trigger, message: r.message, git, versions, versionCount };
}

/** Random ids, like git's, so a short prefix is enough to name one. */
function newSnapshotId(): string {
  return randomBytes(8).toString('hex');
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
