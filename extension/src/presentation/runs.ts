import type {
  MetricComparison,
  MetricTrend,
  ParamValue,
  RunComparison,
  RunMetric,
  RunOutput,
  RunSummary,
} from '../../../shared/src/runs';
import { age as sharedAge } from '../../../shared/src/age';
import { MINUS, signed } from '../../../shared/src/signed';

/**
 * Text and models for runs in the editor: the Runs view's rows, the Runs table (columns, rows,
 * changed cells, sorting, filtering), a comparison as rows to render, a model's trend and the
 * regression alert. Pure (no vscode, no DOM): unit tested, and bundled into the table's webview
 * too, so the table sorts and filters with the same code the tests check.
 */

export type Direction = 'up' | 'down' | null;
export type Verdict = 'better' | 'worse' | 'same' | 'unknown';

/** How a run's source groups it: the notebook or script; `mlsnap run`s of no tracked file share one group. */
export const COMMANDS_GROUP = '(commands)';

export function sourceKey(run: Pick<RunSummary, 'source'>): string {
  return run.source ?? COMMANDS_GROUP;
}

/** `r` and the first 8 hex digits: unique enough to read, and a prefix the daemon resolves. */
export function shortRunId(id: string): string {
  return id.slice(0, 9);
}

/** A parameter's value as code writes it (strings bare, as the CLI shows them); long ones cut. */
export function paramText(value: ParamValue | undefined, max = 40): string {
  if (value === undefined) return '—';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A metric's value: integers whole, others to 4 significant digits; null (NaN, ∞) as NaN; missing as —. */
export function metricText(n: number | null | undefined): string {
  if (n === undefined) return '—';
  if (n === null || !Number.isFinite(n)) return 'NaN';
  if (Number.isInteger(n)) return String(n);
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e6)) return n.toExponential(3).replace(/\.?0+e/, 'e');
  return n
    .toPrecision(4)
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}

/** "12.3%" (no sign: the words around it say which way). */
export function percentText(p: number): string {
  return `${Math.abs(p).toFixed(1)}%`;
}

/** The previous run of the same source in a newest-first list, or undefined for its first. */
export function previousRun(run: RunSummary, newestFirst: readonly RunSummary[]): RunSummary | undefined {
  const i = newestFirst.findIndex((r) => r.id === run.id);
  if (i < 0) return undefined;
  const key = sourceKey(run);
  for (let j = i + 1; j < newestFirst.length; j++) {
    const r = newestFirst[j];
    if (r && sourceKey(r) === key) return r;
  }
  return undefined;
}

/** The metric a run is judged by: the first one with a direction (and a value), else the first. */
export function headlineMetric(run: Pick<RunSummary, 'metrics'>): RunMetric | undefined {
  return run.metrics.find((m) => m.better !== null && m.final !== null) ?? run.metrics[0];
}

/** better / worse by direction, same, or unknown (no direction, a side missing or NaN). */
export function verdictOf(
  before: number | null | undefined,
  after: number | null | undefined,
  better: Direction,
): Verdict {
  if (before === undefined || after === undefined || before === null || after === null) return 'unknown';
  if (before === after) return 'same';
  if (better === null) return 'unknown';
  return (better === 'up') === after > before ? 'better' : 'worse';
}

/** Percent change relative to the older value (as the daemon's comparison computes it); null from 0. */
export function percentChange(before: number, after: number): number | null {
  return before === 0 ? null : ((after - before) / Math.abs(before)) * 100;
}

