import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MetricChange, MetricsDiff } from '../../../../shared/src/diff';
import { MlsnapError } from '../../../../shared/src/errors';
import { betterDirection, diffMetrics, metricsSummaryLine, parseCsv } from './MetricsDiff';

const buf = (s: string): Buffer => Buffer.from(s, 'utf8');

function change(d: MetricsDiff, key: string): MetricChange {
  const c = d.changes.find((x) => x.key === key);
  assert.ok(c, `no change for ${key} in ${d.changes.map((x) => x.key).join(', ')}`);
  return c;
}

describe('metric direction from names', () => {
  test('up, down, and down preferred', () => {
    const cases: [string, 'up' | 'down' | null][] = [
      ['accuracy', 'up'],
      ['val_acc', 'up'],
      ['eval.f1', 'up'],
      ['F1', 'up'],
      ['roc_auc', 'up'],
      ['mAP50', 'up'],
      ['bleu-4', 'up'],
      ['r2', 'up'],
      ['test.score', 'up'],
      ['loss', 'down'],
      ['val_loss', 'down'],
      ['valLoss', 'down'],
      ['train/loss[-1]', 'down'],
      ['rmse', 'down'],
      ['WER', 'down'],
      ['p95_latency_ms', 'down'],
      ['accuracy_error', 'down'],
      ['eval.perplexity', 'down'],
      ['loss.length', null],
      ['rows', null],
      ['learning_rate', null],
      ['epoch', null],
      ['errors.accuracy', 'up'],
    ];
    for (const [key, want] of cases) assert.equal(betterDirection(key), want, key);
  });
});

