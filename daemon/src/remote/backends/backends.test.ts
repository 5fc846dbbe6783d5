import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { BlobServiceClient } from '@azure/storage-blob';
import { tempDir } from '../../../../test/support/tmp';
import {
  azurite,
  azuriteConnectionString,
  moto,
  motoBucket,
  stopStorageServers,
} from '../../../../test/support/storageServers';
import { runBackendConformance } from '../../store/blobs/BlobBackend.conformance';
import { AzureBackend } from './AzureBackend';
import { FolderBackend } from './FolderBackend';
import { bufferSource, MiB, type RangeSource, type RemoteBackend, type ResumableState } from './RemoteBackend';
import { S3Backend } from './S3Backend';

const clients: { close(): void }[] = [];
after(async () => {
  for (const c of clients) c.close();
  await stopStorageServers();
});

// ---- backends under test: each call is a fresh, empty one ----

const CREDS = { accessKeyId: 'test', secretAccessKey: 'test' };
let serial = 0;
const fresh = (what: string): string => `${what}-${process.pid}-${++serial}`;

async function newBucket(url: string): Promise<string> {
  const bucket = fresh('b');
  await motoBucket(url, bucket);
  return bucket;
}

/** Small parts so the conformance kit's 20 MiB object goes multipart (S3's part floor is 5 MiB). */
async function makeS3(opts: { prefix?: string; listPageSize?: number } = {}): Promise<S3Backend> {
  const { url } = await moto();
  const bucket = await newBucket(url);
  const b = new S3Backend({
    bucket,
    region: 'us-east-1',
    endpoint: url,
    forcePathStyle: true,
    credentials: CREDS,
    partSize: 5 * MiB,
    multipartThreshold: 8 * MiB,
    ...opts,
  });
  clients.push(b);
  return b;
}

async function makeAzure(opts: { prefix?: string; listPageSize?: number } = {}): Promise<AzureBackend> {
  const { url } = await azurite();
  const connectionString = azuriteConnectionString(url);
  const container = fresh('c');
  await BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container).create();
  return new AzureBackend({ connectionString, container, partSize: 4 * MiB, multipartThreshold: 8 * MiB, ...opts });
}

function makeFolder(): FolderBackend {
  return new FolderBackend(path.join(tempDir('folder-remote'), 'remote'), { partSize: 1 * MiB });
}

runBackendConformance('folder', makeFolder);
runBackendConformance('s3 (moto)', () => makeS3());
runBackendConformance('azure (Azurite)', () => makeAzure());

// ---- resumable uploads and compare-and-swap, the same for all three ----

interface Kind {
  name: string;
  make: () => Promise<RemoteBackend>;
  partSize: number;
}

const kinds: Kind[] = [
  { name: 'folder', make: () => Promise.resolve(makeFolder()), partSize: 1 * MiB },
  { name: 's3 (moto)', make: () => makeS3(), partSize: 5 * MiB },
  { name: 'azure (Azurite)', make: () => makeAzure(), partSize: 4 * MiB },
];

const T = { timeout: 60_000 };

for (const kind of kinds) {
  describe(`resumable upload: ${kind.name}`, () => {
    resumeTests(kind);
  });
  describe(`compare-and-swap: ${kind.name}`, () => {
    swapTests(kind);
  });
}

/** A source that counts the bytes read from it and can be "killed" after some parts. */
function counting(data: Buffer, killAfterParts = Infinity): RangeSource & { bytes: number; parts: number } {
  const src = {
    size: data.length,
    bytes: 0,
    parts: 0,
    read: (offset: number, length: number) => {
      if (src.parts >= killAfterParts) return Promise.reject(new Error('killed'));
      src.parts++;
      src.bytes += length;
      return Promise.resolve(data.subarray(offset, offset + length));
    },
  };
  return src;
}

/** Start, die after 2 parts keeping the last state reported (as JSON, as a caller would persist it). */
async function killedUpload(b: RemoteBackend, key: string, data: Buffer): Promise<ResumableState> {
  let saved: string | undefined;
  await assert.rejects(
    b.putResumable(key, counting(data, 2), { onState: (s) => void (saved = JSON.stringify(s)) }),
    /killed/,
  );
  assert.ok(saved !== undefined, 'a state was reported');
  assert.equal(await b.stat(key), null, 'nothing is visible before the commit');
  return JSON.parse(saved) as ResumableState;
}