function sameValue(a: ParamValue | undefined, b: ParamValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface ParamShown {
  name: string;
  value: ParamValue | undefined;
  /** The previous run's value; absent for a first run. */
  before?: ParamValue | undefined;
}

/**
 * What the Runs view shows of a run's parameters: those that changed since the previous run of
 * its source (a parameter dropped shows as —), or all of them for a source's first run.
 */
export function shownParams(
  run: RunSummary,
  previous: RunSummary | undefined,
): { first: boolean; params: ParamShown[] } {
  if (!previous) return { first: true, params: run.params.map((p) => ({ name: p.name, value: p.value })) };
  const params: ParamShown[] = [];
  for (const p of run.params) {
    const before = previous.params.find((q) => q.name === p.name)?.value;
    if (!sameValue(before, p.value)) params.push({ name: p.name, value: p.value, before });
  }
  for (const q of previous.params)
    if (!run.params.some((p) => p.name === q.name)) params.push({ name: q.name, value: undefined, before: q.value });
  return { first: false, params };
}

/** The Runs view's row label: "HIDDEN=64 EPOCHS=1", "same parameters", "no parameters". */
export function runLabel(run: RunSummary, previous: RunSummary | undefined, max = 60): string {
  const { first, params } = shownParams(run, previous);
  if (params.length === 0) return first || run.params.length === 0 ? 'no parameters' : 'same parameters';
  const parts = params.map((p) => `${p.name}=${paramText(p.value, 24)}`);
  let text = '';
  let shown = 0;
  for (const part of parts) {
    const next = text === '' ? part : `${text} ${part}`;
    if (shown > 0 && next.length > max) break;
    text = next;
    shown++;
  }
  return shown < parts.length ? `${text} +${parts.length - shown} more` : text;
}

export interface Headline {
  metric: RunMetric;
  verdict: Verdict;
  /** "mlp_accuracy 0.96 (−1.2%)" */
  text: string;
}

/** The headline metric with how it moved since the previous run of the source. */
export function headline(run: RunSummary, previous: RunSummary | undefined): Headline | undefined {
  const metric = headlineMetric(run);
  if (!metric) return undefined;
  const before = previous?.metrics.find((m) => m.name === metric.name)?.final;
  const verdict = verdictOf(before, metric.final, metric.better);
  let change = '';
  if (before !== undefined && before !== null && metric.final !== null && before !== metric.final) {
    const p = percentChange(before, metric.final);
    change = p === null ? ` (${signed(metric.final - before, 4)})` : ` (${signed(p, 1)}%)`;
  }
  return { metric, verdict, text: `${metric.name} ${metricText(metric.final)}${change}` };
}

export function age(ms: number, now = Date.now()): string {
  return sharedAge(ms, now, 'compact');
}

/**
 * How a run went against the previous run of its source: its headline metric, and the first
 * other metric that got worse by more than the threshold (the headline may be one that did
 * not move: an accuracy of a model the run did not change). `worse` when either did.
 */
export function runOutcome(
  run: RunSummary,
  previous: RunSummary | undefined,
  thresholdPercent = 5,
): { headline: Headline | undefined; regression: Regression | undefined; verdict: Verdict } {
  const h = headline(run, previous);
  const regression = previous
    ? regressions(run, previous, thresholdPercent).find((r) => r.metric !== h?.metric.name)
    : undefined;
  const verdict = h?.verdict === 'worse' || regression ? 'worse' : (h?.verdict ?? 'unknown');
  return { headline: h, regression, verdict };
}

/** "mlp_accuracy 0.96 (−1.2%) · 3m ago · rb9ed9ae1"; "logreg_accuracy 0.97 · ⚠ mlp_loss +40.0% · …" */
export function runDescription(
  run: RunSummary,
  previous: RunSummary | undefined,
  now = Date.now(),
  thresholdPercent = 5,
): string {
  const o = runOutcome(run, previous, thresholdPercent);
  const h = o.headline;
  const r = o.regression;
  const also =
    r && h?.verdict !== 'worse' ? `⚠ ${r.metric} ${r.percent === null ? 'worse' : `${signed(r.percent, 1)}%`} · ` : '';
  const running = run.finishedAt === null ? 'running · ' : '';
  const failed = run.exitCode !== null && run.exitCode !== 0 ? `exit ${run.exitCode} · ` : '';
  return `${h ? `${h.text} · ` : ''}${also}${running}${failed}${age(run.startedAt, now)} · ${shortRunId(run.id)}`;
}

function durationText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

function mdEscape(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}

/** The Runs view's hover: what ran, when, on what, every parameter and metric, what it wrote. */
export function runMarkdown(run: RunSummary, previous: RunSummary | undefined): string {
  const what = run.kind === 'command' ? (run.argv ?? []).join(' ') : (run.source ?? '?');
  const lines = [`**${mdEscape(what)}** · run \`${run.id}\``, ''];
  const when = new Date(run.startedAt)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  lines.push(
    `Started ${when}${run.finishedAt === null ? ' · still running' : ` · took ${durationText(run.finishedAt - run.startedAt)}`}`,
  );
  if (run.exitCode !== null) lines.push('', `Exit status ${run.exitCode}`);
  if (run.interpreter) lines.push('', `Python: \`${run.interpreter}\``);
  if (run.git)
    lines.push(
      '',
      `Git: ${run.git.branch ?? 'detached'} ${run.git.commit ? run.git.commit.slice(0, 10) : 'no commit'}${run.git.dirty ? ' (dirty)' : ''}`,
    );
  if (run.params.length > 0) {
    lines.push('', '| parameter | value | before |', '|---|---|---|');
    for (const p of run.params) {
      const before = previous?.params.find((q) => q.name === p.name)?.value;
      const changed = previous !== undefined && !sameValue(before, p.value);
      lines.push(
        `| ${mdEscape(p.name)} | ${mdEscape(paramText(p.value))} | ${changed ? mdEscape(paramText(before)) : ''} |`,
      );
    }
  }
  if (run.metrics.length > 0) {
    lines.push('', '| metric | final | before |', '|---|---|---|');
    for (const m of run.metrics) {
      const before = previous?.metrics.find((q) => q.name === m.name)?.final;
      const v = verdictOf(before, m.final, m.better);
      const mark = v === 'better' ? ' ✓' : v === 'worse' ? ' ✗' : '';
      lines.push(
        `| ${mdEscape(m.name)}${m.points > 1 ? ` (${m.points} points)` : ''} | ${metricText(m.final)}${mark} | ${previous ? metricText(before) : ''} |`,
      );
    }
  }
  lines.push(
    '',
    run.outputs.length === 0
      ? 'Wrote no tracked file'
      : `Wrote ${run.outputs.map((o) => `${mdEscape(o.path)}@${o.seq}`).join(', ')}`,
  );
  return lines.join('\n');
}

// --- regressions -------------------------------------------------------------------------------

export interface Regression {
  metric: string;
  better: 'up' | 'down';
  before: number;
  after: number;
  /** Relative change in percent (signed, as the comparison gives it); null when the old value was 0. */
  percent: number | null;
}

/**
 * The metrics with a direction that got worse from `previous` to `run` by more than
 * `thresholdPercent` percent of the old value (0: any worsening), in the run's order of metrics
 * (the headline metric, the first with a direction, comes first: percentages of an accuracy
 * and of a loss do not compare, so none is "worst").
 */
export function regressions(run: RunSummary, previous: RunSummary, thresholdPercent: number): Regression[] {
  const threshold = Math.max(0, thresholdPercent);
  const out: Regression[] = [];
  for (const m of run.metrics) {
    if (m.better === null || m.final === null) continue;
    const before = previous.metrics.find((q) => q.name === m.name)?.final;
    if (before === undefined || before === null) continue;
    if (verdictOf(before, m.final, m.better) !== 'worse') continue;
    const percent = percentChange(before, m.final);
    // From 0 any change is infinitely large: it passes every threshold. "More than 0%" is any worsening.
    if (percent !== null && Math.abs(percent) <= threshold) continue;
    out.push({ metric: m.name, better: m.better, before, after: m.final, percent });
  }
  return out;
}

/** "mlp_accuracy fell 12.3% (0.95 → 0.83)", "val_loss rose from 0 to 0.2". */
export function regressionText(r: Regression): string {
  const verb = r.after < r.before ? 'fell' : 'rose';
  if (r.percent === null) return `${r.metric} ${verb} from ${metricText(r.before)} to ${metricText(r.after)}`;
  return `${r.metric} ${verb} ${percentText(r.percent)} (${metricText(r.before)} → ${metricText(r.after)})`;
}

/**
 * The alert's one sentence: "train.ipynb: mlp_accuracy fell 12.3% (0.95 → 0.83) in run
 * r1a2b3c4d"; with more metrics, the next worst and how many more.
 */
export function regressionMessage(run: RunSummary, regs: readonly Regression[]): string {
  const what = run.source ?? ((run.argv ?? []).join(' ') || 'a command');
  const named = regs.slice(0, 2).map(regressionText);
  const more =
    regs.length > 2 ? ` and ${regs.length - 2} more metric${regs.length - 2 === 1 ? '' : 's'} got worse` : '';
  return `${what}: ${named.join(', ')}${more} in run ${shortRunId(run.id)}`;
}

/** Which run+metric pairs were alerted already (this session): a run is announced several times as it grows. */
export class AlertMemory {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity = 2000) {}

  /** The regressions not alerted before; remembers them. */
  fresh(root: string, runId: string, regs: readonly Regression[]): Regression[] {
    const out = regs.filter((r) => !this.seen.has(key(root, runId, r.metric)));
    for (const r of out) {
      this.seen.add(key(root, runId, r.metric));
      if (this.seen.size > this.capacity) {
        const oldest = this.seen.values().next().value;
        if (oldest !== undefined) this.seen.delete(oldest);
      }
    }
    return out;
  }
}

