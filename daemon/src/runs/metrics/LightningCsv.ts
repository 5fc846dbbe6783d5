/**
 * PyTorch Lightning's CSVLogger: `<save_dir>/<name>/version_<N>/metrics.csv`, written with
 * csv.DictWriter. The header is every key logged so far (`epoch`, `step` and one column per
 * metric — the file is rewritten when a new key appears); each row is one `log_metrics` call, so
 * a row fills only the columns that call logged (`train_loss_step` every few steps, `val_loss`
 * once an epoch) and leaves the rest empty. Steps are the `step` column. `hparams.yaml` beside it
 * holds hyperparameters, not metrics, and is not read here.
 */
import { readTable } from './CsvMetrics';
import { SeriesCollector, cellText, invalidMetricsFile, numberOfText, textOf, type MetricsFile } from './MetricsFile';

/** Columns Lightning writes for every row that are positions, not metrics. */
const POSITION_COLUMNS = new Set(['epoch', 'step']);

export function readLightningCsv(relPath: string, bytes: Buffer): MetricsFile {
  const table = readTable(textOf(bytes), ',');
  // Lightning writes the file whole at its first save; an empty one has logged nothing yet.
  if (!table) return { format: 'lightning-csv', metrics: [] };
  const step = table.columns.indexOf('step');
  if (step < 0) throw invalidMetricsFile(relPath, `no "step" column in the header (${table.columns.join(', ')})`);
  const out = new SeriesCollector();
  table.rows.forEach((row, r) => {
    // DictWriter writes every field of every row, so any other row length is damage.
    if (row.length !== table.columns.length) {
      throw invalidMetricsFile(relPath, `row ${r + 1} has ${row.length} cells, the header ${table.columns.length}`);
    }
    const s = numberOfText(row[step] ?? '');
    if (s === null)
      throw invalidMetricsFile(relPath, `row ${r + 1}: step ${cellText(row[step] ?? '')} is not a number`);
    table.columns.forEach((name, c) => {
      const cell = row[c] ?? '';
      if (POSITION_COLUMNS.has(name) || cell.trim() === '') return;
      const v = numberOfText(cell);
      if (v === null) throw invalidMetricsFile(relPath, `row ${r + 1}: ${name} ${cellText(cell)} is not a number`);
      out.add(name, s, v);
    });
  });
  const file: MetricsFile = { format: 'lightning-csv', metrics: out.metrics() };
  if (table.truncatedTail) file.truncatedTail = true;
  return file;
}
