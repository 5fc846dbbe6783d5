import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { tempDir } from '../../../../test/support/tmp';
import type { BlobBackend } from './BlobBackend';
import { ContentStore } from './ContentStore';
import { mapWithConcurrency } from '../../Concurrency';
import { makeDurable } from './durable';
import { LocalBackend } from './LocalBackend';

/**
 * The batch path for small files: ContentStore.storeMany over LocalBackend.putMany (one
 * durability barrier per batch) must store exactly what one-by-one puts would, under the
 * same keys and encodings, create-only.
 */

const blake3 = (b: Buffer): string => new Blake3Hasher().update(b).digest('hex');
const text = (i: number): Buffer =>
  Buffer.from(`{"step": ${i}, "loss": ${1 / (i + 1)}, "pad": "${'x'.repeat(200)}"}\n`);
const noise = (i: number): Buffer => {
  const b = Buffer.alloc(4096);
  for (let j = 0; j < b.length; j += 4) b.writeUInt32LE((i * 2654435761 + j * 40503) >>> 0, j);
  return b;
};

function store(dir: string): { blobs: ContentStore; backend: LocalBackend } {
  const backend = new LocalBackend(dir);
  return { blobs: new ContentStore(backend, { scratchDir: backend.tmpDir }), backend };
}

test('storeMany stores each buffer under the key and encoding storeBuffer gives it, readable back', async () => {
  const a = store(tempDir('many-a'));
  const b = store(tempDir('many-b'));
  const items = [
    ...Array.from({ length: 300 }, (_, i) => ({ data: text(i), compress: true })),
    ...Array.from({ length: 300 }, (_, i) => ({ data: noise(i), compress: true })),
    { data: Buffer.alloc(0), compress: true },
    { data: noise(1), compress: false },
  ];
  const many = await a.blobs.storeMany(items);
  for (const [i, item] of items.entries()) {
    const one = await b.blobs.storeBuffer(item.data, { compress: item.compress });
    const got = many[i];
    assert.ok(got !== undefined);
    assert.equal(got.hash, blake3(item.data));
    assert.deepEqual(
      { hash: got.hash, encoding: got.encoding, size: got.size, storedSize: got.storedSize },
      { hash: one.hash, encoding: one.encoding, size: one.size, storedSize: one.storedSize },
    );
    assert.deepEqual(await a.blobs.readBuffer(got.hash), item.data);
  }
  assert.equal(many.filter((m) => m.encoding === 'zstd').length, 301, 'text compresses, noise does not');
  assert.deepEqual(fs.readdirSync(a.backend.tmpDir), [], 'no temp file left');
});

test('storeMany writes identical buffers once and reports stored ones as not created', async () => {
  const { blobs, backend } = store(tempDir('many-dup'));
  const first = await blobs.storeMany([{ data: text(1), compress: true }]);
  assert.equal(first[0]?.created, true);
  const again = await blobs.storeMany([
    { data: text(1), compress: true },
    { data: text(2), compress: true },
    { data: text(2), compress: true },
  ]);
  assert.deepEqual(
    again.map((r) => r.created),
    [false, true, false],
  );
  const files: string[] = [];
  for await (const k of backend.list()) files.push(k);
  assert.equal(files.length, 2);
});

test('a blob written meanwhile under the same key is kept, never replaced (create-only)', async () => {
  const { blobs, backend } = store(tempDir('many-race'));
  const data = noise(7);
  const key = ContentStore.keyOf(blake3(data), 'raw');
  // Another writer got there between the existence check and the link.
  const real = backend.putMany.bind(backend);
  backend.putMany = async (entries) => {
    await backend.put(key, data);
    return real(entries);
  };
  const [r] = await blobs.storeMany([{ data, compress: false }]);
  assert.equal(r?.created, false);
  assert.deepEqual(fs.readFileSync(backend.localPath(key)), data);
});

test('a backend without putMany gets one put per new blob', async () => {
  const local = new LocalBackend(tempDir('many-plain'));
  const puts: string[] = [];
  const plain: BlobBackend = {
    put: (key, source, opts) => {
      puts.push(key);
      return local.put(key, source, opts);
    },
    get: (key, range) => local.get(key, range),
    stat: (key) => local.stat(key),
    list: () => local.list(),
    delete: (key) => local.delete(key),
  };
  const blobs = new ContentStore(plain, { scratchDir: local.tmpDir });
  const r = await blobs.storeMany([0, 1, 1, 2].map((i) => ({ data: noise(i), compress: false })));
  assert.equal(puts.length, 3);
  assert.deepEqual(
    r.map((x) => x.created),
    [true, true, false, true],
  );
});

test('makeDurable syncs many paths at once and one path by fsync (a missing one fails); mapWithConcurrency stops at the first failure', async () => {
  const dir = tempDir('durable');
  const files = Array.from({ length: 5 }, (_, i) => path.join(dir, `f${i}`));
  for (const f of files) fs.writeFileSync(f, 'x');
  await makeDurable(dir, files);
  await makeDurable(dir, [files[0] as string]);
  await assert.rejects(makeDurable(dir, [path.join(dir, 'missing')]), /ENOENT/);
  let started = 0;
  await assert.rejects(
    mapWithConcurrency([1, 2, 3, 4, 5, 6], 1, async (n) => {
      started++;
      if (n === 2) throw new Error('boom');
      return n;
    }),
    /boom/,
  );
  assert.equal(started, 2, 'nothing starts after a failure');
});
