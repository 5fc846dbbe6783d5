import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readCsvMetrics } from './CsvMetrics';
import { finalOf, fixtureBytes, metricOf, names } from './MetricsTestFixtures';

const csv = (text: string, relPath = 'outputs/log.csv') => readCsvMetrics(relPath, Buffer.from(text, 'utf8'));

describe('CSV / TSV logs', () => {
  test('a sparse per-step log: a series per column over `step`, empty cells skipped', () => {
    const file = readCsvMetrics('outputs/train_log.csv', fixtureBytes('outputs/train_log.csv'));
    assert.equal(file.format, 'csv');
    // epoch (another position) and timestamp (a clock) are not metrics.
    assert.deepEqual(names(file), ['train_loss', 'val_loss', 'lr']);
    assert.deepEqual(metricOf(file, 'val_loss'), { name: 'val_loss', steps: [200, 400], values: [0.8123, 0.6377] });
    assert.deepEqual(metricOf(file, 'train_loss').steps, [100, 200, 300, 400, 500]);
    assert.ok(Number.isNaN(finalOf(file, 'train_loss')), "a diverged loss logged as Python's nan");
    assert.equal(finalOf(file, 'lr'), 0.00025);
    assert.equal(file.truncatedTail, undefined);
  });

  test('TSV by extension, with an `iteration` axis', () => {
    const file = readCsvMetrics('outputs/curves.tsv', fixtureBytes('outputs/curves.tsv'));
    assert.deepEqual(names(file), ['loss', 'accuracy']);
    assert.deepEqual(metricOf(file, 'accuracy').steps, [1, 2, 3, 4]);
    assert.equal(finalOf(file, 'loss'), 0.9135);
  });

  test('a table that is not a log (predictions) holds no series, and is no error', () => {
    const file = readCsvMetrics('results/predictions.csv', fixtureBytes('results/predictions.csv'));
    assert.deepEqual(file, { format: 'csv', metrics: [] });
  });

  test('a first column that strictly increases is the axis, as the diff detects it', () => {
    const file = csv('n_estimators,score\n10,0.81\n50,0.86\n100,0.87\n');
    assert.deepEqual(file.metrics, [{ name: 'score', steps: [10, 50, 100], values: [0.81, 0.86, 0.87] }]);
  });

  test('a column with text in it is not a metric', () => {
    const file = csv('step,loss,phase\n1,0.9,train\n2,0.8,val\n');
    assert.deepEqual(names(file), ['loss']);
  });

  test('a half-written last row is set aside and the tail marked; a whole one without newline is kept', () => {
    const cut = csv('step,loss,acc\n1,0.9,0.5\n2,0.8');
    assert.equal(cut.truncatedTail, true);
    assert.deepEqual(metricOf(cut, 'loss').steps, [1]);
    const whole = csv('step,loss,acc\n1,0.9,0.5\n2,0.8,0.6');
    assert.equal(whole.truncatedTail, undefined);
    assert.deepEqual(metricOf(whole, 'loss').steps, [1, 2]);
  });

  test('empty, header-only and headerless files hold no metrics', () => {
    assert.deepEqual(csv('').metrics, []);
    assert.deepEqual(csv('step,loss\n').metrics, []);
    assert.deepEqual(csv('1,0.5\n2,0.4\n').metrics, []);
  });

  test('CRLF line endings, a BOM and quoted cells', () => {
    const file = csv('\ufeffstep,"val loss"\r\n1,"0.5"\r\n2,0.25\r\n');
    assert.deepEqual(file.metrics, [{ name: 'val loss', steps: [1, 2], values: [0.5, 0.25] }]);
  });
});