describe('JSON metrics', () => {
  const before = {
    accuracy: 0.91,
    eval: { loss: 0.3, f1: 0.8, details: { latency_ms: 12 } },
    loss: [1.2, 0.8, 0.5],
    epochs: 10,
    model: 'resnet18',
    log_history: [
      { step: 1, loss: 2 },
      { step: 2, loss: 1.5 },
    ],
  };
  const after = {
    accuracy: 0.87,
    eval: { loss: 0.25, f1: 0.8, details: { latency_ms: 15 } },
    loss: [1.2, 0.8, 0.5, 0.4],
    epochs: 10,
    model: 'resnet34',
    log_history: [
      { step: 1, loss: 2 },
      { step: 2, loss: 1.5 },
      { step: 3, loss: 1.2 },
    ],
    new_metric: 0,
  };

  test('nested keys, number arrays, histories, regression flags', () => {
    const d = diffMetrics(buf(JSON.stringify(before)), buf(JSON.stringify(after, null, 2)), 'metrics.json');
    assert.equal(d.format, 'json');
    const acc = change(d, 'accuracy');
    assert.equal(acc.before, 0.91);
    assert.equal(acc.after, 0.87);
    assert.ok(Math.abs((acc.delta ?? 0) + 0.04) < 1e-12);
    assert.ok(Math.abs((acc.percent ?? 0) + 4.3956) < 1e-3);
    assert.equal(acc.better, 'up');
    assert.equal(acc.regression, true);

    const evalLoss = change(d, 'eval.loss');
    assert.equal(evalLoss.better, 'down');
    assert.equal(evalLoss.regression, false);
    const latency = change(d, 'eval.details.latency_ms');
    assert.equal(latency.better, 'down');
    assert.equal(latency.regression, true);
    assert.equal(latency.percent, 25);

    const last = change(d, 'loss[-1]');
    assert.deepEqual([last.before, last.after, last.better, last.regression], [0.5, 0.4, 'down', false]);
    const len = change(d, 'loss.length');
    assert.deepEqual([len.before, len.after, len.better, len.regression], [3, 4, null, false]);
    assert.equal(change(d, 'log_history[-1].loss').after, 1.2);
    assert.equal(change(d, 'log_history[-1].step').after, 3);
    assert.equal(change(d, 'log_history.length').after, 3);

    const model = change(d, 'model');
    assert.deepEqual(
      [model.before, model.after, model.delta, model.percent, model.regression],
      ['resnet18', 'resnet34', null, null, false],
    );
    const added = change(d, 'new_metric');
    assert.deepEqual([added.before, added.after, added.delta, added.percent], [null, 0, null, null]);

    assert.equal(
      d.changes.find((c) => c.key === 'epochs' || c.key === 'eval.f1'),
      undefined,
      'unchanged keys are not listed',
    );
    assert.equal(
      metricsSummaryLine(d),
      `accuracy 0.91→0.87 (−4.4%, regression); ${d.changes.length} metrics changed, 2 regressions`,
    );
  });

  test('percent is null when before is 0; removed keys; Python NaN/Infinity', () => {
    const d = diffMetrics(
      buf('{"loss": 0, "gone": 1, "acc": 0.5}'),
      buf('{"loss": 0.2, "acc": NaN, "note": "Infinity"}'),
      'm.json',
    );
    const loss = change(d, 'loss');
    assert.equal(loss.percent, null);
    assert.ok(Math.abs((loss.delta ?? 0) - 0.2) < 1e-12);
    assert.equal(loss.regression, true);
    const gone = change(d, 'gone');
    assert.deepEqual([gone.before, gone.after], [1, null]);
    const acc = change(d, 'acc');
    assert.deepEqual([acc.before, acc.after, acc.delta, acc.regression], [0.5, 'NaN', null, true]);
    assert.equal(change(d, 'note').after, 'Infinity', 'a string that says Infinity stays a string');
  });

  test('invalid JSON names the file and the side', () => {
    assert.throws(
      () => diffMetrics(buf('{"a": 1}'), buf('{"a": '), 'runs/metrics.json'),
      (err: unknown) =>
        err instanceof MlsnapError &&
        err.kind === 'invalid-file' &&
        err.path === 'runs/metrics.json' &&
        /^runs\/metrics\.json: not valid JSON: .*\(after version\)$/.test(err.message),
    );
  });

  test('a file diffed with itself has no metric changes', () => {
    const text = buf(JSON.stringify(before));
    const d = diffMetrics(text, text, 'metrics.json');
    assert.deepEqual(d.changes, []);
    assert.equal(metricsSummaryLine(d), 'no metric changes');
    const nan = buf('{"x": NaN, "y": [1, NaN]}');
    assert.deepEqual(diffMetrics(nan, nan, 'metrics.json').changes, []);
  });
});

describe('YAML metrics', () => {
  const before =
    'model: bert\nmetrics:\n  eval_accuracy: 0.82\n  eval_loss: 0.41\n  wer: 0.12\nhistory:\n  - 1.0\n  - 0.7\n';
  const after =
    'model: bert\nmetrics:\n  eval_accuracy: 0.85\n  eval_loss: 0.45\n  wer: 0.12\nhistory:\n  - 1.0\n  - 0.7\n  - 0.6\n';

  test('flattened keys with directions and regressions', () => {
    const d = diffMetrics(buf(before), buf(after), 'results/metrics.yaml');
    assert.equal(d.format, 'yaml');
    assert.deepEqual(
      d.changes.map((c) => [c.key, c.better, c.regression]),
      [
        ['metrics.eval_accuracy', 'up', false],
        ['metrics.eval_loss', 'down', true],
        ['history[-1]', null, false],
        ['history.length', null, false],
      ],
    );
    assert.equal(metricsSummaryLine(d), 'metrics.eval_loss 0.41→0.45 (+9.8%, regression); 4 metrics changed');
    assert.deepEqual(diffMetrics(buf(before), buf(before), 'm.yml').changes, []);
  });

  test('invalid YAML is an invalid-file error', () => {
    assert.throws(
      () => diffMetrics(buf('a: [1, 2\nb: : :'), buf(after), 'params.yaml'),
      (err: unknown) =>
        err instanceof MlsnapError &&
        err.kind === 'invalid-file' &&
        err.message.startsWith('params.yaml: not valid YAML') &&
        err.message.endsWith('(before version)'),
    );
  });
});

