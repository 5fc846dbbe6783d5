/// <reference lib="dom" />
/**
 * The Runs table's webview script: one row a run, sortable and filterable, cells that changed
 * since the previous run of the same source highlighted; two selected rows compare, selected
 * rows chart a metric (final values, and training curves when the metric was logged over
 * steps), and a model path shows its trend. All it knows comes from the extension by message;
 * the table model, sorting, filtering and chart specs are the unit-tested presentation code.
 * Everything is built with textContent: no run data is ever parsed as HTML.
 */
import type { MetricSeries, MetricTrend, RunComparison, RunSummary } from '../../../../shared/src/runs';
import {
  comparisonView,
  filterRows,
  headlineMetric,
  orderPair,
  outputPaths,
  previousRun,
  runLabel,
  runsTable,
  shortRunId,
  sortRows,
  trendMetrics,
  trendView,
  type Direction,
  type RunsTable,
  type SortDirection,
  type TableColumn,
  type TableRow,
} from '../../presentation/runs';
import {
  chartFileName,
  chartTheme,
  finalPoints,
  finalsSpec,
  seriesSpec,
  trendSpec,
} from '../../presentation/runsCharts';
import { CHARTS_GLOBAL, CHARTS_READY_EVENT, type ChartsApi, type DrawnChart } from './chartsApi';
import type { Focus, FromWebview, ToWebview } from './messages';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What survives the panel being hidden and shown again. */
interface SavedState {
  filter: string;
  sort: { column: string; direction: SortDirection } | null;
  selected: string[];
  metric: string | null;
  trendPath: string | null;
}

const vscode = acquireVsCodeApi();
/** Scripts added later (the chart bundle) need this page's nonce to run under its CSP. */
const nonce = (document.currentScript as HTMLScriptElement | null)?.nonce ?? '';
const saved = (vscode.getState() as Partial<SavedState> | undefined) ?? {};

let runs: RunSummary[] = [];
let table: RunsTable = { columns: [], rows: [] };
let filter = saved.filter ?? '';
let sort: SavedState['sort'] = saved.sort ?? null;
const selected = new Set<string>(saved.selected ?? []);
let metric: string | null = saved.metric ?? null;
let trendPath: string | null = saved.trendPath ?? null;
let requests = 0;
const drawn: DrawnChart[] = [];
const pending = new Map<number, (m: ToWebview) => void>();

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const filterInput = $<HTMLInputElement>('filter');
const count = $('count');
const compareButton = $<HTMLButtonElement>('compare');
const metricSelect = $<HTMLSelectElement>('metric');
const chartButton = $<HTMLButtonElement>('chart');
const trendSelect = $<HTMLSelectElement>('trendPath');
const trendButton = $<HTMLButtonElement>('trend');
const message = $('message');
const thead = document.querySelector('#runs thead') as HTMLTableSectionElement;
const tbody = document.querySelector('#runs tbody') as HTMLTableSectionElement;
const comparisonSection = $('comparison');
const chartsSection = $('charts');

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { text?: string; className?: string; title?: string } = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.text !== undefined) e.textContent = props.text;
  if (props.className) e.className = props.className;
  if (props.title) e.title = props.title;
  e.append(...children);
  return e;
}

/** Scroll an element to the top of the page, below the sticky toolbar. */
function reveal(e: Element): void {
  const toolbar = document.querySelector('.toolbar') as HTMLElement | null;
  document.documentElement.style.scrollPaddingTop = `${(toolbar?.offsetHeight ?? 0) + 8}px`;
  e.scrollIntoView({ block: 'start' });
}

function save(): void {
  const state: SavedState = { filter, sort, selected: [...selected], metric, trendPath };
  vscode.setState(state);
}

function say(text: string, error = false): void {
  message.textContent = text;
  message.classList.toggle('error', error);
}

function post(m: FromWebview): void {
  vscode.postMessage(m);
}

/** A request whose answer carries the same number. */
function ask<T extends ToWebview>(make: (request: number) => FromWebview): Promise<T> {
  const request = ++requests;
  return new Promise((resolve) => {
    pending.set(request, (m) => resolve(m as T));
    post(make(request));
  });
}

// --- the table ----------------------------------------------------------------------------------

