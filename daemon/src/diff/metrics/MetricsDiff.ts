import { parse as parseYaml } from 'yaml';
import type { MetricChange, MetricsDiff } from '../../../../shared/src/diff';
import { MlsnapError } from '../../../../shared/src/errors';
import { signed } from '../../../../shared/src/signed';
import { MAX_JSON_NESTING, MAX_YAML_NESTING, jsonNestingExceeds, yamlNestingExceeds } from '../nesting';

/**
 * Diffs of metrics files (JSON, YAML, CSV) as flat key → value maps.
 *
 * JSON / YAML: nested objects become dotted keys (`eval.accuracy`). An array of numbers becomes
 * `key[-1]` (its last value) and `key.length`; an array of objects (a per-epoch history) becomes
 * its last element flattened under `key[-1]` and `key.length`; other arrays are compared as their
 * JSON text. Python's bare `NaN` / `Infinity` (json.dump writes them) are accepted, as strings.
 *
 * CSV (first row is the header; `.tsv` or a tab-only header means tab-separated):
 * - a per-step log — a column named step / epoch / iter / iteration / global_step / batch /
 *   timestamp / time / wall_time / walltime, or a first column that strictly increases over at
 *   least 2 rows — is compared at its end: for each column the value of the last row that has one
 *   (sparse loggers such as Lightning's CSVLogger leave cells empty), under the column's name;
 * - any other table is compared by column means (`mean(col)`) of its numeric columns (every
 *   non-empty cell numeric); non-numeric columns are left out.
 * Both add a `rows` key (the number of data rows).
 *
 * Direction: a key's name decides whether up or down is better. Tokens are split on
 * non-alphanumerics and camelCase, trailing digits dropped (`top1` → top; `f1`, `r2` kept); the
 * leaf of a dotted key is tried first, then the whole key; `down` words win over `up` words, so
 * `val_loss` and `accuracy_error` are `down`. A regression is a move the wrong way, or a
 * directional metric that became NaN / Infinity.
 */

type Scalar = number | string | null;
type Flat = Map<string, Scalar>;
type Format = MetricsDiff['format'];

const UP = new Set(['accuracy', 'acc', 'f1', 'auc', 'precision', 'recall', 'map', 'bleu', 'rouge', 'r2', 'score']);
const DOWN = new Set([
  'loss',
  'losses',
  'error',
  'errors',
  'err',
  'rmse',
  'mse',
  'mae',
  'perplexity',
  'ppl',
  'wer',
  'cer',
  'latency',
]);
const STEP_COLUMNS = new Set([
  'step',
  'steps',
  'epoch',
  'iter',
  'iteration',
  'global_step',
  'batch',
  'timestamp',
  'time',
  'wall_time',
  'walltime',
]);

export function diffMetrics(before: Buffer, after: Buffer, file: string): MetricsDiff {
  const format = formatOf(file, after.length > 0 ? after : before);
  const a = readMetrics(before, file, format, 'before');
  const b = readMetrics(after, file, format, 'after');
  const changes: MetricChange[] = [];
  const keys = [...b.keys(), ...[...a.keys()].filter((k) => !b.has(k))];
  for (const key of keys) {
    const va = a.has(key) ? (a.get(key) as Scalar) : null;
    const vb = b.has(key) ? (b.get(key) as Scalar) : null;
    if (a.has(key) && b.has(key) && sameValue(va, vb)) continue;
    changes.push(metricChange(key, va, vb));
  }
  return { type: 'metrics', format, changes };
}

/** "accuracy 0.91→0.87 (−4.4%, regression); 3 metrics changed" or "no metric changes". */
export function metricsSummaryLine(d: MetricsDiff): string {
  if (d.changes.length === 0) return 'no metric changes';
  const headline =
    d.changes.find((c) => c.regression) ??
    d.changes.find((c) => c.better !== null && c.delta !== null) ??
    d.changes.find((c) => c.delta !== null) ??
    d.changes[0];
  const parts: string[] = [];
  if (headline) {
    let s = `${headline.key} ${formatValue(headline.before)}→${formatValue(headline.after)}`;
    const notes: string[] = [];
    if (headline.percent !== null) notes.push(`${signed(headline.percent, 1)}%`);
    if (headline.regression) notes.push('regression');
    if (notes.length > 0) s += ` (${notes.join(', ')})`;
    parts.push(s);
  }
  const n = d.changes.length;
  const regressions = d.changes.filter((c) => c.regression).length;
  let tail = `${n} metric${n === 1 ? '' : 's'} changed`;
  if (regressions > 1) tail += `, ${regressions} regressions`;
  parts.push(tail);
  return parts.join('; ');
}

