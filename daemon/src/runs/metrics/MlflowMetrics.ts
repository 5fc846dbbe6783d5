/**
 * MLflow's local file store (`mlflow.set_tracking_uri("file:./mlruns")`, the default):
 * `mlruns/<experiment_id>/<run_id>/metrics/<key>`, one file per metric key; a key with `/`
 * (`val/acc`) is a path of folders. FileStore appends a line per log_metric call,
 * `<timestamp_ms> <value> <step>`, the value as Python's str(float) (`0.5`, `1e-05`, `nan`, `inf`).
 * Files from MLflow before steps existed have two fields, `<timestamp_ms> <value>`; MLflow reads
 * those at step 0, here they get the line's index so their history still reads as one.
 */
import { SeriesCollector, cellText, invalidMetricsFile, numberOfText, textOf, type MetricsFile } from './MetricsFile';

export function readMlflowMetric(relPath: string, bytes: Buffer): MetricsFile {
  const name = mlflowMetricNameOf(relPath);
  const lines = textOf(bytes)
    .split(/\r?\n/)
    .map((text, i) => ({ text, number: i + 1 }));
  // After the last newline: '' in a complete file, else the part of a line FileStore was
  // writing. Dropped when it is short of the fields the other lines have (or of two), so that a
  // half line never reads as a point; a whole line that only lacks its newline is kept.
  const tail = lines.pop();
  const complete = lines.filter((l) => l.text.trim() !== '');
  let truncatedTail = false;
  if (tail && tail.text.trim() !== '') {
    const fields = fieldsOf(tail.text).length;
    const first = complete[0];
    if (fields < 2 || (first !== undefined && fields < fieldsOf(first.text).length)) truncatedTail = true;
    else complete.push(tail);
  }
  const out = new SeriesCollector();
  complete.forEach((line, index) => {
    const point = pointOf(line.text, index);
    if (!point) {
      throw invalidMetricsFile(
        relPath,
        `line ${line.number} is not "<timestamp> <value> [<step>]": ${cellText(line.text)}`,
      );
    }
    out.add(name, point.step, point.value);
  });
  const file: MetricsFile = { format: 'mlflow', metrics: out.metrics() };
  if (truncatedTail) file.truncatedTail = true;
  return file;
}

/** The metric key: the path under the run's `metrics/` folder. */
export function mlflowMetricNameOf(relPath: string): string {
  const segments = relPath.split(/[\\/]/);
  const at = mlrunsIndex(segments);
  return (at < 0 ? segments.slice(-1) : segments.slice(at + 4)).join('/');
}

/** Where `mlruns/<experiment>/<run>/metrics/<key...>` starts among a path's segments; -1: nowhere. */
export function mlrunsIndex(segments: readonly string[]): number {
  for (let i = 0; i + 4 < segments.length; i++) {
    if (segments[i] === 'mlruns' && segments[i + 3] === 'metrics') return i;
  }
  return -1;
}

function fieldsOf(line: string): string[] {
  return line.trim().split(/\s+/);
}

/**
 * MLflow accepts 2 or 3 fields; a later version adding fields after the step (a model or
 * dataset id) still reads, since the first three keep their meaning.
 */
function pointOf(line: string, index: number): { step: number; value: number } | null {
  const [timestamp, value, step] = fieldsOf(line);
  if (timestamp === undefined || value === undefined || !/^-?\d+$/.test(timestamp)) return null;
  const v = numberOfText(value);
  if (v === null) return null;
  if (step === undefined) return { step: index, value: v };
  if (!/^-?\d+$/.test(step)) return null;
  return { step: Number(step), value: v };
}
