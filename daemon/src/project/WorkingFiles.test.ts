import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, writeRandomFile } from '../../../test/support/tmp';
import type { BlobBackend } from '../store/blobs/BlobBackend';
import { ContentStore } from '../store/blobs/ContentStore';
import { LocalBackend } from '../store/blobs/LocalBackend';
import {
  FileChangedWhileReading,
  fingerprintOf,
  ingestFile,
  readSmallSync,
  readWhole,
  sameFingerprint,
} from './WorkingFiles';
import { MlsnapError } from '../../../shared/src/errors';

function localStore(storeDir: string, wrap: (b: LocalBackend) => BlobBackend = (b) => b): ContentStore {
  const backend = new LocalBackend(storeDir);
  return new ContentStore(wrap(backend), { scratchDir: backend.tmpDir });
}

test('a file that changes while it is read is refused, and no blob is left for it', async () => {
  const dir = tempDir('blob');
  const store = localStore(path.join(dir, '.mlsnap'));
  const file = path.join(dir, 'growing.ckpt');
  writeRandomFile(file, 64 * 1024 * 1024);
  const append = setInterval(() => fs.appendFileSync(file, Buffer.alloc(4096, 1)), 1);
  try {
    await assert.rejects(ingestFile(store, file, { compress: false }), FileChangedWhileReading);
  } finally {
    clearInterval(append);
  }
  assert.deepEqual(await store.listHashes(), []);
  assert.equal(fs.readdirSync(path.join(dir, '.mlsnap', 'tmp')).length, 0);
});

test('a file swapped by rename between hashing and copying is refused (the copy is not what was hashed)', async () => {
  const dir = tempDir('blob');
  const file = path.join(dir, 'model.pt');
  const next = path.join(dir, 'model.pt.next');
  writeRandomFile(file, 2 * 1024 * 1024, 1);
  writeRandomFile(next, 2 * 1024 * 1024, 2); // same size, other bytes: only the inode tells
  // The swap lands after the hash was taken, just before the backend copies by path.
  const store = localStore(path.join(dir, '.mlsnap'), (local) => ({
    put: (key, source, opts) => {
      fs.renameSync(next, file);
      return local.put(key, source, opts);
    },
    get: (key, range) => local.get(key, range),
    stat: (key) => local.stat(key),
    list: () => local.list(),
    delete: (key) => local.delete(key),
  }));
  await assert.rejects(ingestFile(store, file, { compress: false }), FileChangedWhileReading);
  assert.deepEqual(await store.listHashes(), []);
});

test('an unchanged file is ingested with the fingerprint it had throughout', async () => {
  const dir = tempDir('blob');
  const store = localStore(path.join(dir, '.mlsnap'));
  const file = path.join(dir, 'metrics.json');
  fs.writeFileSync(file, JSON.stringify({ acc: Array(3000).fill(0.9) }));
  const r = await ingestFile(store, file, { compress: true });
  const st = fs.statSync(file, { bigint: true });
  assert.ok(sameFingerprint(r.fingerprint, fingerprintOf(st)));
  assert.equal(r.mtimeMs, Number(st.mtimeMs));
  assert.equal(r.encoding, 'zstd');
  assert.ok((await store.readBuffer(r.hash)).equals(fs.readFileSync(file)));
});

test('symbolic links are not followed, and notebooks over the limit are refused before they are read', async () => {
  const dir = tempDir('blob');
  const store = localStore(path.join(dir, '.mlsnap'));
  fs.writeFileSync(path.join(dir, 'real.json'), '{}');
  fs.symlinkSync(path.join(dir, 'real.json'), path.join(dir, 'link.json'));
  await assert.rejects(ingestFile(store, path.join(dir, 'link.json'), { compress: true }), { code: 'ELOOP' });
  await assert.rejects(readWhole(path.join(dir, 'link.json'), 1024), { code: 'ELOOP' });
  fs.writeFileSync(path.join(dir, 'big.ipynb'), Buffer.alloc(2048, 0x20));
  await assert.rejects(readWhole(path.join(dir, 'big.ipynb'), 1024), /over the 1024-byte limit/);
  const whole = await readWhole(path.join(dir, 'real.json'), 1024);
  assert.equal(whole.data.toString(), '{}');
});

test('readSmallSync reads what readWhole reads, refuses a file over the limit and never follows a symlink', async () => {
  const dir = tempDir('small-sync');
  const file = path.join(dir, 'm.pt');
  writeRandomFile(file, 4096, 3);
  const sync = readSmallSync(file, 8192);
  const async = await readWhole(file, 8192);
  assert.deepEqual(sync.data, async.data);
  assert.ok(sameFingerprint(sync.fingerprint, async.fingerprint));
  assert.equal(sync.mtimeMs, async.mtimeMs);
  assert.throws(
    () => readSmallSync(file, 1024),
    (e: unknown) =>
      e instanceof MlsnapError && e.kind === 'invalid-file' && /over the 1024-byte limit here/.test(e.message),
  );
  fs.symlinkSync(file, path.join(dir, 'link.pt'));
  assert.throws(() => readSmallSync(path.join(dir, 'link.pt'), 8192), /ELOOP/);
  fs.writeFileSync(path.join(dir, 'empty.pt'), '');
  assert.equal(readSmallSync(path.join(dir, 'empty.pt'), 10).data.length, 0);
});
