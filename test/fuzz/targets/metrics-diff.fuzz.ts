/**
 * The metrics diff (JSON / YAML / CSV as flat key → value maps). The first byte picks the file
 * name (and so the format); the rest is the before and after versions, split at the first NUL.
 */
import { diffMetrics, metricsSummaryLine } from '../../../daemon/src/diff/metrics/MetricsDiff';
import { assertSerializable, expectParsedSync, fixtureBytes } from '../harness';

const FILES = ['metrics.json', 'metrics.yaml', 'metrics.csv', 'metrics.tsv', 'metrics'];

export function fuzz(data: Buffer): void {
  if (data.length === 0) return;
  const file = FILES[(data[0] as number) % FILES.length] as string;
  const body = data.subarray(1);
  const nul = body.indexOf(0);
  const before = nul < 0 ? body : body.subarray(0, nul);
  const after = nul < 0 ? Buffer.alloc(0) : body.subarray(nul + 1);
  const diff = expectParsedSync(file, () => diffMetrics(before, after, file));
  if (!diff) return;
  metricsSummaryLine(diff);
  assertSerializable(diff);
}

/** Each fixture paired with itself and with the next one of its kind, behind its format's byte. */
export function seeds(): Buffer[] {
  const byFormat: [number, RegExp][] = [
    [0, /\.json$/],
    [1, /\.ya?ml$/],
    [2, /\.csv$/],
    [3, /\.tsv$/],
  ];
  return byFormat.flatMap(([selector, pattern]) => {
    const files = fixtureBytes(['test/fixtures/metrics'], (f) => pattern.test(f) && !f.includes('expected'));
    return files.map((before, i) =>
      Buffer.concat([Buffer.from([selector]), before, Buffer.from([0]), files[(i + 1) % files.length] as Buffer]),
    );
  });
}