function key(root: string, runId: string, metric: string): string {
  return `${root}\u0000${runId}\u0000${metric}`;
}

// --- the Runs table -----------------------------------------------------------------------------

export type ColumnKind = 'run' | 'source' | 'started' | 'param' | 'metric';

export interface TableColumn {
  /** `run`, `source`, `started`, `param:HIDDEN`, `metric:mlp_accuracy`. */
  key: string;
  kind: ColumnKind;
  /** The header: the parameter or metric name. */
  name: string;
  better: Direction;
  /** Some run logged this metric over steps: it can be charted as a training curve. */
  series: boolean;
}

export interface TableCell {
  text: string;
  /** What sorting compares; null sorts last. */
  sort: number | string | null;
  /** The value differs from the previous run of the same source (the row below it there). */
  changed: boolean;
  /** Metrics only: how it moved since the previous run. */
  verdict?: Verdict;
  /** The full value, when `text` was cut. */
  title?: string;
}

export interface TableRow {
  id: string;
  source: string;
  startedAt: number;
  /** The previous run of the same source, or null for its first. */
  previous: string | null;
  cells: Record<string, TableCell>;
  /** Lower-cased "id source name=value …": what a text filter searches. */
  search: string;
  /** Numeric parameters and final metrics by lower-cased name: what `name>value` filters compare. */
  numbers: Record<string, number>;
}

