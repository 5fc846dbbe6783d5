import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { MlsnapError } from '../../../../shared/src/errors';
import { tempDir } from '../../../../test/support/tmp';
import { ContentStore, type StoredBlob } from './ContentStore';
import { LocalBackend } from './LocalBackend';
import { VerifyingStream } from './VerifyingStream';

function blake3(data: Buffer): string {
  return new Blake3Hasher().update(data).digest('hex');
}

/** Run `chunks` through a VerifyingStream; every byte it passed on, and the error it ended with. */
async function through(chunks: Buffer[], hash: string, size: number): Promise<{ out: Buffer; error: Error | null }> {
  const v = new VerifyingStream(hash, size, (why) => new Error(why));
  const parts: Buffer[] = [];
  // 'data' in flowing mode sees each chunk as it is pushed (async iteration drops what is buffered at an error).
  v.on('data', (c: Buffer) => parts.push(c));
  const error = await new Promise<Error | null>((resolve) => {
    v.once('error', resolve);
    v.once('end', () => resolve(null));
    Readable.from(chunks).pipe(v);
  });
  return { out: Buffer.concat(parts), error };
}

const data = Buffer.from('0123456789'.repeat(100));
const chunks = [data.subarray(0, 300), data.subarray(300, 700), data.subarray(700)];

test('VerifyingStream passes matching bytes through unchanged', async () => {
  const r = await through(chunks, blake3(data), data.length);
  assert.equal(r.error, null);
  assert.ok(r.out.equals(data));
  const empty = await through([], blake3(Buffer.alloc(0)), 0);
  assert.equal(empty.error, null);
  assert.equal(empty.out.length, 0);
});

test('VerifyingStream: a hash mismatch ends with an error, and the last chunk is never passed on', async () => {
  const bad = Buffer.from(data);
  bad[500] = 0;
  const r = await through([bad.subarray(0, 300), bad.subarray(300, 700), bad.subarray(700)], blake3(data), data.length);
  assert.match(String(r.error), /hash to/);
  assert.equal(r.out.length, 700, 'everything but the held-back last chunk');
});

test('VerifyingStream: too few bytes fail at the end, too many at once', async () => {
  const short = await through(chunks.slice(0, 2), blake3(data), data.length);
  assert.match(String(short.error), /holds 700 of the 1000 bytes/);
  assert.equal(short.out.length, 300, 'the second chunk stays held back');
  const long = await through([...chunks, Buffer.from('x')], blake3(data), data.length);
  assert.match(String(long.error), /more than the 1000 bytes/);
  assert.equal(long.out.length, 700);
});

function localStore(): ContentStore {
  const backend = new LocalBackend(path.join(tempDir('verify'), '.mlsnap'));
  return new ContentStore(backend, { scratchDir: backend.tmpDir });
}

function scratchOf(store: ContentStore): string {
  return (store.backend as LocalBackend).tmpDir;
}

/** Overwrite bytes of a stored blob file (read-only: chmod first). */
function damage(store: ContentStore, b: StoredBlob, at: number, bytes: Buffer): void {
  const file = store.localPathOf(b.hash, b.encoding) as string;
  fs.chmodSync(file, 0o644);
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, bytes, 0, bytes.length, at);
  fs.closeSync(fd);
}

function isCorrupt(label: string, hash: string): (e: unknown) => boolean {
  return (e: unknown) =>
    e instanceof MlsnapError &&
    e.kind === 'io' &&
    e.message.includes(label) &&
    e.message.includes(hash.slice(0, 16)) &&
    e.message.includes('mlsnap check');
}

test('openVerified, readBuffer and verify refuse a raw blob with a flipped byte, naming the version', async () => {
  const store = localStore();
  const b = await store.storeBuffer(Buffer.alloc(3 << 20, 7), { compress: false });
  const expect = { size: b.size, label: 'models/a.pt@2' };
  assert.equal((await store.readBuffer(b.hash, expect)).length, b.size);
  damage(store, b, b.size >> 1, Buffer.from([8]));
  await assert.rejects(store.readBuffer(b.hash, expect), isCorrupt('models/a.pt@2', b.hash));
  await assert.rejects(store.verify(b.hash, expect), isCorrupt('models/a.pt@2', b.hash));
  let streamed = 0;
  await assert.rejects(
    async () => {
      for await (const c of store.openVerified(b.hash, expect)) streamed += (c as Buffer).length;
    },
    isCorrupt('models/a.pt@2', b.hash),
  );
  assert.ok(streamed < b.size, 'the stream never delivers a corrupt blob whole');
});

test('a raw blob of the wrong length fails before its first byte; materialize checks the length in place', async () => {
  const store = localStore();
  const b = await store.storeBuffer(Buffer.alloc(2 << 20, 1), { compress: false });
  const file = store.localPathOf(b.hash, 'raw') as string;
  fs.chmodSync(file, 0o644);
  fs.truncateSync(file, 100);
  const expect = { size: b.size, label: 'w.pt@1' };
  let streamed = 0;
  await assert.rejects(async () => {
    for await (const c of store.openVerified(b.hash, expect)) streamed += (c as Buffer).length;
  }, /stored as 100 bytes/);
  assert.equal(streamed, 0);
  await assert.rejects(store.materialize(b.hash, expect), isCorrupt('w.pt@1', b.hash));
});

test('materialize of a raw blob hashes it when asked (wholeRead), else checks only the length', async () => {
  const store = localStore();
  const b = await store.storeBuffer(Buffer.alloc(1 << 20, 2), { compress: false });
  damage(store, b, 10, Buffer.from([3]));
  const m = await store.materialize(b.hash, { size: b.size, label: 'w.pt@1' });
  await m.release();
  await assert.rejects(
    store.materialize(b.hash, { size: b.size, label: 'w.pt@1', wholeRead: true }),
    isCorrupt('w.pt@1', b.hash),
  );
});

test('zstd that decodes wrong or not at all is the same io error, and materialize leaves no temp copy', async () => {
  const store = localStore();
  const text = Buffer.from('{"loss": 0.25, "step": 1}\n'.repeat(20000));
  for (const [at, bytes] of [
    [-1, Buffer.from([0x55])], // inside the frame: the zstd checksum or the hash fails
    [0, Buffer.from('not zstd')], // the frame header itself
  ] as const) {
    const z = await store.storeBuffer(Buffer.concat([text, Buffer.from(String(at))]), { compress: true });
    assert.equal(z.encoding, 'zstd');
    const stored = store.localPathOf(z.hash, 'zstd') as string;
    damage(store, z, at < 0 ? Math.floor(fs.statSync(stored).size / 2) : at, bytes);
    const expect = { size: z.size, label: 'metrics.json@3' };
    await assert.rejects(store.readBuffer(z.hash, expect), isCorrupt('metrics.json@3', z.hash));
    await assert.rejects(store.materialize(z.hash, expect), isCorrupt('metrics.json@3', z.hash));
    assert.deepEqual(fs.readdirSync(scratchOf(store)), [], 'the temp copy is removed');
  }
});
