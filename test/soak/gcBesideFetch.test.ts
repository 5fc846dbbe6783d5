import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ContentStore } from '../../daemon/src/store/blobs/ContentStore';
import { LocalBackend } from '../../daemon/src/store/blobs/LocalBackend';
import { SnapshotStore } from '../../daemon/src/store/SnapshotStore';
import type { VersionRecord } from '../../daemon/src/store/VersionRecord';
import { checkStore, collectGarbage } from '../../daemon/src/service/StoreMaintenance';
import { fetchBlobs } from '../../daemon/src/remote/sync/BlobFetcher';
import { RemoteSession } from '../../daemon/src/remote/sync/RemoteSession';
import { dataKey } from '../../daemon/src/remote/format/RemoteFormat';
import { blake3 } from './content';
import { tempDir } from '../support/tmp';

/**
 * Regressions found while building the crash campaign (by reading StoreMaintenance beside
 * BlobFetcher, not by a kill): gc runs between snapshots, but fetches of teammates' blobs
 * (`pull --blobs`, the first read of a pulled version) do not queue behind it. A fetch stores
 * the file first and marks its row "here" later (MarkBatch: up to a second, or the end of the
 * pull), so gc must not take a file whose row is still "not here" for an orphan, nor delete a
 * freed blob that a row names again: either left a row saying "here" with no file.
 */

function openStore(): { store: SnapshotStore; blobs: ContentStore } {
  const dir = path.join(tempDir('gc-fetch'), '.mlsnap');
  const backend = new LocalBackend(dir);
  const store = new SnapshotStore(path.join(dir, 'store.db'));
  store.remotes.add({ name: 'team', url: 'file:///nowhere', settings: '{}', isDefault: true });
  return { store, blobs: new ContentStore(backend, { scratchDir: backend.tmpDir }) };
}

/** A teammate's version of `rel` holding `bytes`, as a pull records it (its blob known, not here). */
function pulled(rel: string, bytes: Buffer, uid: string): VersionRecord {
  const blob = { hash: blake3(bytes), size: bytes.length, storedSize: bytes.length, encoding: 'raw' };
  return {
    uid,
    path: rel,
    kind: 'model',
    blob,
    mtimeMs: 1,
    createdAt: Date.now(),
    trigger: 'manual',
    message: null,
    snapshot: { id: `s${uid.slice(1)}`, createdAt: Date.now(), trigger: 'manual', message: null, git: null },
    environment: null,
    lineage: null,
    renamedFrom: null,
    author: 'teammate',
    host: 'elsewhere',
    origin: 'ffffffffffffffff',
    extraBlobs: [],
  };
}

/** The row says the bytes are here: they must be, and hash to their name. */
async function assertReadable(store: SnapshotStore, blobs: ContentStore, hash: string): Promise<void> {
  assert.equal(store.blob(hash)?.here, true);
  assert.equal((await blobs.rehash(hash)).hash, hash, 'the blob marked here has no intact file');
  const check = await checkStore(store, blobs);
  assert.deepEqual(check.problems, []);
}

test('gc beside a fetch: a fetched file not yet marked here is not taken for an orphan', async () => {
  const { store, blobs } = openStore();
  try {
    const bytes = Buffer.from('weights a teammate pushed');
    const [v] = store.importVersions('team', 'history/a', [pulled('models/m.pt', bytes, 'v00000000000000a1')]);
    assert.ok(v);
    // What fetchBlobs does: the file is stored (hashed first), its row is marked later, in a batch…
    await blobs.storeBuffer(bytes, { compress: false });
    // …and a gc runs in between.
    await collectGarbage(store, blobs, 1, false);
    store.markBlobsHere([v.blob]);
    await assertReadable(store, blobs, v.blob);
  } finally {
    store.close();
  }
});

