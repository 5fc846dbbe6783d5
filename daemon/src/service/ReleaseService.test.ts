import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlsnapError } from '../../../shared/src/errors';
import type { AuditRecord } from '../../../shared/src/release';
import { tempDir } from '../../../test/support/tmp';
import type { Project } from '../project/Project';
import { RemoteSession } from '../remote/sync/RemoteSession';
import { StageStore } from '../release/stages/StageStore';
import { ReleaseService } from './ReleaseService';
import type { RemoteService } from './RemoteService';
import { auditRecord, stagePointer, T0 } from '../release/stages/stages.testkit';

const MODEL = 'models/m.safetensors';

/** A folder remote, and a ReleaseService whose every session is it (history needs nothing else). */
function setup(): { root: string; stages: StageStore; release: ReleaseService } {
  const root = tempDir('release-history');
  const session = RemoteSession.fromLocation('team', { kind: 'folder', path: root }, {});
  const remotes = { session: () => session } as unknown as RemoteService;
  return { root, stages: new StageStore(session), release: new ReleaseService(remotes) };
}

const project = {} as Project;

let n = 0;
/** One move as `move()` makes it: the record, then the pointer naming it, by compare-and-swap. */
async function moveTo(
  stages: StageStore,
  stage: string,
  author: string,
  at: number,
): Promise<{ key: string; record: AuditRecord }> {
  const current = await stages.read(MODEL, stage);
  const to = `v${(++n).toString(16).padStart(16, '0')}`;
  const record = auditRecord({
    model: MODEL,
    stage,
    from: current?.pointer.target?.versionId ?? null,
    to,
    author,
    host: `${author}-laptop`,
    at,
    previous: current?.pointer.audit ?? null,
  });
  const key = await stages.writeAudit(record);
  const pointer = stagePointer(key, { model: MODEL, stage, movedBy: author, host: record.host, movedAt: at });
  assert.equal((await stages.swap(pointer, current?.etag ?? null)).swapped, true);
  return { key, record };
}

describe('ReleaseService.history', () => {
  test("a stage's trail follows its chain, not the movers' clocks", async () => {
    const { stages, release } = setup();
    // Bob's clock is a minute behind: his move, made after alice's, carries an earlier time.
    await moveTo(stages, 'production', 'alice', T0 + 60_000);
    await moveTo(stages, 'production', 'bob', T0 + 1_000);
    await moveTo(stages, 'production', 'carol', T0 + 120_000);
    const trail = await release.history(project, { root: '/p', model: MODEL, stage: 'production' });
    assert.deepEqual(
      trail.map((r) => r.author),
      ['alice', 'bob', 'carol'],
    );
    assert.deepEqual(
      trail.map((r) => r.previous === null),
      [true, false, false],
    );
  });

  test('stages are interleaved by time, each in its own order; a lost race is on no chain', async () => {
    const { stages, release } = setup();
    await moveTo(stages, 'staging', 'alice', T0 + 1);
    await moveTo(stages, 'production', 'alice', T0 + 2);
    await moveTo(stages, 'staging', 'bob', T0 + 3);
    // A promotion that wrote its record and then lost its swap (or died before it).
    await stages.writeAudit({
      ...(await moveTo(stages, 'production', 'bob', T0 + 4)).record,
      author: 'mallory',
      at: T0 + 5,
    });
    const trail = await release.history(project, { root: '/p' });
    assert.deepEqual(
      trail.map((r) => `${r.stage}:${r.author}`),
      ['staging:alice', 'production:alice', 'staging:bob', 'production:bob'],
    );
  });

  test('a broken record that is on no chain does not stop the trail; one on the chain is refused by key', async () => {
    const { root, stages, release } = setup();
    await moveTo(stages, 'production', 'alice', T0 + 1);
    const second = await moveTo(stages, 'production', 'bob', T0 + 2);
    const stray = 'audit/models/m.safetensors/production/1796171609999-0123456789abcdef.json';
    fs.writeFileSync(path.join(root, ...stray.split('/')), '{"not": "a record"}');
    const trail = await release.history(project, { root: '/p', model: MODEL });
    assert.deepEqual(
      trail.map((r) => r.author),
      ['alice', 'bob'],
    );
    // The record the pointer names, edited by hand: the trail cannot be trusted past it.
    const file = path.join(root, ...second.key.split('/'));
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"bob"', '"eve"'));
    await assert.rejects(release.history(project, { root: '/p', model: MODEL }), (e: unknown) => {
      assert.ok(e instanceof MlsnapError && e.kind === 'remote');
      assert.ok(e.message.includes(`${second.key} was refused`), e.message);
      return true;
    });
  });

  test('a record removed by hand ends the trail there', async () => {
    const { root, stages, release } = setup();
    const first = await moveTo(stages, 'production', 'alice', T0 + 1);
    await moveTo(stages, 'production', 'bob', T0 + 2);
    fs.rmSync(path.join(root, ...first.key.split('/')));
    const trail = await release.history(project, { root: '/p', model: MODEL });
    assert.deepEqual(
      trail.map((r) => r.author),
      ['bob'],
    );
  });

  test('a stage name that is not one is refused before the remote is asked', async () => {
    const { release } = setup();
    await assert.rejects(release.history(project, { root: '/p', stage: '../x' }), { name: 'MlsnapError' });
  });
});
