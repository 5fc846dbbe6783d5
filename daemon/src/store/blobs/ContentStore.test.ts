import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { MlsnapError } from '../../../../shared/src/errors';
import { tempDir, waitFor, writeRandomFile } from '../../../../test/support/tmp';
import {
  assertKey,
  assertRange,
  BlobNotFound,
  isFileSource,
  SourceChanged,
  type BlobBackend,
  type BlobSource,
  type ByteRange,
  type PutOptions,
  type PutResult,
} from './BlobBackend';
import { runBackendConformance } from './BlobBackend.conformance';
import { ContentStore, type StoreOptions, type StoredBlob } from './ContentStore';
import { LocalBackend } from './LocalBackend';

function blake3(data: Buffer): string {
  return new Blake3Hasher().update(data).digest('hex');
}

function localStore(storeDir: string): { store: ContentStore; backend: LocalBackend } {
  const backend = new LocalBackend(storeDir);
  return { store: new ContentStore(backend, { scratchDir: backend.tmpDir }), backend };
}

/** storeFile as the daemon calls it: on a handle it opened itself. */
async function storeFile(store: ContentStore, file: string, opts: StoreOptions): Promise<StoredBlob> {
  const handle = await fsp.open(file, 'r');
  try {
    return await store.storeFile({ handle, path: file }, opts);
  } finally {
    await handle.close();
  }
}

function localPath(store: ContentStore, b: StoredBlob): string {
  return store.localPathOf(b.hash, b.encoding) as string;
}

test('a file is stored under its BLAKE3 hash and reads back byte for byte', async () => {
  const dir = tempDir('blob');
  const { store } = localStore(path.join(dir, '.mlsnap'));
  const file = path.join(dir, 'w.pt');
  writeRandomFile(file, 3 * 1024 * 1024 + 17);
  const r = await storeFile(store, file, { compress: false });
  const data = fs.readFileSync(file);
  assert.equal(r.hash, blake3(data));
  assert.equal(r.size, data.length);
  assert.equal(r.encoding, 'raw');
  assert.equal(r.created, true);
  assert.ok((await store.readBuffer(r.hash)).equals(data));
  assert.equal(fs.readdirSync(path.join(dir, '.mlsnap', 'tmp')).length, 0, 'no temp file left');
  assert.equal(
    fs.readFileSync(path.join(dir, '.mlsnap', 'blobs', r.hash.slice(0, 2), r.hash)).length,
    data.length,
    'the layout on disk is blobs/ab/<hash>',
  );
});

test('identical content is stored once and the existing blob is never rewritten', async () => {
  const dir = tempDir('blob');
  const { store } = localStore(path.join(dir, '.mlsnap'));
  fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ loss: 0.5, rows: Array(2000).fill('x') }));
  fs.copyFileSync(path.join(dir, 'a.json'), path.join(dir, 'b.json'));
  const a = await storeFile(store, path.join(dir, 'a.json'), { compress: true });
  const inode = fs.statSync(localPath(store, a)).ino;
  const b = await storeFile(store, path.join(dir, 'b.json'), { compress: true });
  assert.equal(b.hash, a.hash);
  assert.equal(b.created, false);
  assert.equal(fs.statSync(localPath(store, a)).ino, inode);
  assert.deepEqual(await store.listHashes(), [a.hash]);
});

test('compressible files are stored as zstd, incompressible ones raw, both read back exactly', async () => {
  const dir = tempDir('blob');
  const { store } = localStore(path.join(dir, '.mlsnap'));
  const text = Buffer.from(
    JSON.stringify({ cells: Array.from({ length: 20000 }, (_, i) => ({ source: `print(${i})` })) }),
  );
  const t = await store.storeBuffer(text, { compress: true });
  assert.equal(t.encoding, 'zstd');
  assert.ok(t.storedSize < text.length / 3, `compressed to ${t.storedSize} of ${text.length}`);
  assert.ok((await store.readBuffer(t.hash)).equals(text));
  assert.ok(localPath(store, t).endsWith(`${t.hash}.zst`));
  const noise = path.join(dir, 'noise.bin');
  writeRandomFile(noise, 9 * 1024 * 1024);
  const n = await storeFile(store, noise, { compress: true });
  assert.equal(n.encoding, 'raw', 'compression that does not pay is skipped');
  assert.equal((await store.rehash(n.hash)).hash, n.hash);
});

