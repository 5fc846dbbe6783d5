import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSeries, encodeSeries } from './seriesCodec';

test('series round-trip: arithmetic steps as start and stride, others explicit; values as float32', () => {
  const even = encodeSeries([10, 20, 30, 40], [0.5, 0.25, 0.125, 1]);
  assert.equal(even.length, 6 + 16 + 16);
  assert.deepEqual(decodeSeries(even), { steps: [10, 20, 30, 40], values: [0.5, 0.25, 0.125, 1] });
  const odd = decodeSeries(encodeSeries([0, 1, 5], [1, 2, 3]));
  assert.deepEqual(odd.steps, [0, 1, 5]);
  const one = decodeSeries(encodeSeries([7], [0.1]));
  assert.deepEqual(one.steps, [7]);
  assert.ok(Math.abs((one.values[0] ?? 0) - 0.1) < 1e-7);
  assert.throws(() => decodeSeries(Buffer.from([9, 0, 0, 0, 0, 0])), /unknown series encoding/);
  assert.throws(() => decodeSeries(encodeSeries([0, 1], [1, 2]).subarray(0, 24)), /cut short/);
});
