import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import picomatch from 'picomatch';
import { DEFAULT_INCLUDE } from '../../../../shared/src/domain';
import type { MetricFormat } from '../../../../shared/src/runs';
import { METRICS_LOG_PATTERNS, metricsFormatOf } from './MetricsPaths';
import { fixturePaths } from './MetricsTestFixtures';

const LOGS: [string, MetricFormat][] = [
  ['metrics.json', 'json'],
  ['eval/metrics_final.json', 'json'],
  ['out/eval_metrics.json', 'json'],
  ['hf-output/all_results.json', 'json'],
  ['results.json', 'json'],
  ['results/eval.yaml', 'yaml'],
  ['reports/test_results.yml', 'yaml'],
  ['metrics.yaml', 'yaml'],
  ['outputs/train_log.csv', 'csv'],
  ['runs/exp1/history.csv', 'csv'],
  ['logs/keras.tsv', 'csv'],
  ['training_log.csv', 'csv'],
  ['val_metrics.csv', 'csv'],
  ['lightning_logs/version_0/metrics.csv', 'lightning-csv'],
  ['logs/my_model/version_12/metrics.csv', 'lightning-csv'],
  ['lightning_logs/fold-1/metrics.csv', 'lightning-csv'],
  ['out/checkpoint-500/trainer_state.json', 'hf-trainer-state'],
  ['trainer_state.json', 'hf-trainer-state'],
  ['dvclive/metrics.json', 'dvclive'],
  ['dvclive/plots/metrics/loss.tsv', 'dvclive'],
  ['exp/dvclive/plots/metrics/train/loss.tsv', 'dvclive'],
  ['eval_live/plots/metrics/acc.tsv', 'dvclive'],
  ['runs/Jan01_12-00-00_host/events.out.tfevents.1704110400.host.1234.0', 'tensorboard'],
  ['logs/train/events.out.tfevents.1700000000.host.v2', 'tensorboard'],
  ['mlruns/0/4f1b2c3d4e5f60718293a4b5c6d7e8f9/metrics/loss', 'mlflow'],
  ['sub/mlruns/12/abc/metrics/val/acc', 'mlflow'],
  ['mlruns/0/abc/metrics/metrics.json', 'mlflow'],
];

const NOT_LOGS = [
  'package.json',
  'config.json',
  'tsconfig.json',
  'data/train.csv',
  'conf/config.yaml',
  'lightning_logs/version_0/hparams.yaml',
  'results/hparams.yaml',
  'dvclive/params.yaml',
  'dvclive/dvc.yaml',
  'dvclive/report.html',
  'dvclive/plots/images/sample.png',
  'dvclive/plots/sklearn/confusion.json',
  'mlruns/0/meta.yaml',
  'mlruns/0/abc/meta.yaml',
  'mlruns/0/abc/params/lr',
  'mlruns/0/abc/tags/mlflow.runName',
  'mlruns/0/abc/metrics',
  'mlruns/.trash/abc/metrics/loss',
  'outputs/.hydra/config.yaml',
  '.mlsnap/metrics.json',
  'model.pt',
  'train.ipynb',
  'notes/metrics.md',
  'events.txt',
  'runs/exp1/README',
];

describe('metricsFormatOf', () => {
  test('each tool layout and plain metrics file', () => {
    for (const [p, format] of LOGS) assert.equal(metricsFormatOf(p), format, p);
  });

  test('paths that are not metrics logs', () => {
    for (const p of NOT_LOGS) assert.equal(metricsFormatOf(p), null, p);
  });

  test('Windows separators read as slashes', () => {
    assert.equal(metricsFormatOf('lightning_logs\\version_0\\metrics.csv'), 'lightning-csv');
  });
});

describe('METRICS_LOG_PATTERNS', () => {
  // As TrackedPaths matches the include: picomatch with dot: true.
  const isLogPattern = picomatch([...METRICS_LOG_PATTERNS], { dot: true });
  const isDefault = picomatch([...DEFAULT_INCLUDE], { dot: true });

  test('with the default include, they match every path metricsFormatOf accepts; tool layouts on their own', () => {
    for (const [p, format] of LOGS) {
      assert.ok(isLogPattern(p) || isDefault(p), p);
      if (!['json', 'yaml', 'csv'].includes(format)) assert.ok(isLogPattern(p), p);
    }
  });

  test('they match every fixture metricsFormatOf accepts, the tool layouts on their own', () => {
    const accepted = fixturePaths().filter((p) => metricsFormatOf(p) !== null);
    assert.ok(accepted.length >= 20, `only ${accepted.length} fixtures accepted`);
    for (const p of accepted) assert.ok(isLogPattern(p) || isDefault(p), p);
    for (const p of accepted.filter((x) => !['json', 'yaml', 'csv'].includes(metricsFormatOf(x) as string))) {
      assert.ok(isLogPattern(p), p);
    }
  });
});