function resumeTests(kind: Kind): void {
  const size = 3 * kind.partSize + 12345; // four parts, the last one short
  const key = 'ab/big';

  test('a killed upload resumes: only the parts not yet stored are read and sent', T, async () => {
    const b = await kind.make();
    const data = pattern(size);
    const state = await killedUpload(b, key, data);
    const again = counting(data);
    let commits = 0;
    const r = await b.putResumable(key, again, { state, beforeCommit: () => Promise.resolve(void commits++) });
    assert.deepEqual(r, { created: true, size });
    assert.equal(again.bytes, size - 2 * kind.partSize, 'the first two parts were not sent again');
    assert.equal(again.parts, 2);
    assert.equal(commits, 1);
    assert.equal(sha(await read(b, key)), sha(data));
    assert.deepEqual(await collect(b.list()), [key], 'no .part or staging object is listed');
  });

  test('a state for another source size starts afresh and still stores the right bytes', T, async () => {
    const b = await kind.make();
    const state = await killedUpload(b, key, pattern(size));
    const other = pattern(size + 1, 3);
    const src = counting(other);
    assert.equal((await b.putResumable(key, src, { state })).created, true);
    assert.equal(src.bytes, other.length);
    assert.equal(sha(await read(b, key)), sha(other));
  });

  test('resuming onto a key someone completed meanwhile is success, reading nothing', T, async () => {
    const b = await kind.make();
    const data = pattern(size);
    const state = await killedUpload(b, key, data);
    await b.put(key, data);
    const src = counting(data);
    assert.deepEqual(await b.putResumable(key, src, { state }), { created: false, size });
    assert.equal(src.bytes, 0);
  });

  test('a writer completing the key while we upload: our commit finds it, created: false', T, async () => {
    const b = await kind.make();
    const data = pattern(size);
    const r = await b.putResumable(key, counting(data), { beforeCommit: async () => void (await b.put(key, data)) });
    assert.deepEqual(r, { created: false, size });
    assert.equal(sha(await read(b, key)), sha(data));
    assert.deepEqual(await collect(b.list()), [key]);
  });

  test('a small source goes in one request; an aborted signal stops a large one', T, async () => {
    const b = await kind.make();
    assert.deepEqual(await b.putResumable('ab/small', bufferSource(Buffer.from('hello'))), { created: true, size: 5 });
    assert.equal((await read(b, 'ab/small')).toString(), 'hello');
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(b.putResumable(key, counting(pattern(size)), { signal: ac.signal }), { name: 'AbortError' });
    assert.equal(await b.stat(key), null);
  });
}

