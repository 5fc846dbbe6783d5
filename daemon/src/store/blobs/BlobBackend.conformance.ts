import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BlobNotFound, SourceChanged, type BlobBackend, type ByteRange } from './BlobBackend';

/**
 * The contract every BlobBackend keeps, as tests: run it from the backend's own test file,
 * `runBackendConformance('s3', async () => new S3Backend(...))`. Each test gets a fresh,
 * empty backend from `makeBackend`.
 */
export function runBackendConformance(name: string, makeBackend: () => BlobBackend | Promise<BlobBackend>): void {
  describe(`BlobBackend conformance: ${name}`, () => {
    putSemantics(makeBackend);
    rangedReads(makeBackend);
    listingAndDeleting(makeBackend);
    sourcesAndSizes(makeBackend);
    failedPuts(makeBackend);
  });
}

type Make = () => BlobBackend | Promise<BlobBackend>;

const KEY = 'ab/ab12cd34';

function putSemantics(make: Make): void {
  test('put then get gives the bytes back; stat gives their size', async () => {
    const b = await make();
    const data = pattern(4096);
    assert.deepEqual(await b.put(KEY, data), { created: true, size: 4096 });
    assert.ok((await read(b, KEY)).equals(data));
    assert.deepEqual(await b.stat(KEY), { size: 4096 });
  });

  test('a second put of the same key is success and leaves the bytes as they were', async () => {
    const b = await make();
    const data = pattern(1000);
    await b.put(KEY, data);
    assert.deepEqual(await b.put(KEY, data), { created: false, size: 1000 });
    assert.ok((await read(b, KEY)).equals(data));
  });

  test('other content under an existing key never overwrites it', async () => {
    const b = await make();
    const first = pattern(100, 1);
    await b.put(KEY, first);
    const r = await b.put(KEY, pattern(300, 2));
    assert.equal(r.created, false);
    assert.equal(r.size, 100, 'the size reported is the stored object’s');
    assert.ok((await read(b, KEY)).equals(first));
    assert.deepEqual(await b.stat(KEY), { size: 100 });
  });

  test('concurrent puts of one key: exactly one creates it, all succeed, the bytes are whole', async () => {
    const b = await make();
    const data = pattern(2 << 20);
    const results = await Promise.all(Array.from({ length: 8 }, () => b.put(KEY, chunked(data, 64 * 1024))));
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.ok(results.every((r) => r.size === data.length));
    assert.equal(sha(await read(b, KEY)), sha(data));
    assert.deepEqual(await collect(b.list()), [KEY]);
  });
}

function rangedReads(make: Make): void {
  test('ranged get returns [offset, offset + length), cut short at the end', async () => {
    const b = await make();
    const data = pattern(1000);
    await b.put(KEY, data);
    const cases: [ByteRange, Buffer][] = [
      [{ offset: 0, length: 1000 }, data],
      [{ offset: 0, length: 10 }, data.subarray(0, 10)],
      [{ offset: 10, length: 20 }, data.subarray(10, 30)],
      [{ offset: 990, length: 10 }, data.subarray(990)],
      [{ offset: 995, length: 100 }, data.subarray(995)],
      [{ offset: 999, length: 1 }, data.subarray(999)],
      [{ offset: 1000, length: 5 }, Buffer.alloc(0)],
      [{ offset: 5000, length: 5 }, Buffer.alloc(0)],
      [{ offset: 0, length: 0 }, Buffer.alloc(0)],
      [{ offset: 500, length: 0 }, Buffer.alloc(0)],
    ];
    for (const [range, want] of cases) {
      assert.ok((await read(b, KEY, range)).equals(want), `range ${JSON.stringify(range)}`);
    }
    assert.ok((await read(b, KEY)).equals(data), 'no range: everything');
  });

  test('a negative or fractional range is refused', async () => {
    const b = await make();
    await b.put(KEY, pattern(10));
    await assert.rejects(b.get(KEY, { offset: -1, length: 2 }), RangeError);
    await assert.rejects(b.get(KEY, { offset: 0, length: -2 }), RangeError);
    await assert.rejects(b.get(KEY, { offset: 0.5, length: 2 }), RangeError);
  });

  test('a missing key: stat is null, get rejects with BlobNotFound', async () => {
    const b = await make();
    assert.equal(await b.stat('zz/missing'), null);
    await assert.rejects(b.get('zz/missing'), BlobNotFound);
    await assert.rejects(b.get('zz/missing', { offset: 0, length: 1 }), BlobNotFound);
  });
}

