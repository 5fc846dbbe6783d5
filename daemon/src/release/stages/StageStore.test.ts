import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlsnapError } from '../../../../shared/src/errors';
import type { AuditRecord, StagePointer } from '../../../../shared/src/release';
import { tempDir } from '../../../../test/support/tmp';
import type { RemoteBackend } from '../../remote/backends/RemoteBackend';
import { RemoteSession } from '../../remote/sync/RemoteSession';
import { encodeObject, pointerKey } from './StageFormat';
import { StageStore } from './StageStore';
import { auditRecord, stagePointer } from './stages.testkit';

const MODEL = 'models/m.safetensors';

function folderRemote(): { root: string; session: RemoteSession; store: StageStore } {
  const root = tempDir('stagestore');
  const session = RemoteSession.fromLocation('team', { kind: 'folder', path: root }, {});
  return { root, session, store: new StageStore(session) };
}

function record(over: Partial<AuditRecord> = {}): AuditRecord {
  return auditRecord({ model: MODEL, stage: 'staging', ...over });
}

function pointerFor(audit: string, movedBy = 'alice'): StagePointer {
  return stagePointer(audit, { model: MODEL, stage: 'staging', movedBy });
}

/** Put a file on the share behind mlsnap's back, as a person could. */
function byHand(root: string, key: string, bytes: Buffer | string): void {
  const file = path.join(root, ...key.split('/'));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
}

describe('StageStore on a folder remote', () => {
  test('a swap whose write landed but whose answer was lost (an SDK retry got 412) is a success', async () => {
    const { session, store } = folderRemote();
    const audit = await store.writeAudit(record());
    const backend = session.backend as RemoteBackend & { putIfMatch: RemoteBackend['putIfMatch'] };
    const real = backend.putIfMatch.bind(backend);
    backend.putIfMatch = async (key, bytes, etag) => {
      await real(key, bytes, etag); // it landed...
      return { swapped: false, current: await backend.head(key) }; // ...and the retry was refused
    };
    const r = await store.swap(pointerFor(audit), null);
    assert.equal(r.swapped, true, 'our own pointer is there: the move took effect');
    const now = await store.read(MODEL, 'staging');
    assert.ok(r.swapped && now !== null && r.etag === now.etag);
    backend.putIfMatch = real;
  });

  test("a swap that lost to someone else's move still says who moved it", async () => {
    const { store } = folderRemote();
    const first = await store.writeAudit(record());
    assert.equal((await store.swap(pointerFor(first), null)).swapped, true);
    const before = await store.read(MODEL, 'staging');
    assert.ok(before !== null);
    const bobs = await store.writeAudit(record({ author: 'bob', previous: first, at: 1796171600001 }));
    assert.equal((await store.swap(pointerFor(bobs, 'bob'), before.etag)).swapped, true);
    const mine = await store.writeAudit(record({ previous: first, at: 1796171600002 }));
    const lost = await store.swap(pointerFor(mine), before.etag);
    assert.ok(!lost.swapped && lost.current?.pointer.movedBy === 'bob');
  });

  test('files left on the share that are not pointers are skipped by the listing', async () => {
    const { root, store } = folderRemote();
    const audit = await store.writeAudit(record());
    await store.swap(pointerFor(audit), null);
    byHand(root, 'stages/models/a b.pt/production.json', '{}');
    byHand(root, 'stages/models/copy (1)/staging.json', '{}');
    byHand(root, 'stages/README', 'pointers live here');
    const listed = await store.list();
    assert.deepEqual(
      listed.map((r) => [r.pointer.model, r.pointer.stage]),
      [[MODEL, 'staging']],
    );
  });

  test('a pointer far larger than any pointer is refused unread, naming its key', async () => {
    const { root, store } = folderRemote();
    const key = pointerKey(MODEL, 'staging');
    byHand(root, key, Buffer.alloc(2 * 1024 * 1024, 0x20));
    await assert.rejects(store.read(MODEL, 'staging'), (e: unknown) => {
      assert.ok(e instanceof MlsnapError && e.kind === 'remote');
      assert.ok(e.message.includes(`${key} was refused`), e.message);
      return true;
    });
  });

  test('audit records that do not decode are kept as their errors, not thrown for the whole listing', async () => {
    const { root, store } = folderRemote();
    const good = await store.writeAudit(record());
    const bad = 'audit/models/m.safetensors/staging/1796171600005-0123456789abcdef.json';
    byHand(root, bad, '{"format":"mlsnap-audit"');
    byHand(root, 'audit/models/m.safetensors/staging/notes.txt', 'a person was here');
    const records = await store.history(MODEL, 'staging');
    assert.deepEqual([...records.keys()].sort(), [bad, good].sort());
    assert.equal((records.get(good) as AuditRecord).author, 'alice');
    const e = records.get(bad);
    assert.ok(e instanceof MlsnapError && e.message.includes(`${bad} was refused`));
  });

  test('a listing by model keeps only that model (not models that share its prefix)', async () => {
    const { store } = folderRemote();
    await store.writeAudit(record());
    await store.writeAudit(record({ model: `${MODEL}.bak` }));
    await store.writeAudit(record({ model: `${MODEL}/inner.pt` }));
    const records = await store.history(MODEL);
    assert.deepEqual(
      [...records.values()].map((r) => (r as AuditRecord).model),
      [MODEL],
    );
  });

  test('a policy removed between its HEAD and its GET reads as no policy', async () => {
    const { session, store } = folderRemote();
    await session.run((b) => b.put('policy.json', encodeObject({ format: 'mlsnap-policy', version: 1, stages: {} })));
    const backend = session.backend as RemoteBackend & { get: RemoteBackend['get'] };
    backend.get = (key) => {
      const e = new Error(`${key} not found`);
      e.name = 'BlobNotFound';
      return Promise.reject(e);
    };
    assert.deepEqual(await store.policy(), {
      policy: { format: 'mlsnap-policy', version: 1, stages: {} },
      etag: null,
    });
  });
});
