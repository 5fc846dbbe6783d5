import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { tempDir, waitFor, writeRandomFile } from '../../../test/support/tmp';
import { BlobStore, FileChangedWhileReading } from './BlobStore';

function blake3(data: Buffer): string {
  return new Blake3Hasher().update(data).digest('hex');
}

test('a file is stored under its BLAKE3 hash and reads back byte for byte', async () => {
  const dir = tempDir('blob');
  const store = new BlobStore(path.join(dir, '.mlsnap'));
  const file = path.join(dir, 'w.pt');
  writeRandomFile(file, 3 * 1024 * 1024 + 17);
  const r = await store.ingestFile(file, { compress: false });
  const data = fs.readFileSync(file);
  assert.equal(r.hash, blake3(data));
  assert.equal(r.size, data.length);
  assert.equal(r.encoding, 'raw');
  assert.equal(r.created, true);
  assert.ok((await store.readBuffer(r.hash)).equals(data));
  assert.equal(fs.readdirSync(path.join(dir, '.mlsnap', 'tmp')).length, 0, 'no temp file left');
});

test('identical content is stored once and the existing blob is never rewritten', async () => {
  const dir = tempDir('blob');
  const store = new BlobStore(path.join(dir, '.mlsnap'));
  fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ loss: 0.5, rows: Array(2000).fill('x') }));
  fs.copyFileSync(path.join(dir, 'a.json'), path.join(dir, 'b.json'));
  const a = await store.ingestFile(path.join(dir, 'a.json'), { compress: true });
  const inode = fs.statSync(store.pathOf(a.hash, a.encoding)).ino;
  const b = await store.ingestFile(path.join(dir, 'b.json'), { compress: true });
  assert.equal(b.hash, a.hash);
  assert.equal(b.created, false);
  assert.equal(fs.statSync(store.pathOf(a.hash, a.encoding)).ino, inode);
  assert.deepEqual(store.listHashes(), [a.hash]);
});

test('compressible files are stored as zstd, incompressible ones raw, both read back exactly', async () => {
  const dir = tempDir('blob');
  const store = new BlobStore(path.join(dir, '.mlsnap'));
  const text = Buffer.from(JSON.stringify({ cells: Array.from({ length: 20000 }, (_, i) => ({ source: `print(${i})` })) }));
  const t = await store.storeBuffer(text, { compress: true });
  assert.equal(t.encoding, 'zstd');
  assert.ok(t.storedSize < text.length / 3, `compressed to ${t.storedSize} of ${text.length}`);
  assert.ok((await store.readBuffer(t.hash)).equals(text));
  const noise = path.join(dir, 'noise.bin');
  writeRandomFile(noise, 9 * 1024 * 1024);
  const n = await store.ingestFile(noise, { compress: true });
  assert.equal(n.encoding, 'raw', 'compression that does not pay is skipped');
  assert.equal((await store.rehash(n.hash)).hash, n.hash);
});

test('large compressible input becomes several zstd frames that still decode in one stream', async () => {
  const dir = tempDir('blob');
  const store = new BlobStore(path.join(dir, '.mlsnap'));
  const big = Buffer.from('{"x": 1}\n'.repeat(1_500_000)); // 13.5 MB → 4 frames
  const r = await store.storeBuffer(big, { compress: true });
  assert.equal(r.encoding, 'zstd');
  const back = await store.readBuffer(r.hash);
  assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(big).digest('hex'));
});

test('a file that changes while it is read is refused, and no blob is left for it', async () => {
  const dir = tempDir('blob');
  const store = new BlobStore(path.join(dir, '.mlsnap'));
  const file = path.join(dir, 'growing.ckpt');
  writeRandomFile(file, 64 * 1024 * 1024);
  const append = setInterval(() => fs.appendFileSync(file, Buffer.alloc(4096, 1)), 1);
  try {
    await assert.rejects(store.ingestFile(file, { compress: false }), FileChangedWhileReading);
  } finally {
    clearInterval(append);
  }
  assert.deepEqual(store.listHashes(), []);
  assert.equal(fs.readdirSync(path.join(dir, '.mlsnap', 'tmp')).length, 0);
});

const CHILD = `
const { BlobStore } = require(${JSON.stringify(path.join(__dirname, 'BlobStore.ts'))});
const [storeDir, file] = process.argv.slice(-2);
const store = new BlobStore(storeDir);
store.ingestFile(file, { compress: false }).then((r) => {
  process.stdout.write(JSON.stringify({ hash: r.hash, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
});`;

test('a file far larger than the memory allowed is streamed: peak RSS stays flat', async () => {
  const dir = tempDir('blob');
  const file = path.join(dir, 'big.safetensors');
  const size = 768 * 1024 * 1024;
  writeRandomFile(file, size);
  const res = spawnSync(process.execPath, ['--import', 'tsx', '-e', CHILD, path.join(dir, '.mlsnap'), file], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  const out = JSON.parse(res.stdout) as { hash: string; maxRssMiB: number };
  // tsx itself costs ~60-80 MiB; a non-streaming copy would need > 768 MiB.
  assert.ok(out.maxRssMiB < 200, `peak RSS ${out.maxRssMiB.toFixed(0)} MiB for a ${size / 2 ** 20} MiB file`);
  const hasher = new Blake3Hasher();
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  for (let n; (n = fs.readSync(fd, buf)) > 0; ) hasher.update(buf.subarray(0, n));
  fs.closeSync(fd);
  assert.equal(out.hash, hasher.digest('hex'));
});

test('a writer killed mid-blob leaves only a temp file, swept at next open; every blob verifies', async () => {
  const dir = tempDir('blob');
  const storeDir = path.join(dir, '.mlsnap');
  const file = path.join(dir, 'huge.pt');
  writeRandomFile(file, 1024 * 1024 * 1024);
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', CHILD, storeDir, file], { stdio: 'ignore' });
  const tmp = path.join(storeDir, 'tmp');
  await waitFor('the temp blob to grow', () => fs.existsSync(tmp) && fs.readdirSync(tmp).some((n) => fs.statSync(path.join(tmp, n)).size > 32 * 2 ** 20));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const store = new BlobStore(storeDir);
  assert.deepEqual(store.listHashes(), [], 'no blob appears under a hash before it is complete');
  assert.equal(store.sweepTemp(), 1);
  assert.equal(fs.readdirSync(tmp).length, 0);
});

test('bytes already stored are not written again (storeBuffer hashes first)', async () => {
  const dir = tempDir('blob');
  const store = new BlobStore(path.join(dir, '.mlsnap'));
  const data = Buffer.from(JSON.stringify({ deps: Array(500).fill('numpy==1.24') }));
  const a = await store.storeBuffer(data, { compress: true });
  const mtime = fs.statSync(store.pathOf(a.hash, a.encoding)).mtimeMs;
  const b = await store.storeBuffer(data, { compress: true });
  assert.equal(b.created, false);
  assert.equal(b.hash, a.hash);
  assert.equal(b.storedSize, a.storedSize);
  assert.equal(fs.statSync(store.pathOf(a.hash, a.encoding)).mtimeMs, mtime);
});
