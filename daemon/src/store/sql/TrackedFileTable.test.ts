import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { tempDir } from '../../../../test/support/tmp';
import { SnapshotStore, type NewVersion } from '../SnapshotStore';

function version(p: string, hash: string): NewVersion {
  return {
    path: p,
    kind: 'model',
    blob: { hash, size: 3, storedSize: 3, encoding: 'raw', created: true },
    mtimeMs: 1,
    fingerprint: { size: 3, mtimeNs: 1n, ctimeNs: 1n, ino: 1n },
    environment: null,
    lineage: null,
  };
}

test('deleted marks: a path or the files under a folder, never a sibling that shares the prefix', () => {
  const store = new SnapshotStore(path.join(tempDir('tracked'), 'store.db'));
  try {
    const paths = ['models.pt', 'models/a.pt', 'models/sub/b.pt', 'models0/c.pt', 'modelsX.pt'];
    store.recordSnapshot({
      trigger: 'manual',
      message: null,
      git: null,
      takenNs: 10n,
      versions: paths.map((p, i) => version(p, `h${i}`)),
    });
    assert.deepEqual(store.presentAt('models').sort(), ['models/a.pt', 'models/sub/b.pt']);
    assert.deepEqual(store.presentAt('models.pt'), ['models.pt']);
    assert.deepEqual(store.presentAt('nothing'), []);

    assert.equal(store.markDeleted(['models/a.pt', 'untracked.pt']), 1);
    assert.equal(store.markDeleted(['models/a.pt']), 0, 'the first deletion time is kept');
    assert.deepEqual(store.presentAt('models'), ['models/sub/b.pt'], 'marked files are no longer present');
    assert.deepEqual([...store.deletedFiles().keys()], ['models/a.pt']);
    assert.equal(store.counts().deletedFiles, 1);

    // Recording a version does not un-delete (a read in flight may predate the deletion).
    store.recordSnapshot({
      trigger: 'watch',
      message: null,
      git: null,
      takenNs: 20n,
      versions: [version('models/a.pt', 'h9')],
    });
    assert.ok(store.files().find((f) => f.path === 'models/a.pt')?.deletedAt !== undefined);
    store.markPresent(['models/a.pt']);
    assert.equal(store.files().find((f) => f.path === 'models/a.pt')?.deletedAt, undefined);
  } finally {
    store.close();
  }
});