function shownRows(): TableRow[] {
  const rows = filterRows(table.rows, filter);
  return sort ? sortRows(rows, sort.column, sort.direction) : rows;
}

function headerText(c: TableColumn): (Node | string)[] {
  if (c.kind !== 'metric') return [c.name];
  const dir = c.better === 'up' ? ' ↑' : c.better === 'down' ? ' ↓' : '';
  return [c.name, el('span', { className: 'dir', text: `${dir}${c.series ? ' ∿' : ''}` })];
}

function renderHeader(): void {
  const all = el('input');
  all.type = 'checkbox';
  all.setAttribute('aria-label', 'Select all shown runs');
  all.addEventListener('change', () => {
    for (const r of shownRows()) {
      if (all.checked) selected.add(r.id);
      else selected.delete(r.id);
    }
    renderBody();
  });
  const tr = el('tr', {}, el('th', { className: 'select' }, all));
  for (const c of table.columns) {
    const th = el('th', { className: c.kind }, ...headerText(c));
    th.dataset.column = c.key;
    th.title =
      c.kind === 'metric'
        ? `final ${c.name}${c.better === 'up' ? ', higher is better' : c.better === 'down' ? ', lower is better' : ''}${c.series ? '; logged over steps' : ''} — click to sort`
        : `${c.kind === 'param' ? 'parameter ' : ''}${c.name} — click to sort`;
    if (sort?.column === c.key) th.setAttribute('aria-sort', sort.direction === 'asc' ? 'ascending' : 'descending');
    th.tabIndex = 0;
    th.addEventListener('click', () => sortBy(c.key));
    th.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault();
      sortBy(c.key);
      (thead.querySelector(`th[data-column="${CSS.escape(c.key)}"]`) as HTMLElement | null)?.focus();
    });
    tr.append(th);
  }
  thead.replaceChildren(tr);
}

/** Ascending, descending, then back to newest first. */
function sortBy(column: string): void {
  if (sort?.column !== column) sort = { column, direction: 'asc' };
  else if (sort.direction === 'asc') sort = { column, direction: 'desc' };
  else sort = null;
  save();
  renderHeader();
  renderBody();
}

function renderBody(): void {
  const rows = shownRows();
  const byId = new Map(table.rows.map((r) => [r.id, r]));
  const out: HTMLTableRowElement[] = [];
  for (const row of rows) {
    const tr = el('tr');
    tr.dataset.run = row.id;
    const isSelected = selected.has(row.id);
    tr.classList.toggle('selected', isSelected);
    tr.setAttribute('aria-selected', String(isSelected));
    const box = el('input');
    box.type = 'checkbox';
    box.checked = isSelected;
    box.setAttribute('aria-label', `Select run ${shortRunId(row.id)}`);
    box.addEventListener('click', (e) => e.stopPropagation());
    box.addEventListener('change', () => toggle(row.id, box.checked));
    tr.append(el('td', {}, box));
    const previous = row.previous ? byId.get(row.previous) : undefined;
    for (const c of table.columns) {
      const cell = row.cells[c.key];
      const td = el('td', { text: cell?.text ?? '—' });
      td.dataset.column = c.key;
      if (c.kind === 'metric' || typeof cell?.sort === 'number') td.classList.add('num');
      if (cell?.changed) {
        td.classList.add('changed');
        td.dataset.changed = 'true';
        if (cell.verdict === 'better' || cell.verdict === 'worse') td.classList.add(cell.verdict);
        const before = previous?.cells[c.key]?.text ?? '—';
        td.title = `${cell.title ?? cell.text} — was ${before} in the previous run of ${row.source} (${shortRunId(row.previous ?? '')})`;
      } else if (cell?.title) td.title = cell.title;
      tr.append(td);
    }
    tr.addEventListener('click', () => toggle(row.id, !selected.has(row.id)));
    out.push(tr);
  }
  tbody.replaceChildren(...out);
  const n = table.rows.length;
  count.textContent = `${rows.length === n ? `${n} run${n === 1 ? '' : 's'}` : `${rows.length} of ${n} runs`}${selected.size > 0 ? ` · ${selected.size} selected` : ''}`;
  compareButton.disabled = selected.size !== 2;
  compareButton.title = selected.size === 2 ? 'Compare the two selected runs' : 'Select two runs to compare them';
  if (n === 0) say('No runs yet: execute a notebook, or run a script with `mlsnap run -- python train.py`.');
  else if (rows.length === 0) say(`No run matches “${filter}”.`);
  else if (message.textContent?.startsWith('No run')) say('');
}

