import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatSummary, runCampaign } from './campaign';

/**
 * The campaign's checks must be able to fail: a check that passes whatever the store holds
 * proves nothing. Two iterations; after the second kill, with the daemon dead, the blob file
 * of one acknowledged version is removed and one byte of another's is flipped (what a store
 * that lost or tore a write after acknowledging it would hold). Each must be reported.
 */
test('the crash campaign reports a lost blob and a corrupt one', async (t) => {
  const seed = Number(process.env.MLSNAP_SOAK_SEED ?? Date.now() % 0x100000000);
  t.diagnostic(`soak seed ${seed}`);
  const damaged: string[] = [];
  const summary = await runCampaign({
    seed,
    iterations: 2,
    print: (line) => t.diagnostic(line),
    tamper: ({ root, ledger, iteration }) => {
      if (iteration !== 1) return;
      const blobs = [...new Set(ledger.mustExist().map((v) => v.blob))];
      assert.ok(blobs.length >= 2, `only ${blobs.length} acknowledged blobs to damage`);
      const [lost, torn] = blobs.slice(-2) as [string, string];
      fs.rmSync(blobFile(root, lost));
      const file = blobFile(root, torn);
      fs.chmodSync(file, 0o644);
      const bytes = fs.readFileSync(file);
      const at = Math.floor(bytes.length / 2);
      bytes[at] = (bytes[at] as number) ^ 0x55;
      fs.writeFileSync(file, bytes);
      damaged.push(lost, torn);
    },
  });
  t.diagnostic(formatSummary(summary));
  // A failed campaign keeps its folders for a look: these failures were made on purpose.
  if (summary.keptAt !== undefined) fs.rmSync(summary.keptAt, { recursive: true, force: true });
  assert.equal(damaged.length, 2, 'nothing was damaged');
  const messages = summary.failures.map((f) => f.message);
  const [lost, torn] = damaged.map((h) => h.slice(0, 16)) as [string, string];
  assert.ok(
    messages.some((m) => m.includes(`blob ${lost} has a row but no file (dangling)`)),
    `the lost blob was not reported as dangling:\n${messages.join('\n')}`,
  );
  assert.ok(
    messages.some((m) => m.startsWith('check exited')),
    `check passed a store with a lost and a corrupt blob:\n${messages.join('\n')}`,
  );
  // By check (whose long output a failure line may cut short) or by the read-back.
  assert.ok(
    messages.some((m) => m.includes(torn)),
    `the corrupt blob was not reported:\n${messages.join('\n')}`,
  );
});

/** The blob's file under the store (raw or zstd, whichever is there). */
function blobFile(root: string, hash: string): string {
  const base = path.join(root, '.mlsnap', 'blobs', hash.slice(0, 2), hash);
  return fs.existsSync(base) ? base : `${base}.zst`;
}
