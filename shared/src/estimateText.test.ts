import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateLine, estimateLines, formatCount, kubernetesQuantity } from './estimateText';
import type { ResourceEstimate } from './release';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const BASIS = 'RAM: weights + 20% + 256 MiB Python runtime; GPU: weights × 1.2 + 512 MiB CUDA context';

function estimate(over: Partial<ResourceEstimate> = {}): ResourceEstimate {
  const weightBytes = 1_200_000 * 4;
  return {
    format: 'pytorch',
    parameters: 1_200_000,
    weightBytes,
    bytesByDtype: { float32: weightBytes },
    servingBytes: weightBytes + Math.ceil(weightBytes * 0.2) + 256 * MiB,
    gpuBytes: Math.ceil(weightBytes * 1.2) + 512 * MiB,
    basis: BASIS,
    ...over,
  };
}

test('estimateLine: parameters, weights by dtype and the serving memory in one line', () => {
  assert.equal(
    estimateLine(estimate()),
    '1.2M parameters · 4.6 MiB weights (float32 4.6 MiB) · serve with ~262 MiB RAM, ~518 MiB GPU',
  );
});

test('estimateLine: the largest dtypes first, at most three, and a partial estimate says so', () => {
  const line = estimateLine(
    estimate({
      parameters: 842,
      weightBytes: 3000 + 2048 + 80 + 1,
      bytesByDtype: { int64: 80, float16: 2048, float32: 3000, bool: 1 },
      partial: 'byte size unknown for dtype object',
    }),
  );
  assert.equal(
    line,
    '842 parameters · 5.0 KiB weights (float32 2.9 KiB, float16 2.0 KiB, int64 80 B, +1 more) · serve with ~262 MiB RAM, ~518 MiB GPU · partial estimate',
  );
});

test('estimateLine: nothing counted shows 0 and no empty brackets', () => {
  const line = estimateLine(estimate({ parameters: 0, weightBytes: 0, bytesByDtype: {}, partial: 'nothing' }));
  assert.match(line, /^0 parameters · 0 B weights · serve with/);
});

test('estimateLines: exact count, every dtype, the Kubernetes request, basis and partial', () => {
  const lines = estimateLines(
    estimate({ bytesByDtype: { float32: 4_000_000, int64: 800_000 }, partial: 'the parser reported: truncated' }),
  );
  assert.deepEqual(lines, [
    'Parameters: 1,200,000 (1.2M), pytorch file',
    'Weights: 4.6 MiB (float32 3.8 MiB, int64 781.3 KiB)',
    'Serving memory: ~262 MiB RAM (Kubernetes request 262Mi)',
    'GPU memory: ~518 MiB (518Mi), when served on a GPU',
    `Basis: ${BASIS}`,
    'Partial: the parser reported: truncated',
  ]);
  assert.equal(estimateLines(estimate()).length, 5, 'no Partial line for a complete estimate');
});

test('formatCount: K, M, B, T with one decimal, small counts exact, rounding moves to the next unit', () => {
  assert.equal(formatCount(0), '0');
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(1000), '1.0K');
  assert.equal(formatCount(2410), '2.4K');
  assert.equal(formatCount(999_960), '1.0M');
  assert.equal(formatCount(7_241_732_096), '7.2B');
  assert.equal(formatCount(1.5e12), '1.5T');
});

test('kubernetesQuantity: Mi rounded up below 10 GiB, Gi rounded up from there', () => {
  assert.equal(kubernetesQuantity(268435456), '256Mi');
  assert.equal(kubernetesQuantity(268435457), '257Mi');
  assert.equal(kubernetesQuantity(1.5 * GiB), '1536Mi');
  assert.equal(kubernetesQuantity(1), '1Mi');
  assert.equal(kubernetesQuantity(0), '0Mi');
  assert.equal(kubernetesQuantity(10 * GiB - 1), '10240Mi');
  assert.equal(kubernetesQuantity(10 * GiB), '10Gi');
  assert.equal(kubernetesQuantity(10 * GiB + 1), '11Gi');
  assert.throws(() => kubernetesQuantity(-1), RangeError);
  assert.throws(() => kubernetesQuantity(Number.NaN), RangeError);
});
