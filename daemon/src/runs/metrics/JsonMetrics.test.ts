import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readJsonMetrics, readYamlMetrics } from './JsonMetrics';
import { assertInvalidFile, finalOf, fixtureBytes, metricOf, names } from './MetricsTestFixtures';

const json = (text: string) => readJsonMetrics('metrics.json', Buffer.from(text, 'utf8'));
const yaml = (text: string) => readYamlMetrics('results/eval.yaml', Buffer.from(text, 'utf8'));

describe('plain JSON metrics', () => {
  test('the fixture: dotted leaves, Python NaN / Infinity, arrays, a per-epoch history', () => {
    const file = readJsonMetrics('metrics.json', fixtureBytes('metrics.json'));
    assert.equal(file.format, 'json');
    assert.deepEqual(names(file), [
      'accuracy',
      'eval.f1',
      'eval.loss',
      'eval.per_class.cat',
      'eval.per_class.dog',
      'diverged_aux_loss',
      'best_ppl',
      'train_loss',
      'history.loss',
      'history.val.loss',
      'history.val.acc',
    ]);
    assert.deepEqual(metricOf(file, 'accuracy'), { name: 'accuracy', steps: [0], values: [0.9132] });
    assert.ok(Number.isNaN(finalOf(file, 'diverged_aux_loss')));
    assert.equal(finalOf(file, 'best_ppl'), Infinity);
    // A null in a number array is a gap; the series keeps the indices of the rest.
    assert.deepEqual(metricOf(file, 'train_loss').steps, [0, 1, 2, 4]);
    assert.equal(finalOf(file, 'train_loss'), 0.4473);
    // The history's `epoch` is the axis, not a series; its string `note` is no metric.
    assert.deepEqual(metricOf(file, 'history.val.acc'), {
      name: 'history.val.acc',
      steps: [1, 2, 3],
      values: [0.6621, 0.7904, 0.8533],
    });
  });

  test('top-level numbers and arrays are named `value`, as the diff names them', () => {
    assert.deepEqual(json('0.5').metrics, [{ name: 'value', steps: [0], values: [0.5] }]);
    assert.deepEqual(json('[3, 2, 1]').metrics, [{ name: 'value', steps: [0, 1, 2], values: [3, 2, 1] }]);
  });

  test('a top-level history without step keys is a series per key over the indices', () => {
    const file = json('[{"loss": 1.0, "acc": 0.5}, {"loss": 0.5}, {"acc": 0.75}]');
    assert.deepEqual(file.metrics, [
      { name: 'loss', steps: [0, 1], values: [1.0, 0.5] },
      { name: 'acc', steps: [0, 2], values: [0.5, 0.75] },
    ]);
  });

  test('not metrics: strings, booleans, nulls, mixed arrays, empty containers', () => {
    assert.deepEqual(json('{"a": "x", "b": true, "c": null, "d": [1, "two"], "e": [], "f": {}}').metrics, []);
    assert.deepEqual(json('"NaN"').metrics, [{ name: 'value', steps: [0], values: [NaN] }]);
  });

  test('very deep nesting is cut off, not a stack overflow', () => {
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    assert.deepEqual(json(deep).metrics, []);
  });

  test('truncated or corrupt JSON is invalid-file naming the file', () => {
    const whole = fixtureBytes('metrics.json').toString('utf8');
    assertInvalidFile(() => json(whole.slice(0, whole.length / 2)), 'metrics.json', /not valid JSON/);
    assertInvalidFile(() => json(''), 'metrics.json', /not valid JSON/);
    assertInvalidFile(() => json('{"loss": 0.5,, }'), 'metrics.json', /not valid JSON/);
  });
});

describe('plain YAML metrics', () => {
  test('the fixture: dotted leaves, YAML .nan, a list as a series, strings left out', () => {
    const file = readYamlMetrics('results/eval.yaml', fixtureBytes('results/eval.yaml'));
    assert.equal(file.format, 'yaml');
    assert.deepEqual(names(file), [
      'test.accuracy',
      'test.loss',
      'test.calibration_error',
      'per_epoch_val_loss',
      'timing.seconds',
    ]);
    assert.equal(finalOf(file, 'test.accuracy'), 0.9051);
    assert.ok(Number.isNaN(finalOf(file, 'test.calibration_error')));
    assert.deepEqual(metricOf(file, 'per_epoch_val_loss').steps, [0, 1, 2]);
  });

  test('an empty document holds no metrics; a broken one is invalid-file', () => {
    assert.deepEqual(yaml('').metrics, []);
    assertInvalidFile(() => yaml('test:\n  accuracy: [0.9\n'), 'results/eval.yaml', /not valid YAML/);
    assertInvalidFile(() => yaml('a: 1\na: 2\n'), 'results/eval.yaml', /not valid YAML/);
  });
});
