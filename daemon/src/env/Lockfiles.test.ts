import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../../../test/support/tmp';
import { LockfileCollector } from './Lockfiles';
import { MemoryBlobSink } from './env.testkit';

const log = { info: () => undefined, warn: () => undefined };

test('an unchanged lockfile is not stored again, unless its blob was freed meanwhile (gc)', async () => {
  const root = tempDir('lockfiles');
  fs.writeFileSync(path.join(root, 'requirements.txt'), 'torch==1.13.1\n');
  fs.writeFileSync(path.join(root, 'notes.txt'), 'not a lockfile');
  const sink = new MemoryBlobSink();
  const collector = new LockfileCollector(root, sink, log);
  const first = await collector.collect();
  assert.deepEqual(
    first.map((l) => l.path),
    ['requirements.txt'],
  );
  assert.equal(sink.compressFlags.length, 1);
  await collector.collect();
  assert.equal(sink.compressFlags.length, 1, 'the cached hash is reused while its blob exists');
  sink.blobs.clear(); // what gc does to an unreferenced blob
  const again = await collector.collect();
  assert.equal(sink.compressFlags.length, 2, 'stored again');
  assert.ok(sink.has(again[0]?.blob ?? ''), 'the environment never points at a missing blob');
});