test('large compressible input becomes several zstd frames that still decode in one stream', async () => {
  const dir = tempDir('blob');
  const { store } = localStore(path.join(dir, '.mlsnap'));
  const big = Buffer.from('{"x": 1}\n'.repeat(1_500_000)); // 13.5 MB → 4 frames
  const r = await store.storeBuffer(big, { compress: true });
  assert.equal(r.encoding, 'zstd');
  const back = await store.readBuffer(r.hash);
  assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(big).digest('hex'));
  assert.equal(countZstdFrames(fs.readFileSync(localPath(store, r))), 4);
});

test('a compressed file is read twice, and both reads must agree: else nothing is stored', async () => {
  const dir = tempDir('blob');
  const { store } = localStore(path.join(dir, '.mlsnap'));
  const file = path.join(dir, 'metrics.json');
  fs.writeFileSync(file, JSON.stringify({ loss: Array(5000).fill(0.25) }));
  const handle = await fsp.open(file, 'r');
  try {
    // Rewrite the file (same handle, same inode) after the first read has hashed it.
    const realStat = handle.stat.bind(handle);
    let stats = 0;
    handle.stat = (async (opts?: fs.StatOptions) => {
      if (++stats === 1) fs.writeFileSync(file, JSON.stringify({ loss: Array(5000).fill(0.75) }));
      return realStat(opts);
    }) as typeof handle.stat;
    const hashedFirst = blake3(fs.readFileSync(file));
    await assert.rejects(store.storeFile({ handle, path: file }, { compress: true }), SourceChanged);
    assert.notEqual(hashedFirst, blake3(fs.readFileSync(file)));
  } finally {
    await handle.close();
  }
  assert.deepEqual(await store.listHashes(), []);
  assert.equal(fs.readdirSync(path.join(dir, '.mlsnap', 'tmp')).length, 0);
});

test('beforeCommit can refuse a new blob: nothing is stored, no temp file is left', async () => {
  const dir = tempDir('blob');
  const { store } = localStore(path.join(dir, '.mlsnap'));
  const file = path.join(dir, 'm.pt');
  writeRandomFile(file, 2 * 1024 * 1024);
  for (const compress of [false, true]) {
    await assert.rejects(
      storeFile(store, file, { compress, beforeCommit: () => Promise.reject(new Error('replaced')) }),
      /replaced/,
    );
  }
  assert.deepEqual(await store.listHashes(), []);
  assert.equal(fs.readdirSync(path.join(dir, '.mlsnap', 'tmp')).length, 0);
});

const CHILD = `
const { ContentStore } = require(${JSON.stringify(path.join(__dirname, 'ContentStore.ts'))});
const { LocalBackend } = require(${JSON.stringify(path.join(__dirname, 'LocalBackend.ts'))});
const fsp = require('node:fs/promises');
const [storeDir, file] = process.argv.slice(-2);
const backend = new LocalBackend(storeDir);
const store = new ContentStore(backend, { scratchDir: backend.tmpDir });
fsp.open(file, 'r').then((handle) => store.storeFile({ handle, path: file }, { compress: false })).then((r) => {
  process.stdout.write(JSON.stringify({ hash: r.hash, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
});`;