function swapTests(kind: Kind): void {
  const key = 'stages/prod';

  test('create-only with null, then swaps that need the current etag', T, async () => {
    const b = await kind.make();
    const first = await b.putIfMatch(key, Buffer.from('v1'), null);
    assert.equal(first.swapped, true);
    const again = await b.putIfMatch(key, Buffer.from('v1bis'), null);
    assert.equal(again.swapped, false);
    const head = await b.head(key);
    assert.ok(first.swapped && head !== null);
    assert.equal(head.etag, first.etag, 'head gives the etag the write returned');
    assert.deepEqual(!again.swapped && again.current, head);
    const second = await b.putIfMatch(key, Buffer.from('v2'), first.etag);
    assert.ok(second.swapped);
    assert.notEqual(second.etag, first.etag);
    const stale = await b.putIfMatch(key, Buffer.from('v3'), first.etag);
    assert.deepEqual(stale, { swapped: false, current: { size: 2, etag: second.etag } });
    assert.equal((await read(b, key)).toString(), 'v2');
    await b.delete(key);
    assert.deepEqual(await b.putIfMatch(key, Buffer.from('v4'), second.etag), { swapped: false, current: null });
  });

  test('writers racing with the same old etag: exactly one wins, every round', T, async () => {
    const b = await kind.make();
    const start = await b.putIfMatch(key, Buffer.from('round-0'), null);
    assert.ok(start.swapped);
    let etag = start.etag;
    for (let round = 1; round <= 10; round++) {
      const bodies = [0, 1, 2, 3].map((w) => Buffer.from(`round-${round}-writer-${w}`));
      const results = await Promise.all(bodies.map((body) => b.putIfMatch(key, body, etag)));
      const winners = results.flatMap((r, w) => (r.swapped ? [{ r, w }] : []));
      assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(results)}`);
      const winner = winners[0]!;
      assert.equal((await read(b, key)).toString(), bodies[winner.w]!.toString());
      etag = winner.r.swapped ? winner.r.etag : '';
    }
  });

  test('racing creators (etag null): exactly one wins', T, async () => {
    const b = await kind.make();
    const results = await Promise.all([0, 1, 2, 3].map((w) => b.putIfMatch('stages/new', Buffer.from(`w${w}`), null)));
    assert.equal(results.filter((r) => r.swapped).length, 1, JSON.stringify(results));
  });
}

// ---- what only one backend has ----

describe('folder specifics', () => {
  test('a .part cut short of what the state says resumes from what is on disk', T, async () => {
    const b = makeFolder();
    const data = pattern(4 * MiB);
    const state = await killedUpload(b, 'ab/big', data);
    assert.equal(state.kind, 'folder');
    const part = path.join(b.root, 'ab', `.big.${state.uploadId}.part`);
    assert.equal(fs.statSync(part).size, 2 * MiB);
    fs.truncateSync(part, 1.5 * MiB); // the last fsync did not make it
    const src = counting(data);
    await b.putResumable('ab/big', src, { state });
    assert.equal(src.bytes, 3 * MiB, 'parts 2..4 were read again');
    assert.equal(sha(await read(b, 'ab/big')), sha(data));
    assert.equal(fs.existsSync(part), false);
  });

  test('discardResumable removes the .part; a stale sweep keeps fresh in-flight files', T, async () => {
    const b = makeFolder();
    const state = await killedUpload(b, 'ab/big', pattern(4 * MiB));
    await b.discardResumable(state);
    assert.deepEqual(fs.readdirSync(path.join(b.root, 'ab')), []);
    await killedUpload(b, 'ab/big', pattern(4 * MiB));
    assert.equal(await b.sweepStale(), 0, 'a week has not passed');
    assert.equal(await b.sweepStale(0), 1);
    assert.deepEqual(fs.readdirSync(path.join(b.root, 'ab')), []);
  });

  test("a killed writer's lock is broken once stale; a fresh one makes putIfMatch give up", T, async () => {
    const root = path.join(tempDir('folder-remote'), 'remote');
    const b = new FolderBackend(root, { lockWaitMs: 200, staleLockMs: 1000 });
    fs.mkdirSync(path.join(root, 'stages'));
    const lock = path.join(root, 'stages', '.prod.lock');
    fs.writeFileSync(lock, '1 then\n');
    await assert.rejects(b.putIfMatch('stages/prod', Buffer.from('x'), null), { name: 'MlsnapError' });
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, old, old);
    assert.equal((await b.putIfMatch('stages/prod', Buffer.from('x'), null)).swapped, true);
    assert.equal(fs.existsSync(lock), false);
  });
});

describe('s3 specifics', () => {
  test('AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL are honoured by the SDK when no endpoint is given', T, async () => {
    const { url } = await moto();
    const bucket = await newBucket(url);
    for (const name of ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL']) {
      const saved = process.env[name];
      process.env[name] = url;
      try {
        const b = new S3Backend({ bucket, region: 'us-east-1', forcePathStyle: true, credentials: CREDS });
        await b.put(`ab/${name}`, Buffer.from(name));
        assert.equal((await read(b, `ab/${name}`)).toString(), name);
        b.close();
      } finally {
        if (saved === undefined) delete process.env[name];
        else process.env[name] = saved;
      }
    }
  });

  test('list pages through; under a prefix only our keys are listed', T, async () => {
    const b = await makeS3({ prefix: 'team/ml', listPageSize: 7 });
    const keys = Array.from({ length: 30 }, (_, i) => `ab/k${i}`);
    await Promise.all(keys.map((k) => b.put(k, Buffer.from(k))));
    await b.client.send(new PutObjectCommand({ Bucket: b.bucket, Key: 'team/ml/Not A Key', Body: 'x' }));
    await b.client.send(new PutObjectCommand({ Bucket: b.bucket, Key: 'elsewhere/ab/k1', Body: 'x' }));
    assert.deepEqual((await collect(b.list())).sort(), [...keys].sort());
  });

  test('a discarded upload is gone: resuming it sends every part', T, async () => {
    const b = await makeS3();
    const data = pattern(3 * 5 * MiB + 1);
    const state = await killedUpload(b, 'ab/big', data);
    await b.discardResumable(state);
    const src = counting(data);
    assert.equal((await b.putResumable('ab/big', src, { state })).created, true);
    assert.equal(src.bytes, data.length);
    assert.equal(sha(await read(b, 'ab/big')), sha(data));
  });
});

describe('azure specifics', () => {
  test('list pages through; under a prefix only our keys are listed', T, async () => {
    const b = await makeAzure({ prefix: 'team/ml', listPageSize: 7 });
    const keys = Array.from({ length: 30 }, (_, i) => `ab/k${i}`);
    await Promise.all(keys.map((k) => b.put(k, Buffer.from(k))));
    await b.container.getBlockBlobClient('team/ml/Not A Key').upload('x', 1);
    await b.container.getBlockBlobClient('elsewhere/ab/k1').upload('x', 1);
    assert.deepEqual((await collect(b.list())).sort(), [...keys].sort());
  });
});

// ---- helpers ----

function pattern(size: number, seed = 7): Buffer {
  const buf = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    buf[i] = x >>> 24;
  }
  return buf;
}

async function read(b: RemoteBackend, key: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of await b.get(key)) parts.push(c as Buffer);
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
