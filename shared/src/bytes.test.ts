import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes } from './bytes';
import { pollUntil } from './pollUntil';

test('formatBytes: bytes below a KiB, one decimal above', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1024), '1.0 KiB');
  assert.equal(formatBytes(4710), '4.6 KiB');
  assert.equal(formatBytes(1024 ** 3), '1.0 GiB');
  assert.equal(formatBytes(5 * 1024 ** 4), '5.0 TiB');
});

test('pollUntil returns the first value, or null at the deadline', async () => {
  let n = 0;
  assert.equal(await pollUntil(() => (++n >= 3 ? n : null), { timeoutMs: 2000, intervalMs: 1 }), 3);
  const t0 = Date.now();
  assert.equal(await pollUntil(() => false, { timeoutMs: 60, intervalMs: 10 }), null);
  assert.ok(Date.now() - t0 >= 60);
});
