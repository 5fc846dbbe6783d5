import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MlsnapError } from '../../../../shared/src/errors';
import { metricsFormatOf, readMetricsFile, runMetricsOf } from './index';
import { assertInvalidFile, fixtureBytes, fixturePaths } from './MetricsTestFixtures';

const DAMAGED = new Set([
  'broken/crc/events.out.tfevents.1700000200.fixture-host.4242.2', // the one fixture that must fail
]);

/** A small seeded PRNG (mulberry32): the fuzz cases are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Reads, and accepts either a result or MlsnapError('invalid-file') naming the file. */
function readOrInvalid(relPath: string, bytes: Buffer, what: string): void {
  try {
    const file = readMetricsFile(relPath, bytes);
    for (const m of file.metrics) assert.equal(m.steps.length, m.values.length, `${what}: ${m.name}`);
  } catch (err) {
    if (!(err instanceof MlsnapError)) throw new Error(`${what}: threw ${String(err)}`, { cause: err });
    assert.equal(err.kind, 'invalid-file', what);
    assert.equal(err.path, relPath, what);
    assert.ok(err.message.startsWith(`${relPath}: `), `${what}: ${err.message}`);
  }
}

const logFixtures = fixturePaths().filter((p) => metricsFormatOf(p) !== null);

describe('readMetricsFile', () => {
  test('reads every fixture log but the damaged one', () => {
    for (const p of logFixtures) {
      if (DAMAGED.has(p)) assertInvalidFile(() => readMetricsFile(p, fixtureBytes(p)), p);
      else assert.doesNotThrow(() => readMetricsFile(p, fixtureBytes(p)), p);
    }
  });

  test('plain files it does not name are read by extension; others are refused', () => {
    const file = readMetricsFile('data/scores.json', Buffer.from('{"f1": 0.5}'));
    assert.deepEqual(file, { format: 'json', metrics: [{ name: 'f1', steps: [0], values: [0.5] }] });
    assertInvalidFile(() => readMetricsFile('model.pt', Buffer.alloc(4)), 'model.pt', /not a metrics file/);
  });

  test('fuzz: byte flips and truncations of each fixture give a result or invalid-file', () => {
    const random = prng(0x5eed);
    for (const p of logFixtures) {
      const original = fixtureBytes(p);
      for (let round = 0; round < 40; round++) {
        const bytes = Buffer.from(original);
        const flips = 1 + Math.floor(random() * 4);
        for (let f = 0; f < flips && bytes.length > 0; f++) {
          const at = Math.floor(random() * bytes.length);
          bytes[at] = (bytes[at] as number) ^ (1 << Math.floor(random() * 8));
        }
        readOrInvalid(p, bytes, `${p} with ${flips} flips (round ${round})`);
        const cut = Math.floor(random() * original.length);
        readOrInvalid(p, original.subarray(0, cut), `${p} cut to ${cut} bytes`);
      }
    }
  });

  test('fuzz: random bytes under every format', () => {
    const random = prng(42);
    const paths = [...new Map(logFixtures.map((p) => [metricsFormatOf(p), p])).values()];
    for (const p of paths) {
      for (let round = 0; round < 30; round++) {
        const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
        readOrInvalid(p, bytes, `${p} random ${round}`);
      }
    }
  });

  test('runMetricsOf: final value, point count, direction, source', () => {
    const rel = 'hf-output/checkpoint-30/trainer_state.json';
    const metrics = runMetricsOf(rel, readMetricsFile(rel, fixtureBytes(rel)));
    assert.deepEqual(
      metrics.find((m) => m.name === 'eval_loss'),
      {
        name: 'eval_loss',
        final: 0.3802651762962341,
        points: 3,
        source: rel,
        format: 'hf-trainer-state',
        better: 'down',
      },
    );
    assert.equal(metrics.find((m) => m.name === 'eval_accuracy')?.better, 'up');
  });
});