export interface RunsTable {
  columns: TableColumn[];
  rows: TableRow[];
}

function isoMinute(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * One row a run (newest first, as given), a column per parameter and final metric over all
 * runs; a cell is `changed` when its value differs from the previous run of the same source.
 */
export function runsTable(runs: readonly RunSummary[]): RunsTable {
  const params: string[] = [];
  const metrics = new Map<string, { better: Direction; series: boolean }>();
  for (const r of runs) {
    for (const p of r.params) if (!params.includes(p.name)) params.push(p.name);
    for (const m of r.metrics) {
      const seen = metrics.get(m.name);
      if (!seen) metrics.set(m.name, { better: m.better, series: m.points > 1 });
      else {
        seen.series ||= m.points > 1;
        seen.better ??= m.better;
      }
    }
  }
  const columns: TableColumn[] = [
    { key: 'run', kind: 'run', name: 'run', better: null, series: false },
    { key: 'source', kind: 'source', name: 'source', better: null, series: false },
    { key: 'started', kind: 'started', name: 'started', better: null, series: false },
    ...params.map((name): TableColumn => ({ key: `param:${name}`, kind: 'param', name, better: null, series: false })),
    ...[...metrics].map(([name, m]): TableColumn => ({
      key: `metric:${name}`,
      kind: 'metric',
      name,
      better: m.better,
      series: m.series,
    })),
  ];
  const rows = runs.map((run): TableRow => {
    const prev = previousRun(run, runs);
    const cells: Record<string, TableCell> = {
      run: { text: shortRunId(run.id), sort: run.id, changed: false, title: run.id },
      source: { text: sourceKey(run), sort: sourceKey(run), changed: false },
      started: { text: isoMinute(run.startedAt), sort: run.startedAt, changed: false },
    };
    const numbers: Record<string, number> = {};
    const words = [run.id, sourceKey(run), ...(run.argv ?? [])];
    for (const name of params) {
      const p = run.params.find((q) => q.name === name);
      const before = prev?.params.find((q) => q.name === name)?.value;
      const full = paramText(p?.value, Infinity);
      cells[`param:${name}`] = {
        text: paramText(p?.value),
        sort: p === undefined ? null : typeof p.value === 'number' ? p.value : full,
        changed: prev !== undefined && !sameValue(p?.value, before),
        ...(full.length > 40 ? { title: full } : {}),
      };
      if (p) {
        words.push(`${name}=${full}`);
        if (typeof p.value === 'number') numbers[name.toLowerCase()] = p.value;
      }
    }
    for (const [name, col] of metrics) {
      const m = run.metrics.find((q) => q.name === name);
      const before = prev?.metrics.find((q) => q.name === name);
      const verdict = prev && m ? verdictOf(before?.final, m.final, col.better) : 'unknown';
      cells[`metric:${name}`] = {
        text: metricText(m === undefined ? undefined : m.final),
        sort: m?.final ?? null,
        changed: prev !== undefined && (m?.final ?? undefined) !== (before?.final ?? undefined),
        verdict,
      };
      if (m && m.final !== null) numbers[name.toLowerCase()] = m.final;
    }
    return {
      id: run.id,
      source: sourceKey(run),
      startedAt: run.startedAt,
      previous: prev?.id ?? null,
      cells,
      search: words.join(' ').toLowerCase(),
      numbers,
    };
  });
  return { columns, rows };
}

export type SortDirection = 'asc' | 'desc';

/** Rows ordered by one column; empty cells last either way; ties keep their order (newest first). */
export function sortRows(rows: readonly TableRow[], column: string, direction: SortDirection): TableRow[] {
  const sign = direction === 'asc' ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i }))
    .sort((x, y) => {
      const a = x.row.cells[column]?.sort ?? null;
      const b = y.row.cells[column]?.sort ?? null;
      if (a === null || b === null) return a === b ? x.i - y.i : a === null ? 1 : -1;
      const c =
        typeof a === 'number' && typeof b === 'number'
          ? a - b
          : String(a).localeCompare(String(b), undefined, { numeric: true });
      return c === 0 ? x.i - y.i : sign * c;
    })
    .map((x) => x.row);
}

