import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertInvalidFile, fixtureBytes } from './MetricsTestFixtures';
import { mlflowMetricNameOf, readMlflowMetric } from './MlflowMetrics';

const RUN = 'mlruns/0/4f1b2c3d4e5f60718293a4b5c6d7e8f9';
const OLD_RUN = 'mlruns/1/0a9b8c7d6e5f40312213c4d5e6f7a8b9';
const mlflow = (text: string, relPath = `${RUN}/metrics/loss`) => readMlflowMetric(relPath, Buffer.from(text, 'utf8'));

describe("MLflow's file store", () => {
  test('<timestamp> <value> <step> lines, the key as the metric name', () => {
    const file = readMlflowMetric(`${RUN}/metrics/loss`, fixtureBytes(`${RUN}/metrics/loss`));
    assert.deepEqual(file, {
      format: 'mlflow',
      metrics: [{ name: 'loss', steps: [0, 1, 2, 3, 4], values: [0.9312, 0.6105, 0.4388, 0.3017, 0.2104] }],
    });
  });

  test('a key with slashes is a path of folders under metrics/', () => {
    const rel = `${RUN}/metrics/val/acc`;
    assert.equal(mlflowMetricNameOf(rel), 'val/acc');
    assert.equal(mlflowMetricNameOf('mlruns\\0\\abc\\metrics\\val\\acc'), 'val/acc');
    assert.deepEqual(readMlflowMetric(rel, fixtureBytes(rel)).metrics, [
      { name: 'val/acc', steps: [0, 2, 4], values: [0.6512, 0.841, 0.9087] },
    ]);
  });

  test("values as Python's str(float): nan, inf, 1e-05", () => {
    const rel = `${RUN}/metrics/grad_scale`;
    const [m] = readMlflowMetric(rel, fixtureBytes(rel)).metrics;
    assert.ok(m);
    assert.ok(Number.isNaN(m.values[0] as number));
    assert.deepEqual(m.values.slice(1), [Infinity, 0.00001]);
  });

  test('old two-field files: the line index stands for the step', () => {
    const rel = `${OLD_RUN}/metrics/accuracy`;
    assert.deepEqual(readMlflowMetric(rel, fixtureBytes(rel)).metrics, [
      { name: 'accuracy', steps: [0, 1, 2], values: [0.71, 0.78, 0.83] },
    ]);
  });

  test('a half-written last line is set aside and the tail marked; a whole one without newline is kept', () => {
    const cut = mlflow('1700000010000 0.9 0\n1700000020000 0.8');
    assert.equal(cut.truncatedTail, true);
    assert.deepEqual(cut.metrics[0]?.steps, [0]);
    const whole = mlflow('1700000010000 0.9 0\n1700000020000 0.8 1');
    assert.equal(whole.truncatedTail, undefined);
    assert.deepEqual(whole.metrics[0]?.steps, [0, 1]);
    assert.deepEqual(mlflow('').metrics, []);
  });

  test('a malformed line is invalid-file naming the file and the line', () => {
    const rel = `${RUN}/metrics/loss`;
    assertInvalidFile(() => mlflow('1700000010000 0.9 0\nhello world\n'), rel, /line 2 is not/);
    assertInvalidFile(() => mlflow('1700000010000 0.9x 0\n'), rel, /line 1 is not/);
    assertInvalidFile(() => mlflow('1700000010000\n'), rel, /line 1 is not/);
    assertInvalidFile(() => mlflow('1700000010000 0.9 1.5\n'), rel, /line 1 is not/);
  });
});
