/**
 * Which files are metrics logs, by their project-relative path alone (the daemon decides before
 * reading a byte, and a path is all a glob sees). Tool layouts are recognised by the names the
 * tools write; plain JSON / YAML / CSV only when the name or folder says metrics or results,
 * since any config.json has numeric leaves too. Hidden segments (`.trash`, `.hydra`) are never
 * logs: MLflow keeps deleted runs in `mlruns/.trash`.
 */
import { TRAINING_LOG_INCLUDE } from '../../../../shared/src/domain';
import type { MetricFormat } from '../../../../shared/src/runs';
import { plotsDirIndex } from './DvcLive';
import { mlrunsIndex } from './MlflowMetrics';

/**
 * Globs (picomatch, project-relative, as DEFAULT_INCLUDE) that match every path metricsFormatOf
 * accepts and DEFAULT_INCLUDE does not (some overlap it, which is harmless). They match a little
 * more than it accepts (`results/hparams.yaml`, hidden folders when matched with `dot: true`):
 * the include decides what is recorded, metricsFormatOf what is read as metrics.
 */
export const METRICS_LOG_PATTERNS: readonly string[] = [
  // The tools' own layouts are tracked by default (DEFAULT_INCLUDE); the rest a user may add.
  ...TRAINING_LOG_INCLUDE,
  '**/version_*/metrics.csv',
  '**/plots/metrics/**/*.tsv',
  '**/*metrics*.{json,yaml,yml,csv,tsv}',
  '**/*results.{json,yaml,yml}',
  '**/results/**/*.{yaml,yml}',
  '**/{output,outputs,results,runs,logs,metrics}/**/*.{csv,tsv}',
  '**/*{log,history}.{csv,tsv}',
];

/** YAML files that sit beside metrics but hold settings (Lightning, DVC, DVCLive, MLflow, Hydra). */
const SETTINGS_YAML = new Set(['hparams.yaml', 'params.yaml', 'config.yaml', 'dvc.yaml', 'meta.yaml']);
/** Folders whose CSV / TSV files are logs: the default include's, plus the usual log folders. */
const LOG_FOLDERS = new Set(['output', 'outputs', 'results', 'runs', 'logs', 'metrics']);

/** Which reader a project-relative path calls for; null: not a metrics log. */
export function metricsFormatOf(relPath: string): MetricFormat | null {
  const segments = relPath.replace(/\\/g, '/').split('/');
  const base = segments[segments.length - 1] ?? '';
  if (segments.some((s) => s === '' || s.startsWith('.'))) return null;
  return toolFormatOf(segments, base) ?? plainFormatOf(segments, base);
}

function toolFormatOf(segments: string[], base: string): MetricFormat | null {
  const folders = segments.slice(0, -1);
  if (base.startsWith('events.out.tfevents.')) return 'tensorboard';
  if (mlrunsIndex(segments) >= 0) return 'mlflow';
  if (base === 'trainer_state.json') return 'hf-trainer-state';
  if (base === 'metrics.json' && folders[folders.length - 1] === 'dvclive') return 'dvclive';
  if (base.endsWith('.tsv') && plotsDirIndex(segments) >= 0) return 'dvclive';
  if (
    base === 'metrics.csv' &&
    (folders.includes('lightning_logs') || folders[folders.length - 1]?.startsWith('version_'))
  ) {
    return 'lightning-csv';
  }
  return null;
}

function plainFormatOf(segments: string[], base: string): MetricFormat | null {
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return null;
  const stem = base.slice(0, dot);
  const ext = base.slice(dot + 1);
  const folders = segments.slice(0, -1);
  const named = stem.includes('metrics') || stem.endsWith('results');
  if (ext === 'json') return named ? 'json' : null;
  if (ext === 'yaml' || ext === 'yml') {
    if (SETTINGS_YAML.has(base)) return null;
    return named || folders.includes('results') ? 'yaml' : null;
  }
  if (ext === 'csv' || ext === 'tsv') {
    const logName = stem.includes('metrics') || stem.endsWith('log') || stem.endsWith('history');
    return logName || folders.some((f) => LOG_FOLDERS.has(f)) ? 'csv' : null;
  }
  return null;
}

/** The plain reader a path's extension calls for, for files metricsFormatOf does not name. */
export function formatOfExtension(relPath: string): MetricFormat | null {
  const ext = relPath.slice(relPath.lastIndexOf('.') + 1).toLowerCase();
  if (ext === 'json') return 'json';
  if (ext === 'yaml' || ext === 'yml') return 'yaml';
  if (ext === 'csv' || ext === 'tsv') return 'csv';
  return null;
}