export type FilterOp = '>' | '>=' | '<' | '<=' | '=' | '!=';

export interface RowFilter {
  /** Lower-cased words every row must contain (in its source, id, argv or `name=value`). */
  words: string[];
  /** `mlp_accuracy>0.9`: numeric comparisons on metrics or numeric parameters. */
  comparisons: { name: string; op: FilterOp; value: number }[];
}

const COMPARISON = /([A-Za-z_][\w./-]*)\s*(>=|<=|!=|==|=|>|<)\s*(-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)(?![\w.])/gi;

/** "train mlp_accuracy>0.9 HIDDEN=64": words to find and comparisons to hold. */
export function parseFilter(text: string): RowFilter {
  const comparisons: RowFilter['comparisons'] = [];
  const rest = text.replace(COMPARISON, (_m, name: string, op: string, value: string) => {
    comparisons.push({ name: name.toLowerCase(), op: (op === '==' ? '=' : op) as FilterOp, value: Number(value) });
    return ' ';
  });
  const words = rest
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '');
  return { words, comparisons };
}

function holds(x: number, op: FilterOp, v: number): boolean {
  switch (op) {
    case '>':
      return x > v;
    case '>=':
      return x >= v;
    case '<':
      return x < v;
    case '<=':
      return x <= v;
    case '=':
      return x === v;
    case '!=':
      return x !== v;
  }
}