function toggle(id: string, on: boolean): void {
  if (on) selected.add(id);
  else selected.delete(id);
  save();
  renderBody();
}

function renderPickers(): void {
  const metrics = table.columns.filter((c) => c.kind === 'metric');
  if (metric === null || !metrics.some((c) => c.name === metric)) {
    const newest = runs[0];
    metric = (newest && headlineMetric(newest)?.name) ?? metrics[0]?.name ?? null;
  }
  metricSelect.replaceChildren(
    ...metrics.map((c) => {
      const o = el('option', { text: `${c.name}${c.series ? ' (curve)' : ''}` });
      o.value = c.name;
      o.selected = c.name === metric;
      return o;
    }),
  );
  chartButton.disabled = metrics.length === 0;
  const paths = outputPaths(runs);
  if (trendPath === null || !paths.includes(trendPath)) trendPath = paths[0] ?? null;
  trendSelect.replaceChildren(
    ...paths.map((p) => {
      const o = el('option', { text: p });
      o.value = p;
      o.selected = p === trendPath;
      return o;
    }),
  );
  trendButton.disabled = paths.length === 0;
}

function render(): void {
  table = runsTable(runs);
  for (const id of [...selected]) if (!runs.some((r) => r.id === id)) selected.delete(id);
  renderHeader();
  renderBody();
  renderPickers();
}

// --- comparing ------------------------------------------------------------------------------------

function sectionHeader(title: string, section: HTMLElement): HTMLElement {
  const close = el('button', { text: 'Close', className: 'secondary close' });
  close.addEventListener('click', () => {
    section.hidden = true;
    section.replaceChildren();
    if (section === chartsSection) finalizeCharts();
  });
  return el('h2', {}, el('span', { text: title }), close);
}

function tableOf(headers: string[], rows: (Node | string)[][]): HTMLTableElement {
  return el(
    'table',
    {},
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { text: h })))),
    el(
      'tbody',
      {},
      ...rows.map((cells) =>
        el('tr', {}, ...cells.map((c) => (c instanceof Node && c.nodeName === 'TD' ? c : el('td', {}, c)))),
      ),
    ),
  );
}

function showComparison(c: RunComparison): void {
  const v = comparisonView(c);
  const s = comparisonSection;
  s.hidden = false;
  const parts: Node[] = [
    sectionHeader(`Compare ${v.title}`, s),
    el('div', { className: 'summary', text: `${v.summary} · A started ${v.a.started}, B started ${v.b.started}` }),
    el('h3', { text: 'Parameters' }),
  ];
  parts.push(
    v.params.length === 0
      ? el('div', { className: 'muted', text: 'The same parameters.' })
      : tableOf(
          ['parameter', `A ${shortRunId(v.a.id)}`, `B ${shortRunId(v.b.id)}`],
          v.params.map((p) => [p.name, p.a, `→ ${p.b}`]),
        ),
  );
  parts.push(el('h3', { text: 'Metrics' }));
  parts.push(
    v.metrics.length === 0
      ? el('div', { className: 'muted', text: 'Neither run logged a metric.' })
      : tableOf(
          ['metric', 'A', 'B', 'Δ', '%', ''],
          v.metrics.map((m) => {
            const verdict = el('td', {
              className: `verdict-${m.verdict}`,
              text: m.verdict === 'better' || m.verdict === 'worse' ? m.verdict : m.verdict === 'same' ? 'same' : '',
            });
            return [m.name, m.a, m.b, m.delta, m.percent, verdict];
          }),
        ),
  );
  parts.push(el('h3', { text: 'Outputs' }));
  const same = v.sameOutputs > 0 ? ` ${v.sameOutputs} more with the same bytes.` : '';
  if (v.outputs.length === 0) parts.push(el('div', { className: 'muted', text: `No output changed.${same}` }));
  else {
    parts.push(
      tableOf(
        ['file', 'A', 'B', ''],
        v.outputs.map((o) => {
          const cell = el('td');
          const diff = o.diff;
          if (diff) {
            const b = el('button', {
              text: 'Open Diff',
              className: 'link',
              title: `mlsnap's diff of ${o.path}@${diff.a} and @${diff.b}`,
            });
            b.addEventListener('click', () => post({ type: 'openDiff', path: diff.path, a: diff.a, b: diff.b }));
            cell.append(b);
          }
          return [o.path, o.a, o.b, cell];
        }),
      ),
    );
    if (same) parts.push(el('div', { className: 'muted', text: same.trim() }));
  }
  s.replaceChildren(...parts);
  reveal(s);
}

