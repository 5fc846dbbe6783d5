/**
 * DVCLive's files (`Live(dir="dvclive")`):
 * - `<dir>/metrics.json`: the latest value of every metric, nested by the `/` in its name
 *   (`log_metric("train/loss")` → {"train": {"loss": ...}}), plus `step`. Read as dotted names
 *   (`train.loss`, as DVC shows them), each one point at that `step` (0 when there is none).
 * - `<dir>/plots/metrics/<name>.tsv`: the history of one metric, appended a row per `next_step`:
 *   header `step\t<leaf>` or `timestamp\tstep\t<leaf>` (log_metric(timestamp=True)). The name is
 *   the path under plots/metrics without `.tsv`, so `plots/metrics/train/loss.tsv` → `train/loss`.
 *   DVCLive also logs strings; those rows are not points.
 */
import { metricsOfValue, isRecord, numberOfLeaf, parseJsonFile } from './JsonMetrics';
import { readTable } from './CsvMetrics';
import { SeriesCollector, cellText, invalidMetricsFile, numberOfText, textOf, type MetricsFile } from './MetricsFile';

/** The folders of a DVCLive directory that hold metric histories. */
export const DVCLIVE_PLOTS_DIR = ['plots', 'metrics'] as const;

export function readDvcLive(relPath: string, bytes: Buffer): MetricsFile {
  return relPath.endsWith('.tsv') ? readDvcLivePlot(relPath, bytes) : readDvcLiveSummary(relPath, bytes);
}

function readDvcLiveSummary(relPath: string, bytes: Buffer): MetricsFile {
  const summary = parseJsonFile(relPath, bytes);
  if (!isRecord(summary)) throw invalidMetricsFile(relPath, 'not a DVCLive summary: the top level is not an object');
  const step = numberOfLeaf(summary['step']) ?? 0;
  const values = Object.fromEntries(Object.entries(summary).filter(([key]) => key !== 'step'));
  const metrics = metricsOfValue(values).map((m) => ({
    ...m,
    // Arrays are not something log_metric writes; a scalar's one point moves to the summary's step.
    steps: m.steps.length === 1 ? [step] : m.steps,
  }));
  return { format: 'dvclive', metrics };
}

function readDvcLivePlot(relPath: string, bytes: Buffer): MetricsFile {
  const name = plotNameOf(relPath);
  const table = readTable(textOf(bytes), '\t');
  if (!table) return { format: 'dvclive', metrics: [] };
  const step = table.columns.indexOf('step');
  const valueColumns = table.columns.map((_c, i) => i).filter((i) => i !== step && table.columns[i] !== 'timestamp');
  const value = valueColumns[0];
  if (step < 0 || value === undefined || valueColumns.length > 1) {
    throw invalidMetricsFile(
      relPath,
      `not a DVCLive metric log: the header should be step and one value column (it is ${table.columns.join(', ')})`,
    );
  }
  const out = new SeriesCollector();
  table.rows.forEach((row, r) => {
    const s = numberOfText(row[step] ?? '');
    if (s === null)
      throw invalidMetricsFile(relPath, `row ${r + 1}: step ${cellText(row[step] ?? '')} is not a number`);
    const v = numberOfText(row[value] ?? '');
    if (v !== null) out.add(name, s, v);
  });
  const file: MetricsFile = { format: 'dvclive', metrics: out.metrics() };
  if (table.truncatedTail) file.truncatedTail = true;
  return file;
}

/** `dvclive/plots/metrics/train/loss.tsv` → `train/loss`. */
export function plotNameOf(relPath: string): string {
  const segments = relPath.split(/[\\/]/);
  const at = plotsDirIndex(segments);
  return (at < 0 ? segments : segments.slice(at + DVCLIVE_PLOTS_DIR.length)).join('/').replace(/\.tsv$/, '');
}

/** Where the last `plots/metrics` starts among a path's segments (the innermost DVCLive dir); -1: nowhere. */
export function plotsDirIndex(segments: readonly string[]): number {
  for (let i = segments.length - 3; i >= 0; i--) {
    if (segments[i] === DVCLIVE_PLOTS_DIR[0] && segments[i + 1] === DVCLIVE_PLOTS_DIR[1]) return i;
  }
  return -1;
}