/**
 * The rows the filter keeps. A comparison on a name no row has is read as text (so
 * `lr=0.001` still finds a string parameter "lr=0.001").
 */
export function filterRows(rows: readonly TableRow[], filter: RowFilter | string): TableRow[] {
  const f = typeof filter === 'string' ? parseFilter(filter) : filter;
  const known = new Set(rows.flatMap((r) => Object.keys(r.numbers)));
  return rows.filter(
    (row) =>
      f.words.every((w) => row.search.includes(w)) &&
      f.comparisons.every((c) => {
        if (!known.has(c.name)) return row.search.includes(`${c.name}${c.op}${c.value}`);
        const x = row.numbers[c.name];
        return x !== undefined && holds(x, c.op, c.value);
      }),
  );
}

// --- comparing two runs -------------------------------------------------------------------------

export interface ComparisonRow {
  name: string;
  a: string;
  b: string;
}

export interface MetricRow extends ComparisonRow {
  delta: string;
  percent: string;
  verdict: MetricComparison['verdict'];
  better: Direction;
}

export interface OutputRow {
  path: string;
  a: string;
  b: string;
  /** Both runs wrote it, with different bytes: mlsnap's diff of the two versions. */
  diff: { path: string; a: number; b: number } | null;
}

export interface ComparisonView {
  /** "rb9ed9ae1 → reb9188f8" */
  title: string;
  /** "train.ipynb · 1 parameter changed · 2 metrics better, 1 worse · 3 outputs changed" */
  summary: string;
  a: { id: string; started: string };
  b: { id: string; started: string };
  params: ComparisonRow[];
  metrics: MetricRow[];
  outputs: OutputRow[];
  /** Outputs both wrote with the same bytes. */
  sameOutputs: number;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function outputSide(o: RunOutput | null): string {
  return o === null ? '—' : `@${o.seq}`;
}

/** Two runs side by side, as rows to render: changed parameters, every metric with its delta, changed outputs. */
export function comparisonView(c: RunComparison): ComparisonView {
  const metrics = c.metrics.map((m): MetricRow => ({
    name: m.name,
    a: metricText(m.a),
    b: metricText(m.b),
    delta: m.delta === null ? '' : deltaText(m.delta),
    percent: m.percent === null || m.delta === 0 ? '' : `${signed(m.percent, 1)}%`,
    verdict: m.verdict,
    better: m.better,
  }));
  const changed = c.outputs.filter((o) => o.changed);
  const outputs = changed.map((o): OutputRow => ({
    path: o.path,
    a: outputSide(o.a),
    b: outputSide(o.b),
    diff: o.a && o.b ? { path: o.path, a: o.a.seq, b: o.b.seq } : null,
  }));
  const better = c.metrics.filter((m) => m.verdict === 'better').length;
  const worse = c.metrics.filter((m) => m.verdict === 'worse').length;
  const source = c.b.source ?? c.a.source;
  const parts = [
    ...(source ? [source] : []),
    c.params.length === 0 ? 'same parameters' : `${plural(c.params.length, 'parameter')} changed`,
    better + worse === 0 ? 'no metric moved either way' : `${better} better, ${worse} worse`,
    changed.length === 0 ? 'same outputs' : `${plural(changed.length, 'output')} changed`,
  ];
  return {
    title: `${shortRunId(c.a.id)} → ${shortRunId(c.b.id)}`,
    summary: parts.join(' · '),
    a: { id: c.a.id, started: isoMinute(c.a.startedAt) },
    b: { id: c.b.id, started: isoMinute(c.b.startedAt) },
    params: c.params.map((p) => ({ name: p.name, a: paramText(p.a), b: paramText(p.b) })),
    metrics,
    outputs,
    sameOutputs: c.outputs.length - changed.length,
  };
}

/** A difference with its sign, as precise as the values: "−0.137", "+2", "±0". */
export function deltaText(d: number): string {
  if (d === 0) return '±0';
  return `${d > 0 ? '+' : MINUS}${metricText(Math.abs(d))}`;
}

/** The older run first: compare(a, b) reads "from a to b". */
export function orderPair<T extends { startedAt: number }>(x: T, y: T): [T, T] {
  return x.startedAt <= y.startedAt ? [x, y] : [y, x];
}

// --- a model's trend ----------------------------------------------------------------------------

/** The metric names of a trend, those with a known direction first. */
export function trendMetrics(t: MetricTrend, directions: Readonly<Record<string, Direction>> = {}): string[] {
  const names = [...new Set(t.points.flatMap((p) => Object.keys(p.metrics)))];
  const rank = (n: string): number => (directions[n] ? 0 : 1);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export interface TrendPoint {
  seq: number;
  createdAt: number;
  run: string;
  value: number;
}

/**
 * "Did the model I keep retraining get better": the metric over the versions of the model that
 * runs wrote, as points and one sentence.
 */
export function trendView(
  t: MetricTrend,
  metric: string,
  better: Direction,
): { points: TrendPoint[]; sentence: string; verdict: Verdict } {
  const points = t.points
    .filter((p) => p.metrics[metric] !== undefined)
    .map((p) => ({ seq: p.seq, createdAt: p.createdAt, run: p.run, value: p.metrics[metric] as number }))
    .sort((a, b) => a.seq - b.seq);
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last)
    return {
      points,
      sentence: `No version of ${t.path} was written by a run that logged ${metric}.`,
      verdict: 'unknown',
    };
  if (points.length === 1)
    return {
      points,
      sentence: `Only one version of ${t.path} (@${first.seq}) has ${metric}: ${metricText(first.value)}.`,
      verdict: 'unknown',
    };
  const verdict = verdictOf(first.value, last.value, better);
  const p = percentChange(first.value, last.value);
  const moved =
    first.value === last.value ? 'unchanged' : p === null ? signed(last.value - first.value, 4) : `${signed(p, 1)}%`;
  const judged =
    verdict === 'better' ? 'better' : verdict === 'worse' ? 'worse' : moved === 'unchanged' ? 'unchanged' : 'changed';
  let best = '';
  if (better !== null) {
    const top = points.reduce((x, y) => (better === 'up' ? (y.value > x.value ? y : x) : y.value < x.value ? y : x));
    if (top.seq !== last.seq) best = `; best was @${top.seq} (${metricText(top.value)})`;
  }
  return {
    points,
    verdict,
    sentence: `${metric} of ${t.path} over ${points.length} versions: ${metricText(first.value)} (@${first.seq}) → ${metricText(last.value)} (@${last.seq}), ${judged}${moved === 'unchanged' ? '' : ` (${moved})`}${best}.`,
  };
}

/** Paths the runs wrote, for the Trend picker: models first, the ones most runs wrote first among them. */
export function outputPaths(runs: readonly RunSummary[]): string[] {
  const writers = new Map<string, number>();
  for (const r of runs)
    for (const p of new Set(r.outputs.map((o) => o.path))) writers.set(p, (writers.get(p) ?? 0) + 1);
  const isModel = (p: string): boolean => /\.(pt|pth|ckpt|safetensors|onnx|joblib|pkl|pickle|h5|keras|gguf)$/i.test(p);
  return [...writers.keys()].sort(
    (a, b) =>
      Number(isModel(b)) - Number(isModel(a)) || (writers.get(b) ?? 0) - (writers.get(a) ?? 0) || a.localeCompare(b),
  );
}
