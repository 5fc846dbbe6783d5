import { toNumber } from '../../diff/metrics/MetricsDiff';
import { MlsnapError } from '../../../../shared/src/errors';
import type { MetricFormat } from '../../../../shared/src/runs';

/** One metric as a file logged it. */
export interface ParsedMetric {
  name: string;
  /** In the order they were logged (ascending for every logger we read); [0] for a plain scalar. */
  steps: number[];
  values: number[];
}

export interface MetricsFile {
  format: MetricFormat;
  metrics: ParsedMetric[];
  /**
   * The file ends in an incomplete record or line, as a logger that is still writing leaves it:
   * `metrics` holds every complete one before it.
   */
  truncatedTail?: true;
}

/** The one error every reader throws: the file named in the message and as the path. */
export function invalidMetricsFile(relPath: string, problem: string): MlsnapError {
  return new MlsnapError('invalid-file', `${relPath}: ${problem}`, relPath);
}

/** Collects points per metric name, keeping names in the order they first appear. */
export class SeriesCollector {
  private readonly series = new Map<string, ParsedMetric>();

  add(name: string, step: number, value: number): void {
    let s = this.series.get(name);
    if (!s) {
      s = { name, steps: [], values: [] };
      this.series.set(name, s);
    }
    s.steps.push(step);
    s.values.push(value);
  }

  metrics(): ParsedMetric[] {
    return [...this.series.values()];
  }
}

// Python's str(float) and json.dump spell non-finite values these ways; loggers write them when
// a loss diverges, and a diverged run is exactly the one worth seeing.
const NON_FINITE: ReadonlyMap<string, number> = new Map([
  ['nan', NaN],
  ['-nan', NaN],
  ['inf', Infinity],
  ['+inf', Infinity],
  ['-inf', -Infinity],
  ['infinity', Infinity],
  ['+infinity', Infinity],
  ['-infinity', -Infinity],
]);

/** A text cell or field as a number: decimal notation as the metrics diff reads it, or nan / inf. */
export function numberOfText(text: string): number | null {
  const n = toNumber(text);
  if (n !== null) return n;
  return NON_FINITE.get(text.trim().toLowerCase()) ?? null;
}

/** The UTF-8 text of a file, without the byte-order mark some Windows tools write. */
export function textOf(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A cell of a damaged file, quoted and cut short for an error message. */
export function cellText(cell: string): string {
  return JSON.stringify(cell.length > 40 ? `${cell.slice(0, 40)}…` : cell);
}