function compareSelected(): void {
  const pair = runs.filter((r) => selected.has(r.id));
  const [x, y] = pair;
  if (pair.length !== 2 || !x || !y) return;
  const [a, b] = orderPair(x, y);
  say(`Comparing ${shortRunId(a.id)} → ${shortRunId(b.id)}…`);
  post({ type: 'compare', a: a.id, b: b.id });
}

// --- charts ---------------------------------------------------------------------------------------

let charts: Promise<ChartsApi> | undefined;

/** The chart bundle, asked for the first time a chart is drawn and run with this page's nonce. */
function loadCharts(): Promise<ChartsApi> {
  charts ??= new Promise<ChartsApi>((resolve) => {
    const w = window as unknown as Record<string, ChartsApi | undefined>;
    window.addEventListener(CHARTS_READY_EVENT, () => resolve(w[CHARTS_GLOBAL] as ChartsApi), { once: true });
    post({ type: 'loadCharts' });
  });
  return charts;
}

function addChartScript(source: string): void {
  const s = document.createElement('script');
  s.nonce = nonce;
  s.textContent = source;
  document.head.append(s);
}

function theme(): ReturnType<typeof chartTheme> {
  const style = getComputedStyle(document.documentElement);
  return chartTheme((v) => style.getPropertyValue(v));
}

function finalizeCharts(): void {
  for (const d of drawn.splice(0)) d.finalize();
}

function openCharts(title: string): void {
  finalizeCharts();
  chartsSection.hidden = false;
  chartsSection.replaceChildren(sectionHeader(title, chartsSection));
}

async function addChart(spec: Record<string, unknown>, name: string, caption?: string): Promise<void> {
  const box = el('div', { className: 'chart' });
  box.dataset.chart = name;
  const plot = el('div', { className: 'plot' });
  const png = el('button', { text: 'Save PNG', className: 'secondary' });
  const svg = el('button', { text: 'Save SVG', className: 'secondary' });
  png.disabled = svg.disabled = true;
  box.append(plot, el('div', { className: 'actions' }, png, svg));
  if (caption) box.append(el('div', { className: 'caption', text: caption }));
  chartsSection.append(box);
  const api = await loadCharts();
  const chart = await api.draw(plot, spec);
  drawn.push(chart);
  const file = chartFileName(name);
  const exportAs = (format: 'png' | 'svg'): void =>
    void (format === 'png' ? chart.png() : chart.svg())
      .then((data) => post({ type: 'saveChart', format, data, name: file }))
      .catch((e: unknown) => fail(`Exporting the chart as ${format.toUpperCase()}`, e));
  png.addEventListener('click', () => exportAs('png'));
  svg.addEventListener('click', () => exportAs('svg'));
  png.disabled = svg.disabled = false;
  box.dataset.rendered = 'true';
  // The first chart drawn brings the section into view (it is below the table and a comparison).
  if (drawn.length === 1) reveal(chartsSection);
}

function directionOf(name: string): Direction {
  return table.columns.find((c) => c.kind === 'metric' && c.name === name)?.better ?? null;
}