function listingAndDeleting(make: Make): void {
  test('list gives every key once; delete removes one, and the key can be stored again', async () => {
    const b = await make();
    assert.deepEqual(await collect(b.list()), []);
    const keys = ['ab/one', 'ab/two.zst', 'cd/three', 'flat'];
    for (const k of keys) await b.put(k, Buffer.from(k));
    assert.deepEqual((await collect(b.list())).sort(), [...keys].sort());
    await b.delete('ab/two.zst');
    assert.deepEqual((await collect(b.list())).sort(), ['ab/one', 'cd/three', 'flat']);
    assert.equal(await b.stat('ab/two.zst'), null);
    await assert.rejects(b.get('ab/two.zst'), BlobNotFound);
    assert.equal((await b.put('ab/two.zst', Buffer.from('again'))).created, true);
    assert.equal((await read(b, 'ab/two.zst')).toString(), 'again');
  });

  test('deleting a missing key is not an error', async () => {
    const b = await make();
    await b.delete('ab/never');
    assert.deepEqual(await collect(b.list()), []);
  });

  test('keys that could escape (.., absolute, empty segments) are refused', async () => {
    const b = await make();
    for (const bad of ['', '../x', 'ab/../x', '/abs', 'a//b', 'a/', '.hidden', 'a b', 'a\\b']) {
      await assert.rejects(b.put(bad, Buffer.from('x')), RangeError, `put ${JSON.stringify(bad)}`);
      await assert.rejects(b.get(bad), RangeError, `get ${JSON.stringify(bad)}`);
      await assert.rejects(b.stat(bad), RangeError, `stat ${JSON.stringify(bad)}`);
      await assert.rejects(b.delete(bad), RangeError, `delete ${JSON.stringify(bad)}`);
    }
  });
}

function sourcesAndSizes(make: Make): void {
  test('empty content, from a buffer or a stream, is an object of size 0', async () => {
    const b = await make();
    assert.deepEqual(await b.put('ab/empty', Buffer.alloc(0)), { created: true, size: 0 });
    assert.deepEqual(await b.put('ab/empty2', chunked(Buffer.alloc(0), 1)), { created: true, size: 0 });
    for (const k of ['ab/empty', 'ab/empty2']) {
      assert.deepEqual(await b.stat(k), { size: 0 });
      assert.equal((await read(b, k)).length, 0);
      assert.equal((await read(b, k, { offset: 0, length: 10 })).length, 0);
    }
  });

  test('20 MiB streamed in and read back, whole and by range', async () => {
    const b = await make();
    const size = 20 << 20;
    const data = pattern(size);
    assert.deepEqual(await b.put(KEY, chunked(data, 1 << 20), { length: size }), { created: true, size });
    assert.deepEqual(await b.stat(KEY), { size });
    assert.equal(sha(await read(b, KEY)), sha(data));
    const mid = { offset: (7 << 20) + 13, length: 3 << 20 };
    assert.ok((await read(b, KEY, mid)).equals(data.subarray(mid.offset, mid.offset + mid.length)));
  });

  test('a file source is copied: writing the file afterwards leaves the object as it was', async () => {
    const b = await make();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlsnap-conf-')), 'src.bin');
    try {
      const data = pattern(3 << 20);
      fs.writeFileSync(file, data);
      assert.deepEqual(await b.put(KEY, { file }, { length: data.length }), { created: true, size: data.length });
      const fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, Buffer.alloc(4096, 0xee), 0, 4096, 0);
      fs.closeSync(fd);
      assert.equal(sha(await read(b, KEY)), sha(data));
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  test('localPath, where offered, names a file holding the object', async () => {
    const b = await make();
    if (b.localPath === undefined) return;
    await b.put(KEY, pattern(123));
    const p = b.localPath(KEY);
    if (p === null) return;
    assert.ok(fs.readFileSync(p).equals(pattern(123)));
  });
}

function failedPuts(make: Make): void {
  test('a source giving other than `length` bytes fails with SourceChanged and stores nothing', async () => {
    const b = await make();
    await assert.rejects(b.put(KEY, pattern(100), { length: 99 }), SourceChanged);
    await assert.rejects(b.put(KEY, chunked(pattern(100), 7), { length: 101 }), SourceChanged);
    assert.equal(await b.stat(KEY), null);
    assert.deepEqual(await collect(b.list()), []);
  });

  test('beforeCommit runs once, after staging and before the object is visible; its error aborts the put', async () => {
    const b = await make();
    let calls = 0;
    const ok = await b.put(KEY, pattern(50), {
      beforeCommit: async () => {
        calls++;
        assert.equal(await b.stat(KEY), null, 'not visible yet');
      },
    });
    assert.equal(ok.created, true);
    assert.equal(calls, 1);
    const refused = new Error('the source changed');
    await assert.rejects(
      b.put('ab/other', pattern(50), { beforeCommit: () => Promise.reject(refused) }),
      (e) => e === refused,
    );
    assert.equal(await b.stat('ab/other'), null);
  });

  test('a stream that fails midway stores nothing', async () => {
    const b = await make();
    async function* broken(): AsyncGenerator<Buffer> {
      yield pattern(1 << 20);
      throw new Error('read failed');
    }
    await assert.rejects(b.put(KEY, broken()), /read failed/);
    assert.equal(await b.stat(KEY), null);
    assert.deepEqual(await collect(b.list()), []);
  });
}

/** Deterministic bytes that differ along their length (so a misplaced range shows). */
function pattern(size: number, seed = 7): Buffer {
  const buf = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    buf[i] = x >>> 24;
  }
  return buf;
}

async function* chunked(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let off = 0; off < data.length; off += size) yield data.subarray(off, off + size);
}

async function read(b: BlobBackend, key: string, range?: ByteRange): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of await b.get(key, range)) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of it) out.push(k);
  return out;
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
