import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { MlsnapError } from '../../../../shared/src/errors';
import { tempDir } from '../../../../test/support/tmp';
import { SnapshotStore, type NewVersion } from '../SnapshotStore';
import { assertEncoding, assertFileKind, assertTrigger } from './values';

test('known triggers, kinds and encodings pass; unknown ones are refused, naming the allowed values', () => {
  for (const t of ['watch', 'save', 'manual', 'reconcile', 'restore', 'run']) assertTrigger(t);
  for (const k of ['notebook', 'model', 'metrics', 'other']) assertFileKind(k);
  for (const e of ['raw', 'zstd']) assertEncoding(e);
  assert.throws(
    () => assertTrigger('deploy'),
    (e: unknown) =>
      e instanceof MlsnapError &&
      e.kind === 'bad-request' &&
      e.message === 'unknown trigger "deploy"; expected one of watch, save, manual, reconcile, restore, run',
  );
  assert.throws(
    () => assertFileKind('dataset'),
    /unknown file kind "dataset"; expected one of notebook, model, metrics, other/,
  );
  assert.throws(() => assertEncoding('lz4'), /unknown blob encoding "lz4"; expected one of raw, zstd/);
});

function version(p: string, kind: string, hash: string): NewVersion {
  return {
    path: p,
    kind: kind as NewVersion['kind'],
    blob: { hash, size: 3, storedSize: 3, encoding: 'raw', created: true },
    mtimeMs: 1,
    fingerprint: { size: 3, mtimeNs: 1n, ctimeNs: 1n, ino: 1n },
    environment: null,
    lineage: null,
  };
}

test('the store refuses an unknown trigger or kind, and the snapshot is rolled back whole', () => {
  const store = new SnapshotStore(path.join(tempDir('sql'), 'store.db'));
  try {
    const ok = { message: null, git: null, takenNs: 10n };
    store.recordSnapshot({ ...ok, trigger: 'manual', versions: [version('a.pt', 'model', 'h1')] });
    assert.throws(
      () => store.recordSnapshot({ ...ok, trigger: 'bogus' as 'manual', versions: [version('b.pt', 'model', 'h2')] }),
      /unknown trigger "bogus"/,
    );
    assert.throws(
      () =>
        store.recordSnapshot({
          ...ok,
          trigger: 'manual',
          versions: [version('c.pt', 'model', 'h3'), version('d.x', 'dataset', 'h4')],
        }),
      /unknown file kind "dataset"/,
    );
    assert.deepEqual(store.trackedPaths(), ['a.pt']);
    assert.deepEqual(
      [...store.allFingerprints().keys()],
      ['a.pt'],
      'no fingerprint of a rolled-back version is remembered',
    );
    assert.deepEqual(store.counts(), { trackedFiles: 1, deletedFiles: 0, versions: 1, blobs: 1, storedBytes: 3 });
    assert.throws(
      () => store.insertBlob({ hash: 'h5', size: 1, storedSize: 1, encoding: 'lz4' }),
      /unknown blob encoding/,
    );
  } finally {
    store.close();
  }
});
