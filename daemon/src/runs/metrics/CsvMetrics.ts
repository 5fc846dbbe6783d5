/**
 * CSV / TSV logs. A per-step log — as the metrics diff detects it: a step-like column (step,
 * epoch, iter, timestamp...) or a first column that strictly increases — gives one series per
 * other numeric column over the step column, skipping empty cells (loggers that write only some
 * columns per row leave the rest empty). The other step-like columns (an `epoch` beside `step`,
 * a `timestamp`) are positions too, not metrics, as in Lightning's and the Trainer's logs. Any
 * other table (predictions, a confusion matrix) holds no series: no metrics, and no error
 * either, since it is a fine file, just not a log.
 */
import { STEP_COLUMNS, isStepLog, parseCsv } from '../../diff/metrics/MetricsDiff';
import { SeriesCollector, numberOfText, textOf, type MetricsFile, type ParsedMetric } from './MetricsFile';

export interface Table {
  /** Trimmed header cells; a blank one is `column<N>` (1-based), as the diff names it. */
  columns: string[];
  rows: string[][];
  /** The last line had no line ending and fewer cells than the header: dropped as half-written. */
  truncatedTail: boolean;
}

/**
 * Step columns (or history keys) in the order one is preferred as the axis when there are
 * several: counters of optimizer steps before epochs; clocks only as a last resort.
 */
export const STEP_PREFERENCE = ['step', 'global_step', 'steps', 'iteration', 'iter', 'batch', 'epoch'];

/** A column name as the diff compares it with its step-column names. */
export function stepColumnKey(column: string): string {
  return column.toLowerCase().replace(/[\s-]+/g, '_');
}

/** Whether a column or key names a position (step, epoch, timestamp...) rather than a metric. */
export function isStepName(name: string): boolean {
  return STEP_COLUMNS.has(stepColumnKey(name));
}

/** Header and rows of a CSV / TSV text; null when it has no rows at all. */
export function readTable(text: string, delimiter: string): Table | null {
  const rows = parseCsv(text, delimiter);
  const header = rows.shift();
  if (!header) return null;
  const columns = header.map((h, i) => h.trim() || `column${i + 1}`);
  // Every CSV writer ends a row with a line ending; a last row without one and short of cells
  // is the part of a row a logger had written when the file was read.
  const last = rows[rows.length - 1];
  const truncatedTail = last !== undefined && !/[\r\n]$/.test(text) && last.length < columns.length;
  if (truncatedTail) rows.pop();
  return { columns, rows, truncatedTail };
}

/** Tab-separated by name, or when the header has tabs and no commas (as the diff decides). */
export function delimiterOf(relPath: string, text: string): string {
  if (relPath.toLowerCase().endsWith('.tsv')) return '\t';
  const firstLine = text.slice(0, text.search(/[\r\n]|$/));
  return firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',';
}

export function readCsvMetrics(relPath: string, bytes: Buffer): MetricsFile {
  const text = textOf(bytes);
  const table = readTable(text, delimiterOf(relPath, text));
  const file: MetricsFile = { format: 'csv', metrics: table ? seriesOfStepLog(table) : [] };
  if (table?.truncatedTail) file.truncatedTail = true;
  return file;
}

/** The series of a per-step log; [] for any other table. */
function seriesOfStepLog(table: Table): ParsedMetric[] {
  const { columns, rows } = table;
  if (columns.every((c) => numberOfText(c) !== null)) return []; // no header row: not a log we can name
  if (!isStepLog(columns, rows)) return [];
  const step = stepColumnOf(table);
  if (step === null) return [];
  const out = new SeriesCollector();
  columns.forEach((name, c) => {
    if (c === step || isStepName(name) || !isNumericColumn(rows, c)) return;
    for (const row of rows) {
      const s = numberOfText(row[step] ?? '');
      const v = numberOfText(row[c] ?? '');
      if (s !== null && v !== null) out.add(name, s, v);
    }
  });
  return out.metrics();
}

/** The axis: the preferred step-like column that holds numbers, else the first column. */
function stepColumnOf(table: Table): number | null {
  const keys = table.columns.map(stepColumnKey);
  const candidates = [
    ...STEP_PREFERENCE.map((k) => keys.indexOf(k)),
    ...table.columns.map((c, i) => (isStepName(c) ? i : -1)),
    0,
  ].filter((i) => i >= 0);
  return candidates.find((i) => isNumericColumn(table.rows, i)) ?? null;
}

/** Every non-empty cell is a number, and there is at least one. */
function isNumericColumn(rows: string[][], c: number): boolean {
  let seen = false;
  for (const row of rows) {
    const cell = row[c] ?? '';
    if (cell.trim() === '') continue;
    if (numberOfText(cell) === null) return false;
    seen = true;
  }
  return seen;
}
