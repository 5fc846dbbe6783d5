/**
 * Plain metrics files (`metrics.json`, `results/eval.yaml`), read as the metrics diff reads them
 * but kept as series: nested objects flatten to dotted names (`eval.accuracy`), each numeric
 * leaf is one point at step 0, an array of numbers is a series over its indices, and an array
 * of objects (a per-epoch history) is a series per numeric key, over the objects' step key when
 * every object has one (`epoch`, `step`...), else over their indices; step-like keys are
 * positions there, not series (as in CSV logs). Strings, booleans and nulls are not metrics.
 * Python's bare NaN / Infinity are read as the numbers they stand for.
 */
import { parse as parseYaml } from 'yaml';
import { parseJsonLenient } from '../../diff/metrics/MetricsDiff';
import { MAX_YAML_NESTING, yamlNestingExceeds } from '../../diff/nesting';
import { STEP_PREFERENCE, isStepName } from './CsvMetrics';
import { SeriesCollector, invalidMetricsFile, textOf, type MetricsFile, type ParsedMetric } from './MetricsFile';

/** Deeper than any metrics file; the bound keeps a hostile file from exhausting the stack. */
const MAX_DEPTH = 64;

export function readJsonMetrics(relPath: string, bytes: Buffer): MetricsFile {
  return { format: 'json', metrics: metricsOfValue(parseJsonFile(relPath, bytes)) };
}

export function readYamlMetrics(relPath: string, bytes: Buffer): MetricsFile {
  const text = textOf(bytes);
  // The yaml package recurses per level: a deep file would overflow the stack inside it.
  if (yamlNestingExceeds(text)) throw invalidMetricsFile(relPath, `YAML nested deeper than ${MAX_YAML_NESTING} levels`);
  let value: unknown;
  try {
    // logLevel 'error': a damaged file's unknown tags are no reason to print process warnings.
    value = parseYaml(text, { logLevel: 'error' });
  } catch (err) {
    const message = err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
    throw invalidMetricsFile(relPath, `not valid YAML: ${message}`);
  }
  return { format: 'yaml', metrics: metricsOfValue(value) };
}

/** JSON as Python's json module writes it (bare NaN / Infinity allowed); invalid-file otherwise. */
export function parseJsonFile(relPath: string, bytes: Buffer): unknown {
  try {
    return parseJsonLenient(textOf(bytes));
  } catch (err) {
    throw invalidMetricsFile(relPath, `not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The metrics of a parsed JSON / YAML document (see the file comment). */
export function metricsOfValue(value: unknown, prefix = ''): ParsedMetric[] {
  const out = new SeriesCollector();
  collect(value, prefix, out, 0);
  return out.metrics();
}

/**
 * A leaf as a number. The lenient JSON parse hands Python's bare NaN / Infinity back as the
 * strings 'NaN' / 'Infinity' / '-Infinity' (the diff compares them as text); here they count.
 */
export function numberOfLeaf(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
  return null;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function dotted(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}

function collect(value: unknown, prefix: string, out: SeriesCollector, depth: number): void {
  if (depth > MAX_DEPTH) return;
  if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) collect(v, dotted(prefix, k), out, depth + 1);
    return;
  }
  // A bare number or array at the top has no key: the diff calls it `value`.
  const name = prefix === '' ? 'value' : prefix;
  if (Array.isArray(value)) {
    if (value.every(isRecord)) collectHistory(value, prefix, out, depth);
    else collectNumberArray(value, name, out);
    return;
  }
  const n = numberOfLeaf(value);
  if (n !== null) out.add(name, 0, n);
}

/** `[0.9, 0.7, null, 0.5]`: a series over the indices; nulls are gaps. Mixed arrays are not metrics. */
function collectNumberArray(items: unknown[], name: string, out: SeriesCollector): void {
  const numbers = items.map((v) => (v === null ? null : numberOfLeaf(v)));
  if (numbers.some((n, i) => n === null && items[i] !== null) || numbers.every((n) => n === null)) return;
  numbers.forEach((n, i) => {
    if (n !== null) out.add(name, i, n);
  });
}

/** `[{epoch: 1, loss: 0.5}, ...]`: a series per numeric key over the shared step key or the indices. */
function collectHistory(items: Record<string, unknown>[], prefix: string, out: SeriesCollector, depth: number): void {
  if (items.length === 0) return;
  // The same preference as a CSV log's: a history and a CSV of one run agree on their steps.
  const stepKey = STEP_PREFERENCE.find((k) => items.every((item) => numberOfLeaf(item[k]) !== null));
  items.forEach((item, i) => {
    const step = stepKey === undefined ? i : (numberOfLeaf(item[stepKey]) as number);
    for (const [name, value] of numericLeaves(item, prefix, depth + 1)) {
      if (isStepName(name.slice(name.lastIndexOf('.') + 1))) continue;
      out.add(name, step, value);
    }
  });
}

/** An object's numeric leaves under dotted names; arrays inside a history entry are not followed. */
function numericLeaves(value: Record<string, unknown>, prefix: string, depth: number): [string, number][] {
  if (depth > MAX_DEPTH) return [];
  const leaves: [string, number][] = [];
  for (const [k, v] of Object.entries(value)) {
    const name = dotted(prefix, k);
    if (isRecord(v)) leaves.push(...numericLeaves(v, name, depth + 1));
    else {
      const n = numberOfLeaf(v);
      if (n !== null) leaves.push([name, n]);
    }
  }
  return leaves;
}