test('gc beside a pull: a freed blob that a pulled version names again meanwhile keeps its file', async () => {
  const { store, blobs } = openStore();
  try {
    // Two blobs nothing points at any more (rows left by an interrupted snapshot, say).
    const contents = [Buffer.from('first freed'), Buffer.from('second freed')];
    const stored = await Promise.all(contents.map((c) => blobs.storeBuffer(c, { compress: false })));
    for (const b of stored) store.insertBlob(b);
    // While gc deletes the first it reaches, a pull records a version holding the other and
    // fetches it: the file is there still (create-only put: nothing to write), the row is marked here.
    let renamed: string | null = null;
    const during = new (class extends ContentStore {
      override async delete(hash: string): Promise<void> {
        if (renamed === null) {
          const other = stored.findIndex((b) => b.hash !== hash);
          renamed = (stored[other] as { hash: string }).hash;
          store.importVersions('team', 'history/b', [
            pulled('models/n.pt', contents[other] as Buffer, 'v00000000000000b2'),
          ]);
          store.markBlobsHere([renamed]);
        }
        await super.delete(hash);
      }
    })(blobs.backend, { scratchDir: (blobs.backend as LocalBackend).tmpDir });
    const gc = await collectGarbage(store, during, 1, false);
    assert.equal(gc.blobsFreed, 2);
    assert.ok(renamed !== null);
    await assertReadable(store, blobs, renamed);
  } finally {
    store.close();
  }
});

test('a fetched file whose mark a kill lost is marked here by gc, and freed once nothing points at it', async () => {
  const { store, blobs } = openStore();
  try {
    const first = Buffer.from('first weights a teammate pushed');
    const [v1] = store.importVersions('team', 'history/c', [pulled('models/m.pt', first, 'v00000000000000c1')]);
    assert.ok(v1);
    // The fetch stored the file; the daemon was killed before its batch marked the row.
    await blobs.storeBuffer(first, { compress: false });
    await collectGarbage(store, blobs, 1, false);
    await assertReadable(store, blobs, v1.blob);
    // A later version of the file makes the first one gc's to drop: its blob goes too.
    const second = Buffer.from('second weights a teammate pushed');
    const later = { ...pulled('models/m.pt', second, 'v00000000000000c2'), createdAt: Date.now() + 1 };
    store.importVersions('team', 'history/d', [later]);
    const gc = await collectGarbage(store, blobs, 1, false);
    assert.equal(gc.versionsDropped, 1);
    assert.equal(store.blob(v1.blob), null);
    assert.equal(await blobs.find(v1.blob), null, 'the file of a blob nothing points at is kept forever');
  } finally {
    store.close();
  }
});

test('gc beside a fetch: a blob gc is deleting when a pull names it again is fetched anew, not kept as a file about to go', async () => {
  const { store, blobs } = openStore();
  try {
    // A blob nothing points at (its version dropped), which the team's remote holds.
    const bytes = Buffer.from('weights gc is about to free');
    const freed = await blobs.storeBuffer(bytes, { compress: false });
    store.insertBlob(freed);
    const session = RemoteSession.fromLocation('team', { kind: 'folder', path: tempDir('gc-fetch-remote') }, {});
    await session.run((b) => b.put(dataKey(freed.hash, 'raw'), bytes));
    // gc has judged it free and is deleting its file when a pull records a version holding it
    // and fetches it; the deletion is slow enough for the fetch to finish meanwhile.
    let fetching: Promise<unknown> | null = null;
    const during = new (class extends ContentStore {
      override async delete(hash: string): Promise<void> {
        if (hash === freed.hash && fetching === null) {
          store.importVersions('team', 'history/e', [pulled('models/p.pt', bytes, 'v00000000000000e1')]);
          fetching = fetchBlobs(store, this, [session], [hash]);
          await new Promise((r) => setTimeout(r, 300));
        }
        await super.delete(hash);
      }
    })(blobs.backend, { scratchDir: (blobs.backend as LocalBackend).tmpDir });
    await collectGarbage(store, during, 1, false);
    assert.ok(fetching !== null, 'gc never deleted the freed blob');
    await fetching;
    await assertReadable(store, blobs, freed.hash);
  } finally {
    store.close();
  }
});
