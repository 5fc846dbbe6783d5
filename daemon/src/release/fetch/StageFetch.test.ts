import { describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { MlsnapError } from '../../../../shared/src/errors';
import type { StageTarget } from '../../../../shared/src/release';
import { tempDir } from '../../../../test/support/tmp';
import type { RemoteBackend } from '../../remote/backends/RemoteBackend';
import { RemoteSession } from '../../remote/sync/RemoteSession';
import { StageStore } from '../stages/StageStore';
import { fetchStage } from './StageFetch';
import { auditRecord, stagePointer } from '../stages/stages.testkit';

const MODEL = 'models/m.safetensors';
const WHERE = { model: MODEL, stage: 'production' };

interface Remote {
  root: string;
  session: RemoteSession;
  bytes: Buffer;
  target: StageTarget;
}

/**
 * A folder remote holding `bytes` as a raw blob and a production pointer at it; `object`
 * overrides what the pointer says of the object (a hostile or stale pointer).
 */
async function remoteWith(bytes: Buffer, object: Partial<StageTarget['object']> = {}): Promise<Remote> {
  const root = tempDir('fetch-remote');
  const session = RemoteSession.fromLocation('team', { kind: 'folder', path: root }, {});
  const blake3 = new Blake3Hasher().update(bytes).digest('hex');
  const key = `data/${blake3.slice(0, 2)}/${blake3}`;
  await session.run((b) => b.put(key, bytes));
  const target: StageTarget = {
    versionId: 'v0123456789abcdef',
    object: {
      key,
      url: `file://${root}/${key}`,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      blake3,
      ...object,
    },
    modelFormat: 'safetensors',
    createdAt: 1796171502198,
    author: 'alice',
    environment: null,
    run: null,
    estimate: null,
  };
  const stages = new StageStore(session);
  const audit = await stages.writeAudit(auditRecord({ model: MODEL, to: target.versionId }));
  const pointer = stagePointer(audit, { model: MODEL, target });
  assert.equal((await stages.swap(pointer, null)).swapped, true);
  return { root, session, bytes, target };
}

function isError(kind: MlsnapError['kind'], message: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof MlsnapError, `not an MlsnapError: ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, message);
    return true;
  };
}

describe('fetchStage', () => {
  test('the bytes are read from object.key only: a URL pointing elsewhere is never followed', async () => {
    const decoy = path.join(tempDir('decoy'), 'other.bin');
    fs.writeFileSync(decoy, 'not the model');
    const r = await remoteWith(Buffer.from('the model bytes'), { url: `file://${decoy}` });
    const dest = tempDir('fetch-dest');
    const got = await fetchStage(r.session, WHERE, dest);
    assert.equal(got.file, path.join(dest, 'm.safetensors'));
    assert.deepEqual(fs.readFileSync(path.join(dest, 'm.safetensors')), r.bytes);
    assert.deepEqual(fs.readdirSync(dest), ['m.safetensors'], 'no temp file left');
  });

  test('a destination whose folder does not exist says so and how to fix it; nothing is made', async () => {
    const r = await remoteWith(Buffer.from('x'));
    const base = tempDir('fetch-dest');
    const missing = path.join(base, 'srv', 'models');
    await assert.rejects(
      fetchStage(r.session, WHERE, path.join(missing, 'model.st')),
      isError('not-found', new RegExp(`${missing} does not exist: make it first \\(mkdir -p `)),
    );
    assert.deepEqual(fs.readdirSync(base), []);
  });

  test('a destination ending in a slash is a folder: written into when it is one, else refused, no file made', async () => {
    const r = await remoteWith(Buffer.from('x'));
    const base = tempDir('fetch-dest');
    await assert.rejects(
      fetchStage(r.session, WHERE, path.join(base, 'srv') + path.sep),
      isError('not-found', new RegExp(`${path.join(base, 'srv')} does not exist: make it first`)),
    );
    fs.writeFileSync(path.join(base, 'file'), 'keep');
    await assert.rejects(
      fetchStage(r.session, WHERE, path.join(base, 'file') + path.sep),
      isError('conflict', /file is not a folder/),
    );
    assert.deepEqual(fs.readdirSync(base), ['file']);
    assert.equal(fs.readFileSync(path.join(base, 'file'), 'utf8'), 'keep');
    fs.mkdirSync(path.join(base, 'srv'));
    const got = await fetchStage(r.session, WHERE, path.join(base, 'srv') + path.sep);
    assert.equal(got.file, path.join(base, 'srv', 'm.safetensors'));
  });

  test('a destination folder holding a folder of the model file name is refused before any download', async () => {
    const r = await remoteWith(Buffer.from('x'));
    const dest = tempDir('fetch-dest');
    fs.mkdirSync(path.join(dest, 'm.safetensors'));
    await assert.rejects(fetchStage(r.session, WHERE, dest), isError('conflict', /m\.safetensors is a folder/));
    assert.deepEqual(fs.readdirSync(dest), ['m.safetensors']);
    assert.deepEqual(fs.readdirSync(path.join(dest, 'm.safetensors')), []);
  });

  test('an object larger than the pointer says is stopped early, not downloaded whole; nothing is left', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 7);
    const r = await remoteWith(big, { size: 10 });
    const backend = r.session.backend as RemoteBackend & { get: RemoteBackend['get'] };
    const real = backend.get.bind(backend);
    let served = 0;
    backend.get = async (key, range) => {
      const stream = await real(key, range);
      return Readable.from(
        (async function* () {
          for await (const c of stream) {
            served += (c as Buffer).length;
            yield c as Buffer;
          }
        })(),
      );
    };
    const dest = tempDir('fetch-dest');
    await assert.rejects(
      fetchStage(r.session, WHERE, dest),
      isError('remote', /does not match the stage's pointer \(more than the 10 bytes it says\); nothing was written/),
    );
    assert.ok(served < big.length, `${served} of ${big.length} bytes were read`);
    assert.deepEqual(fs.readdirSync(dest), []);
  });

  test('a remote that fails mid-download is said as the remote failing, and the temp file is removed', async () => {
    const r = await remoteWith(Buffer.alloc(300_000, 1));
    const backend = r.session.backend as RemoteBackend & { get: RemoteBackend['get'] };
    const real = backend.get.bind(backend);
    // The pointer reads fine; the model's bytes break off after the first 1000.
    backend.get = (key, range) =>
      !key.startsWith('data/')
        ? real(key, range)
        : Promise.resolve(
            Readable.from(
              (async function* () {
                yield Buffer.alloc(1000, 1);
                throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
              })(),
            ),
          );
    const dest = tempDir('fetch-dest');
    await assert.rejects(fetchStage(r.session, WHERE, dest), isError('remote', /remote team/));
    assert.deepEqual(fs.readdirSync(dest), []);
  });

  test('a folder that refuses fsync (NFS, SMB: EINVAL) does not fail a fetch that wrote the file', async () => {
    const r = await remoteWith(Buffer.from('bytes on a share'));
    const dest = tempDir('fetch-dest');
    const probe = await fsp.open(dest, 'r');
    const proto = Object.getPrototypeOf(probe) as { sync: (this: fsp.FileHandle) => Promise<void> };
    await probe.close();
    const sync = proto.sync;
    const m = mock.method(proto, 'sync', async function (this: fsp.FileHandle) {
      if (fs.fstatSync(this.fd).isDirectory()) throw Object.assign(new Error('EINVAL: fsync'), { code: 'EINVAL' });
      return sync.call(this);
    });
    try {
      const got = await fetchStage(r.session, WHERE, dest);
      assert.deepEqual(fs.readFileSync(got.file as string), r.bytes);
    } finally {
      m.mock.restore();
    }
  });

  test('an unchanged etag writes nothing', async () => {
    const r = await remoteWith(Buffer.from('x'));
    const dest = tempDir('fetch-dest');
    const first = await fetchStage(r.session, WHERE, path.join(dest, 'a.st'));
    const again = await fetchStage(r.session, WHERE, path.join(dest, 'b.st'), { unlessEtag: first.etag });
    assert.equal(again.file, null);
    assert.deepEqual(fs.readdirSync(dest), ['a.st']);
  });
});
