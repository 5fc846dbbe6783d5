/**
 * The text metrics readers, each handed the same bytes under a path it reads: plain JSON, YAML,
 * CSV and TSV, Lightning's CSVLogger, the Trainer's trainer_state.json, DVCLive's summary and
 * plots, MLflow's metric files. Every one must return or reject the file as invalid-file.
 */
import { readMetricsFile, runMetricsOf } from '../../../daemon/src/runs/metrics';
import { expectParsedSync, fixtureBytes } from '../harness';

/** One path per reader, as the daemon would meet it in a project. */
export const METRICS_PATHS = [
  'metrics.json',
  'results/eval.yaml',
  'outputs/train_log.csv',
  'outputs/curves.tsv',
  'lightning_logs/version_0/metrics.csv',
  'hf-output/checkpoint-30/trainer_state.json',
  'dvclive/metrics.json',
  'dvclive/plots/metrics/train/loss.tsv',
  'mlruns/0/4f1b2c3d4e5f60718293a4b5c6d7e8f9/metrics/val/acc',
];

export function fuzz(data: Buffer): void {
  for (const relPath of METRICS_PATHS) {
    const parsed = expectParsedSync(relPath, () => readMetricsFile(relPath, data));
    if (parsed) runMetricsOf(relPath, parsed);
  }
}

export function seeds(): Buffer[] {
  return fixtureBytes(['test/fixtures/metrics'], (f) => !/tfevents|\.py$|\.md$|expected/.test(f));
}