test('a file far larger than the memory allowed is streamed: peak RSS stays flat', async () => {
  const dir = tempDir('blob');
  const file = path.join(dir, 'big.safetensors');
  const size = 768 * 1024 * 1024;
  writeRandomFile(file, size);
  const res = spawnSync(process.execPath, ['--import', 'tsx', '-e', CHILD, path.join(dir, '.mlsnap'), file], {
    encoding: 'utf8',
  });
  assert.equal(res.status, 0, res.stderr);
  const out = JSON.parse(res.stdout) as { hash: string; maxRssMiB: number };
  // tsx itself costs ~60-80 MiB; a non-streaming copy would need > 768 MiB.
  assert.ok(out.maxRssMiB < 200, `peak RSS ${out.maxRssMiB.toFixed(0)} MiB for a ${size / 2 ** 20} MiB file`);
  const hasher = new Blake3Hasher();
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  for (let n; (n = fs.readSync(fd, buf)) > 0;) hasher.update(buf.subarray(0, n));
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
  await waitFor(
    'the temp blob to grow',
    () => fs.existsSync(tmp) && fs.readdirSync(tmp).some((n) => fs.statSync(path.join(tmp, n)).size > 32 * 2 ** 20),
  );
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const { store, backend } = localStore(storeDir);
  assert.deepEqual(await store.listHashes(), [], 'no blob appears under a hash before it is complete');
  assert.equal(backend.sweepTemp(), 1);
  assert.equal(fs.readdirSync(tmp).length, 0);
});

test('bytes already stored are not written again (storeBuffer hashes first)', async () => {
  const dir = tempDir('blob');
  const { store } = localStore(path.join(dir, '.mlsnap'));
  const data = Buffer.from(JSON.stringify({ deps: Array(500).fill('numpy==1.24') }));
  const a = await store.storeBuffer(data, { compress: true });
  const mtime = fs.statSync(localPath(store, a)).mtimeMs;
  const b = await store.storeBuffer(data, { compress: true });
  assert.equal(b.created, false);
  assert.equal(b.hash, a.hash);
  assert.equal(b.storedSize, a.storedSize);
  assert.equal(fs.statSync(localPath(store, a)).mtimeMs, mtime);
});

test('a missing blob: find is null, openRead throws not-found at once, materialize says to run check', async () => {
  const { store } = localStore(path.join(tempDir('blob'), '.mlsnap'));
  const hash = 'ab'.repeat(32);
  assert.equal(await store.find(hash), null);
  assert.equal(store.findLocal(hash), null);
  assert.throws(
    () => store.openRead(hash),
    (e: unknown) => e instanceof MlsnapError && e.kind === 'not-found',
  );
  await assert.rejects(store.materialize(hash, { size: 0, label: 'x@1' }), /run `mlsnap check`/);
});

test('materialize gives the raw blob itself, or a decompressed temp copy that release() removes', async () => {
  const dir = tempDir('blob');
  const { store } = localStore(path.join(dir, '.mlsnap'));
  const raw = await store.storeBuffer(Buffer.from('raw weights'), { compress: false });
  const m = await store.materialize(raw.hash, { size: raw.size, label: 'raw@1' });
  assert.equal(m.path, localPath(store, raw));
  await m.release();
  assert.ok(fs.existsSync(localPath(store, raw)), 'releasing the blob itself deletes nothing');
  const text = Buffer.from('{"a": 1}\n'.repeat(1000));
  const z = await store.storeBuffer(text, { compress: true });
  const copy = await store.materialize(z.hash, { size: z.size, label: 'z@1' });
  assert.ok(copy.path.startsWith(path.join(dir, '.mlsnap', 'tmp')));
  assert.ok(fs.readFileSync(copy.path).equals(text));
  await copy.release();
  assert.equal(fs.existsSync(copy.path), false);
});

test('delete removes both encodings; listHashes names each blob by its hash', async () => {
  const { store } = localStore(path.join(tempDir('blob'), '.mlsnap'));
  const a = await store.storeBuffer(Buffer.from('a'.repeat(5000)), { compress: true });
  const b = await store.storeBuffer(Buffer.from('b'), { compress: false });
  assert.deepEqual((await store.listHashes()).sort(), [a.hash, b.hash].sort());
  await store.delete(a.hash);
  assert.deepEqual(await store.listHashes(), [b.hash]);
  assert.equal(await store.find(a.hash), null);
  assert.equal(await store.find(b.hash), 'raw');
});

/**
 * A backend with no local files (what S3 or Azure look like to ContentStore): objects in a
 * Map. It keeps the contract too, so it runs the conformance kit first.
 */
