import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSummary, runCampaign } from '../soak/campaign';

/**
 * The short form of the crash campaign (`npm run soak` runs 200 iterations): a few kills -9 of
 * the daemon among snapshots, pushes and gc, each followed by the full checks. Seeded from the
 * time so each run explores other moments; the seed is printed to replay a failure with
 * `MLSNAP_SOAK_SEED=<seed> MLSNAP_SOAK_ITERATIONS=<n> npm run soak`.
 */
const ITERATIONS = 6;

test(`crash campaign, short form (${ITERATIONS} kills -9): every acknowledged version survives`, async (t) => {
  const seed = Number(process.env.MLSNAP_SOAK_SEED ?? Date.now() % 0x100000000);
  t.diagnostic(`soak seed ${seed}`);
  const summary = await runCampaign({ seed, iterations: ITERATIONS, print: (line) => t.diagnostic(line) });
  t.diagnostic(formatSummary(summary));
  assert.equal(summary.kills, ITERATIONS, formatSummary(summary));
  assert.ok(summary.versionsAcknowledged > 0, formatSummary(summary));
  assert.deepEqual(summary.failures, [], formatSummary(summary));
});