async function chartSelected(): Promise<void> {
  if (metric === null) return;
  const name = metric;
  const chosen =
    selected.size > 0
      ? runs.filter((r) => selected.has(r.id))
      : shownRows()
          .map((r) => byId(r.id))
          .filter((r) => r !== undefined);
  const better = directionOf(name);
  const points = finalPoints(chosen, runs, name);
  openCharts(`${name} · ${chosen.length} run${chosen.length === 1 ? '' : 's'}`);
  reveal(chartsSection);
  const withSeries = chosen.filter((r) => (r.metrics.find((m) => m.name === name)?.points ?? 0) > 1);
  if (points.length === 0)
    chartsSection.append(el('div', { className: 'muted', text: `None of these runs logged ${name}.` }));
  else await addChart(finalsSpec(points, name, better, theme()), `${name}-across-runs`);
  if (withSeries.length === 0) return;
  const answer = await ask<Extract<ToWebview, { type: 'series' }>>((request) => ({
    type: 'series',
    request,
    metric: name,
    runs: withSeries.map((r) => r.id),
  }));
  const series = answer.series.filter((s: MetricSeries) => s.steps.length > 0);
  if (series.length === 0) return;
  const labels: Record<string, string> = {};
  for (const r of withSeries) labels[r.id] = `${shortRunId(r.id)} · ${runLabel(r, previousRun(r, runs), 28)}`;
  await addChart(seriesSpec(series, labels, name, better, theme()), `${name}-training-curve`);
}

function byId(id: string): RunSummary | undefined {
  return runs.find((r) => r.id === id);
}

async function showTrend(path: string): Promise<void> {
  const answer = await ask<Extract<ToWebview, { type: 'trend' }>>((request) => ({ type: 'trend', request, path }));
  const t: MetricTrend = answer.trend;
  const directions: Record<string, Direction> = {};
  for (const c of table.columns) if (c.kind === 'metric') directions[c.name] = c.better;
  const names = trendMetrics(t, directions);
  const name = metric !== null && names.includes(metric) ? metric : names[0];
  openCharts(`Trend of ${path}`);
  reveal(chartsSection);
  if (name === undefined) {
    chartsSection.append(
      el('div', { className: 'muted', text: `No version of ${path} was written by a run that logged metrics.` }),
    );
    return;
  }
  const better = directions[name] ?? null;
  const v = trendView(t, name, better);
  if (v.points.length === 0) {
    chartsSection.append(el('div', { className: 'muted', text: v.sentence }));
    return;
  }
  await addChart(trendSpec(v.points, path, name, better, theme()), `${name}-of-${path}`, v.sentence);
}

function fail(what: string, e: unknown): void {
  const text = e instanceof Error ? e.message : String(e);
  say(`${what} failed: ${text}`, true);
  post({ type: 'error', what, message: text });
}

// --- wiring ---------------------------------------------------------------------------------------

function applyFocus(f: Focus): void {
  if (f.select || f.compare) {
    selected.clear();
    for (const id of f.compare ?? f.select ?? []) if (byId(id)) selected.add(id);
    save();
    renderBody();
    document
      .querySelector(`tr[data-run="${CSS.escape(f.compare?.[1] ?? f.select?.[0] ?? '')}"]`)
      ?.scrollIntoView({ block: 'nearest' });
  }
  if (f.compare) {
    say(`Comparing ${shortRunId(f.compare[0])} → ${shortRunId(f.compare[1])}…`);
    post({ type: 'compare', a: f.compare[0], b: f.compare[1] });
  }
  if (f.trend) {
    trendPath = f.trend;
    renderPickers();
    void showTrend(f.trend).catch((e: unknown) => fail('Trend', e));
  }
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const m = event.data;
  switch (m.type) {
    case 'runs':
      runs = m.runs;
      render();
      if (m.focus) applyFocus(m.focus);
      break;
    case 'comparison':
      say('');
      showComparison(m.comparison);
      break;
    case 'series':
    case 'trend':
      pending.get(m.request)?.(m);
      pending.delete(m.request);
      break;
    case 'charts':
      addChartScript(m.source);
      break;
    case 'failed':
      say(m.message, true);
      break;
  }
});

filterInput.value = filter;
filterInput.addEventListener('input', () => {
  filter = filterInput.value;
  save();
  renderBody();
});
compareButton.addEventListener('click', compareSelected);
metricSelect.addEventListener('change', () => {
  metric = metricSelect.value;
  save();
});
trendSelect.addEventListener('change', () => {
  trendPath = trendSelect.value;
  save();
});
chartButton.addEventListener('click', () => void chartSelected().catch((e: unknown) => fail('Chart', e)));
trendButton.addEventListener('click', () => {
  if (trendPath) void showTrend(trendPath).catch((e: unknown) => fail('Trend', e));
});
$('refresh').addEventListener('click', () => post({ type: 'refresh' }));
post({ type: 'ready' });