/** Which way a metric should move, from its name; null when the name says nothing. */
export function betterDirection(key: string): 'up' | 'down' | null {
  if (/\.length$/.test(key) || key === 'rows') return null;
  const leaf = key.split('.').pop() ?? key;
  return directionOfTokens(leaf) ?? directionOfTokens(key);
}

function directionOfTokens(name: string): 'up' | 'down' | null {
  // Tokens with and without camelCase splitting: `valLoss` → val, loss; `mAP50` → map.
  const tokens = [name.replace(/([a-z])([A-Z])/g, '$1 $2'), name]
    .flatMap((n) => n.toLowerCase().split(/[^a-z0-9]+/))
    .flatMap((t) => (/^[a-z]+\d+$/.test(t) && !UP.has(t) && !DOWN.has(t) ? [t.replace(/\d+$/, '')] : [t]))
    .filter((t) => t !== '');
  if (tokens.some((t) => DOWN.has(t))) return 'down';
  if (tokens.some((t) => UP.has(t))) return 'up';
  return null;
}

function metricChange(key: string, before: Scalar, after: Scalar): MetricChange {
  const better = betterDirection(key);
  const numeric = typeof before === 'number' && typeof after === 'number';
  const delta = numeric ? after - before : null;
  const percent = numeric && before !== 0 ? ((after - before) / Math.abs(before)) * 100 : null;
  let regression = false;
  if (delta !== null && better !== null) regression = better === 'up' ? delta < 0 : delta > 0;
  if (
    better !== null &&
    typeof before === 'number' &&
    typeof after === 'string' &&
    /^-?(nan|inf(inity)?)$/i.test(after)
  )
    regression = true;
  return { key, before, after, delta, percent, better, regression };
}

function sameValue(a: Scalar, b: Scalar): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}

function formatValue(v: Scalar): string {
  if (v === null) return '–';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  if (Math.abs(v) >= 1000) return String(Math.round(v * 100) / 100);
  return String(Number(v.toPrecision(4)));
}

// ---------------------------------------------------------------------------------------------
// Reading

function formatOf(file: string, sample: Buffer): Format {
  const lower = file.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  if (lower.endsWith('.csv') || lower.endsWith('.tsv')) return 'csv';
  const head = sample.subarray(0, 4096).toString('utf8').trimStart();
  if (head.startsWith('{') || head.startsWith('[')) return 'json';
  const firstLine = head.split('\n')[0] ?? '';
  if (firstLine.includes(',') && !firstLine.includes(': ')) return 'csv';
  return 'yaml';
}