class MemoryBackend implements BlobBackend {
  readonly objects = new Map<string, Buffer>();

  async put(key: string, source: BlobSource, opts: PutOptions = {}): Promise<PutResult> {
    assertKey(key);
    const data = await bytesOf(source);
    if (opts.length !== undefined && data.length !== opts.length)
      throw new SourceChanged(`${data.length} bytes, not ${opts.length}`);
    await opts.beforeCommit?.();
    const existing = this.objects.get(key);
    if (existing) return { created: false, size: existing.length };
    this.objects.set(key, data);
    return { created: true, size: data.length };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertKey(key);
    assertRange(range);
    const d = this.objects.get(key);
    if (!d) throw new BlobNotFound(key);
    const start = Math.min(range?.offset ?? 0, d.length);
    const end = range ? Math.min(d.length, start + range.length) : d.length;
    return Readable.from([d.subarray(start, end)]);
  }

  async stat(key: string): Promise<{ size: number } | null> {
    assertKey(key);
    const d = this.objects.get(key);
    return d ? { size: d.length } : null;
  }

  async *list(): AsyncIterable<string> {
    yield* [...this.objects.keys()];
  }

  async delete(key: string): Promise<void> {
    assertKey(key);
    this.objects.delete(key);
  }
}

async function bytesOf(source: BlobSource): Promise<Buffer> {
  if (isFileSource(source)) return fsp.readFile(source.file);
  if (source instanceof Uint8Array) return Buffer.from(source);
  const parts: Buffer[] = [];
  for await (const c of source) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

runBackendConformance('memory (test double)', () => new MemoryBackend());

test('over a backend without local files: store, dedup, read, materialize a temp copy, check, delete', async () => {
  const dir = tempDir('blob');
  const backend = new MemoryBackend();
  const store = new ContentStore(backend, { scratchDir: dir });
  const file = path.join(dir, 'w.pt');
  writeRandomFile(file, 5 * 1024 * 1024 + 3);
  const data = fs.readFileSync(file);
  const r = await storeFile(store, file, { compress: false });
  assert.deepEqual(
    { hash: r.hash, encoding: r.encoding, created: r.created },
    { hash: blake3(data), encoding: 'raw', created: true },
  );
  assert.equal((await storeFile(store, file, { compress: false })).created, false);
  assert.deepEqual([...backend.objects.keys()], [`${r.hash.slice(0, 2)}/${r.hash}`]);
  assert.ok((await store.readBuffer(r.hash)).equals(data));
  assert.equal(store.localPathOf(r.hash, 'raw'), null);
  assert.equal(store.findLocal(r.hash), undefined, 'no local files: no answer without waiting');

  const m = await store.materialize(r.hash, { size: r.size, label: 'r@1' });
  assert.ok(m.path.startsWith(dir) && fs.readFileSync(m.path).equals(data), 'a temp copy in the scratch folder');
  await m.release();
  assert.equal(fs.existsSync(m.path), false);

  const text = Buffer.from('{"loss": 0.1}\n'.repeat(10000));
  const z = await store.storeBuffer(text, { compress: true });
  assert.equal(z.encoding, 'zstd');
  assert.equal(await store.find(z.hash), 'zstd');
  assert.equal((await store.rehash(z.hash)).hash, z.hash);
  assert.deepEqual((await store.listHashes()).sort(), [r.hash, z.hash].sort());

  // Missing blobs are reported through the stream when the backend cannot be asked at once.
  await assert.rejects(
    store.readBuffer('cd'.repeat(32)),
    (e: unknown) => e instanceof MlsnapError && e.kind === 'not-found',
  );
  await store.delete(z.hash);
  assert.equal(await store.find(z.hash), null);
});

/** Count the zstd frames in a blob (each starts with magic 0xFD2FB528, then its header). */
function countZstdFrames(buf: Buffer): number {
  let n = 0;
  for (let i = 0; i + 4 <= buf.length; i++) if (buf.readUInt32LE(i) === 0xfd2fb528) n++;
  return n;
}
