import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../../../../test/support/tmp';
import { runBackendConformance } from './BlobBackend.conformance';
import { LocalBackend } from './LocalBackend';

runBackendConformance('local folder', () => new LocalBackend(path.join(tempDir('local-backend'), '.mlsnap')));

test('blobs sit under blobs/<key>, read-only; temp files are gone once a put returns', async () => {
  const store = path.join(tempDir('local-backend'), '.mlsnap');
  const b = new LocalBackend(store);
  await b.put('ab/abc', Buffer.from('hello'));
  const file = path.join(store, 'blobs', 'ab', 'abc');
  assert.equal(b.localPath('ab/abc'), file);
  assert.equal(fs.readFileSync(file, 'utf8'), 'hello');
  assert.equal(fs.statSync(file).mode & 0o777, 0o444);
  await assert.rejects(b.put('ab/bad', Buffer.from('x'), { length: 2 }));
  await b.put('cd/file', { file });
  assert.equal(fs.statSync(path.join(store, 'blobs', 'cd', 'file')).mode & 0o777, 0o444);
  assert.deepEqual(fs.readdirSync(path.join(store, 'tmp')), []);
});

test('an existing blob is kept as it was: same inode, same mtime', async () => {
  const b = new LocalBackend(path.join(tempDir('local-backend'), '.mlsnap'));
  await b.put('ab/abc', Buffer.from('one'));
  const file = b.localPath('ab/abc');
  const before = fs.statSync(file);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal((await b.put('ab/abc', Buffer.from('two'))).created, false);
  const after = fs.statSync(file);
  assert.equal(after.ino, before.ino);
  assert.equal(after.mtimeMs, before.mtimeMs);
});

test('sweepTemp removes what a crash left in tmp/ and counts it', () => {
  const store = path.join(tempDir('local-backend'), '.mlsnap');
  const b = new LocalBackend(store);
  fs.writeFileSync(b.tempPath(), 'half a blob');
  fs.writeFileSync(b.tempPath(), 'another');
  assert.equal(b.sweepTemp(), 2);
  assert.deepEqual(fs.readdirSync(path.join(store, 'tmp')), []);
  assert.equal(new LocalBackend(store).sweepTemp(), 0);
});