describe('CSV metrics', () => {
  test('a per-step log compares the last value of each column (sparse rows too)', () => {
    const before =
      'epoch,step,train_loss,val_loss,val_acc\n0,100,0.9,,\n0,100,,0.8,0.70\n1,200,0.6,,\n1,200,,0.55,0.78\n';
    const after = before + '2,300,0.5,,\n2,300,,0.58,0.76\n';
    const d = diffMetrics(buf(before), buf(after), 'outputs/metrics.csv');
    assert.equal(d.format, 'csv');
    const byKey = Object.fromEntries(d.changes.map((c) => [c.key, c]));
    assert.deepEqual(Object.keys(byKey), ['rows', 'epoch', 'step', 'train_loss', 'val_loss', 'val_acc']);
    assert.deepEqual(
      [byKey['train_loss']?.before, byKey['train_loss']?.after, byKey['train_loss']?.regression],
      [0.6, 0.5, false],
    );
    assert.deepEqual(
      [byKey['val_loss']?.before, byKey['val_loss']?.after, byKey['val_loss']?.regression],
      [0.55, 0.58, true],
    );
    assert.deepEqual([byKey['val_acc']?.better, byKey['val_acc']?.regression], ['up', true]);
    assert.deepEqual([byKey['rows']?.before, byKey['rows']?.after, byKey['rows']?.better], [4, 6, null]);
    assert.match(
      metricsSummaryLine(d),
      /^val_loss 0\.55→0\.58 \(\+5\.5%, regression\); 6 metrics changed, 2 regressions$/,
    );
  });

  test('a log without a step column is recognised by its increasing first column; tabs', () => {
    const d = diffMetrics(buf('n\tloss\n1\t0.5\n2\t0.4\n'), buf('n\tloss\n1\t0.5\n2\t0.3\n'), 'run.tsv');
    assert.deepEqual(
      d.changes.map((c) => [c.key, c.before, c.after]),
      [['loss', 0.4, 0.3]],
    );
  });

  test('other tables compare numeric column means', () => {
    const before = 'class,precision,recall,label\ncat,0.9,0.8,a\ndog,0.7,0.6,b\n';
    const after = 'class,precision,recall,label\ncat,0.9,0.9,a\ndog,0.5,0.7,"b, c"\n';
    const d = diffMetrics(buf(before), buf(after), 'results/report.csv');
    assert.deepEqual(
      d.changes.map((c) => [c.key, c.better, c.regression]),
      [
        ['mean(precision)', 'up', true],
        ['mean(recall)', 'up', false],
      ],
    );
    assert.ok(Math.abs((change(d, 'mean(precision)').before as number) - 0.8) < 1e-12);
    assert.deepEqual(diffMetrics(buf(before), buf(before), 'report.csv').changes, []);
  });

  test('quoted fields, CRLF, and bad CSV', () => {
    assert.deepEqual(parseCsv('a,"b ""x"", y"\r\n1,"2\n3"\r\n', ','), [
      ['a', 'b "x", y'],
      ['1', '2\n3'],
    ]);
    assert.throws(
      () => diffMetrics(buf(''), buf('a,b\n1,2\n'), 'outputs/m.csv'),
      (err: unknown) =>
        err instanceof MlsnapError &&
        err.kind === 'invalid-file' &&
        err.message === 'outputs/m.csv: empty CSV: no header row (before version)',
    );
    assert.throws(
      () => diffMetrics(buf('1,2\n3,4\n'), buf('1,2\n3,4\n'), 'outputs/m.csv'),
      (err: unknown) =>
        err instanceof MlsnapError && err.kind === 'invalid-file' && err.message.includes('no header row'),
    );
  });
});
