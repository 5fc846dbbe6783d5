/**
 * The metrics a training run logged, read from the files it wrote in the formats people already
 * use — plain JSON / YAML / CSV, Lightning's CSVLogger, Hugging Face's trainer_state.json,
 * DVCLive, TensorBoard event files, MLflow's file store — by parsing only: nothing is executed,
 * unpickled or imported. Every reader throws MlsnapError('invalid-file') naming the file on
 * damaged input, and marks `truncatedTail` where a logger that is still writing left a half
 * record that the reader could set aside.
 */
import { betterDirection } from '../../diff/metrics/MetricsDiff';
import type { MetricFormat, RunMetric } from '../../../../shared/src/runs';
import { readCsvMetrics } from './CsvMetrics';
import { readDvcLive } from './DvcLive';
import { readJsonMetrics, readYamlMetrics } from './JsonMetrics';
import { readLightningCsv } from './LightningCsv';
import { invalidMetricsFile, type MetricsFile } from './MetricsFile';
import { formatOfExtension, metricsFormatOf } from './MetricsPaths';
import { readMlflowMetric } from './MlflowMetrics';
import { readTensorBoard } from './TensorBoard';
import { readTrainerState } from './TrainerState';

export type { MetricsFile, ParsedMetric } from './MetricsFile';
export { METRICS_LOG_PATTERNS, metricsFormatOf } from './MetricsPaths';

const READERS: Record<MetricFormat, (relPath: string, bytes: Buffer) => MetricsFile> = {
  json: readJsonMetrics,
  yaml: readYamlMetrics,
  csv: readCsvMetrics,
  'lightning-csv': readLightningCsv,
  'hf-trainer-state': readTrainerState,
  dvclive: readDvcLive,
  tensorboard: readTensorBoard,
  mlflow: readMlflowMetric,
};

/**
 * Parse a metrics file. The reader is the one metricsFormatOf names; a path it does not name
 * but whose extension is .json / .yaml / .yml / .csv / .tsv (a file a user pointed at) is read
 * as that plain format. Throws MlsnapError('invalid-file', '<path>: <what is wrong>', path).
 */
export function readMetricsFile(relPath: string, bytes: Buffer): MetricsFile {
  const format = metricsFormatOf(relPath) ?? formatOfExtension(relPath);
  if (format === null) throw invalidMetricsFile(relPath, 'not a metrics file mlsnap can read');
  return READERS[format](relPath, bytes);
}

/** One RunMetric per parsed metric with points: its last value, its point count, its direction. */
export function runMetricsOf(relPath: string, file: MetricsFile): RunMetric[] {
  return file.metrics
    .filter((m) => m.values.length > 0)
    .map((m) => ({
      name: m.name,
      final: m.values[m.values.length - 1] as number,
      points: m.values.length,
      source: relPath,
      format: file.format,
      better: betterDirection(m.name),
    }));
}
