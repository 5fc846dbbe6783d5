import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { plotNameOf, readDvcLive } from './DvcLive';
import { assertInvalidFile, fixtureBytes, metricOf, names } from './MetricsTestFixtures';

const dvclive = (relPath: string, text: string) => readDvcLive(relPath, Buffer.from(text, 'utf8'));

describe('DVCLive', () => {
  test('metrics.json: the latest values, nested names dotted, all at the summary step', () => {
    const file = readDvcLive('dvclive/metrics.json', fixtureBytes('dvclive/metrics.json'));
    assert.equal(file.format, 'dvclive');
    assert.deepEqual(file.metrics, [
      { name: 'train.loss', steps: [4], values: [0.2104] },
      { name: 'eval.acc', steps: [4], values: [0.9087] },
      { name: 'lr', steps: [4], values: [0.0001] },
    ]);
  });

  test('plots/metrics/<name>.tsv: a history per file, named by its path, with or without timestamps', () => {
    const loss = readDvcLive(
      'dvclive/plots/metrics/train/loss.tsv',
      fixtureBytes('dvclive/plots/metrics/train/loss.tsv'),
    );
    assert.deepEqual(names(loss), ['train/loss']);
    assert.deepEqual(metricOf(loss, 'train/loss').steps, [0, 1, 2, 3, 4]);
    assert.equal(metricOf(loss, 'train/loss').values[4], 0.2104);
    const acc = readDvcLive('dvclive/plots/metrics/eval/acc.tsv', fixtureBytes('dvclive/plots/metrics/eval/acc.tsv'));
    assert.deepEqual(metricOf(acc, 'eval/acc').values, [0.6512, 0.7733, 0.841, 0.8876, 0.9087]);
    // Written on Windows: os.linesep line endings.
    const lr = readDvcLive('dvclive/plots/metrics/lr.tsv', fixtureBytes('dvclive/plots/metrics/lr.tsv'));
    assert.deepEqual(metricOf(lr, 'lr').steps, [0, 1, 2, 3, 4]);
  });

  test('plot names', () => {
    assert.equal(plotNameOf('dvclive/plots/metrics/train/loss.tsv'), 'train/loss');
    assert.equal(plotNameOf('exp/eval/plots/metrics/acc.tsv'), 'acc');
  });

  test('string values are not points; a half-written last row is set aside', () => {
    const file = dvclive('dvclive/plots/metrics/phase.tsv', 'step\tphase\n0\twarmup\n1\t0.5\n2\t0.');
    assert.deepEqual(file.metrics, [{ name: 'phase', steps: [1, 2], values: [0.5, 0] }]);
    const cut = dvclive('dvclive/plots/metrics/loss.tsv', 'step\tloss\n0\t0.9\n1');
    assert.equal(cut.truncatedTail, true);
    assert.deepEqual(cut.metrics, [{ name: 'loss', steps: [0], values: [0.9] }]);
  });

  test('damage is invalid-file naming the file', () => {
    const tsv = 'dvclive/plots/metrics/loss.tsv';
    assertInvalidFile(() => dvclive(tsv, 'epoch\tloss\n0\t1\n'), tsv, /header should be step and one value column/);
    assertInvalidFile(() => dvclive(tsv, 'step\tloss\tacc\n0\t1\t2\n'), tsv, /one value column/);
    assertInvalidFile(() => dvclive(tsv, 'step\tloss\nx\t1\n'), tsv, /row 1: step "x" is not a number/);
    assertInvalidFile(() => dvclive('dvclive/metrics.json', '[1, 2]'), 'dvclive/metrics.json', /not an object/);
    assertInvalidFile(() => dvclive('dvclive/metrics.json', '{"train": {'), 'dvclive/metrics.json', /not valid JSON/);
  });
});