function readMetrics(buf: Buffer, file: string, format: Format, side: 'before' | 'after'): Flat {
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const fail = (problem: string): never => {
    throw new MlsnapError('invalid-file', `${file}: ${problem} (${side} version)`, file);
  };
  if (format === 'csv') return readCsv(text, file.toLowerCase().endsWith('.tsv'), fail);
  let value: unknown;
  if (format === 'json') {
    try {
      value = parseJsonLenient(text);
    } catch (err) {
      fail(`not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else {
    // The yaml package recurses per level: a deep file would overflow the stack inside it.
    if (yamlNestingExceeds(text)) fail(`YAML nested deeper than ${MAX_YAML_NESTING} levels`);
    try {
      value = parseYaml(text);
    } catch (err) {
      fail(`not valid YAML: ${err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err)}`);
    }
  }
  // flatten() and JSON.stringify recurse per level of the document.
  if (jsonNestingExceeds(value)) fail(`nested deeper than ${MAX_JSON_NESTING} levels`);
  const flat: Flat = new Map();
  flatten(value, '', flat);
  return flat;
}

const NON_FINITE_TOKENS = /"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)/g;
const NON_FINITE_MARK = '\u0000mlsnap-nonfinite:';

/** JSON.parse, also accepting the bare NaN / Infinity / -Infinity that Python's json writes. */
function parseJsonLenient(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!/NaN|Infinity/.test(text)) throw err;
    const patched = text.replace(NON_FINITE_TOKENS, (m, token: string | undefined) =>
      token ? JSON.stringify(NON_FINITE_MARK + token) : m,
    );
    return JSON.parse(patched, (_k, v: unknown) =>
      typeof v === 'string' && v.startsWith(NON_FINITE_MARK) ? v.slice(NON_FINITE_MARK.length) : v,
    );
  }
}

function scalarOf(v: unknown): Scalar {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v) ?? null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function flatten(value: unknown, prefix: string, out: Flat): void {
  const key = (k: string): string => (prefix === '' ? k : `${prefix}.${k}`);
  if (isRecord(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0 && prefix !== '') out.set(prefix, '{}');
    for (const [k, v] of entries) flatten(v, key(k), out);
    return;
  }
  if (Array.isArray(value)) {
    const name = prefix === '' ? 'value' : prefix;
    if (value.length > 0 && value.every((v) => typeof v === 'number')) {
      out.set(`${name}[-1]`, scalarOf(value[value.length - 1]));
      out.set(`${name}.length`, value.length);
    } else if (value.length > 0 && value.every(isRecord)) {
      flatten(value[value.length - 1], `${name}[-1]`, out);
      out.set(`${name}.length`, value.length);
    } else {
      out.set(name, JSON.stringify(value));
    }
    return;
  }
  out.set(prefix === '' ? 'value' : prefix, scalarOf(value));
}

// CSV -------------------------------------------------------------------------------------------

/** RFC 4180 rows: quoted fields may hold delimiters, quotes ("") and newlines. */
export function parseCsv(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === delimiter) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      row.push(field);
      field = '';
      rows.push(row);
      row = [];
      if (ch === '\r' && text[i + 1] === '\n') i++;
    } else field += ch;
    i++;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

function toNumber(s: string): number | null {
  const t = s.trim();
  if (t === '') return null;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return null;
  return Number(t);
}

function readCsv(text: string, tsv: boolean, fail: (problem: string) => never): Flat {
  const firstLine = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length);
  const delimiter = tsv || (firstLine.includes('\t') && !firstLine.includes(',')) ? '\t' : ',';
  const rows = parseCsv(text, delimiter);
  const header = rows[0];
  if (!header || header.length === 0) fail('empty CSV: no header row');
  const columns = (header as string[]).map((h, i) => h.trim() || `column${i + 1}`);
  if (columns.every((c) => toNumber(c) !== null)) fail('CSV has no header row (the first row is all numbers)');
  const data = rows.slice(1);
  const out: Flat = new Map();
  out.set('rows', data.length);

  if (isStepLog(columns, data)) {
    columns.forEach((col, c) => {
      for (let r = data.length - 1; r >= 0; r--) {
        const cell = (data[r] as string[])[c];
        if (cell === undefined || cell.trim() === '') continue;
        out.set(col, toNumber(cell) ?? cell.trim());
        return;
      }
      out.set(col, null);
    });
    return out;
  }
  columns.forEach((col, c) => {
    let sum = 0;
    let n = 0;
    for (const row of data) {
      const cell = row[c];
      if (cell === undefined || cell.trim() === '') continue;
      const v = toNumber(cell);
      if (v === null) return; // not a numeric column
      sum += v;
      n++;
    }
    if (n > 0) out.set(`mean(${col})`, sum / n);
  });
  return out;
}

function isStepLog(columns: string[], data: string[][]): boolean {
  if (columns.some((c) => STEP_COLUMNS.has(c.toLowerCase().replace(/[\s-]+/g, '_')))) return true;
  if (data.length < 2) return false;
  let prev = -Infinity;
  for (const row of data) {
    const v = toNumber(row[0] ?? '');
    if (v === null || v <= prev) return false;
    prev = v;
  }
  return true;
}

export { STEP_COLUMNS, isStepLog, parseJsonLenient, toNumber };
