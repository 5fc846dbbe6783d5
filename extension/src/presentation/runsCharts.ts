import type { MetricSeries, RunSummary } from '../../../shared/src/runs';
import { metricText, previousRun, runLabel, shortRunId, sourceKey, type Direction, type TrendPoint } from './runs';

/**
 * The Runs table's charts as Vega-Lite specs (plain JSON, so they are unit tested here and
 * drawn by vega-embed in the webview): a metric's final value across runs, training curves
 * (step → value, one line a run) and a model's metric over its versions. Colours come from the
 * editor's theme (its CSS variables, read in the webview).
 */

export type VegaLiteSpec = Record<string, unknown>;

export interface ChartTheme {
  foreground: string;
  /** Axis labels and captions. */
  muted: string;
  grid: string;
  background: string;
  font: string;
  fontSize: number;
  /** Line and bar colours, in order (the editor's chart colours). */
  palette: string[];
  better: string;
  worse: string;
}

/** The VS Code CSS variables a chart theme is read from, with what to use when one is unset. */
export const THEME_VARIABLES = {
  foreground: ['--vscode-editor-foreground', '#cccccc'],
  muted: ['--vscode-descriptionForeground', '#999999'],
  grid: ['--vscode-editorWidget-border', '#80808040'],
  background: ['--vscode-editor-background', '#1e1e1e'],
  font: ['--vscode-font-family', 'sans-serif'],
  fontSize: ['--vscode-font-size', '13px'],
  blue: ['--vscode-charts-blue', '#3794ff'],
  orange: ['--vscode-charts-orange', '#d18616'],
  green: ['--vscode-charts-green', '#89d185'],
  purple: ['--vscode-charts-purple', '#b180d7'],
  yellow: ['--vscode-charts-yellow', '#cca700'],
  red: ['--vscode-charts-red', '#f14c4c'],
} as const;

export type ThemeVariable = keyof typeof THEME_VARIABLES;

/** A theme from the variables' values (`read` returns '' for an unset one). */
export function chartTheme(read: (cssVariable: string) => string): ChartTheme {
  const v = (k: ThemeVariable): string => read(THEME_VARIABLES[k][0]).trim() || THEME_VARIABLES[k][1];
  const size = Number.parseFloat(v('fontSize'));
  return {
    foreground: v('foreground'),
    muted: v('muted'),
    grid: v('grid'),
    background: v('background'),
    font: v('font'),
    fontSize: Number.isFinite(size) ? size : 13,
    palette: [v('blue'), v('orange'), v('green'), v('purple'), v('yellow'), v('red')],
    better: v('green'),
    worse: v('red'),
  };
}

/** Vega-Lite's config for a theme: transparent background, the editor's font and colours. */
export function chartConfig(t: ChartTheme): Record<string, unknown> {
  const axis = {
    domainColor: t.muted,
    gridColor: t.grid,
    tickColor: t.muted,
    labelColor: t.muted,
    titleColor: t.foreground,
    labelFont: t.font,
    titleFont: t.font,
    labelFontSize: t.fontSize - 2,
    titleFontSize: t.fontSize - 1,
    titleFontWeight: 'normal',
  };
  return {
    background: null,
    font: t.font,
    view: { stroke: null },
    axis,
    legend: {
      labelColor: t.foreground,
      titleColor: t.foreground,
      labelFont: t.font,
      titleFont: t.font,
      labelFontSize: t.fontSize - 2,
      titleFontSize: t.fontSize - 1,
      labelLimit: 320,
    },
    title: { color: t.foreground, font: t.font, fontSize: t.fontSize + 1, fontWeight: 'normal', anchor: 'start' },
    range: { category: t.palette },
    line: { strokeWidth: 2 },
    point: { filled: true, size: 50 },
    bar: { color: t.palette[0] },
  };
}

const WIDTH = 560;
const HEIGHT = 260;

export interface FinalPoint {
  run: string;
  /** "rb9ed9ae1 · HIDDEN=64": the run, and what changed in it. */
  label: string;
  source: string;
  startedAt: number;
  value: number;
}

/** The selected runs' final values of a metric, oldest first (runs without one are left out). */
export function finalPoints(runs: readonly RunSummary[], all: readonly RunSummary[], metric: string): FinalPoint[] {
  return runs
    .flatMap((r) => {
      const m = r.metrics.find((q) => q.name === metric);
      if (!m || m.final === null) return [];
      const prev = previousRun(r, all);
      return [
        {
          run: r.id,
          label: `${shortRunId(r.id)} · ${runLabel(r, prev, 28)}`,
          source: sourceKey(r),
          startedAt: r.startedAt,
          value: m.final,
        },
      ];
    })
    .sort((a, b) => a.startedAt - b.startedAt);
}

function directionWord(better: Direction): string {
  return better === 'up' ? ' (higher is better)' : better === 'down' ? ' (lower is better)' : '';
}

/** A few runs: their values in run order, labelled; many: a line over run time. */
export function finalsSpec(
  points: readonly FinalPoint[],
  metric: string,
  better: Direction,
  t: ChartTheme,
): VegaLiteSpec {
  const values = points.map((p, i) => ({ ...p, order: i, text: metricText(p.value) }));
  const tooltip = [
    { field: 'label', title: 'run' },
    { field: 'source', title: 'source' },
    { field: 'startedAt', type: 'temporal', title: 'started', format: '%Y-%m-%d %H:%M:%S' },
    { field: 'text', title: metric },
  ];
  const base = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${metric} across runs`, subtitle: `final values${directionWord(better)}`, subtitleColor: t.muted },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    config: chartConfig(t),
  };
  const oneSource = new Set(points.map((p) => p.source)).size <= 1;
  if (points.length <= 20)
    // A point a run in time order, its value written above it: a few runs' small differences
    // (0.95 against 0.96) stay readable, which bars from zero would hide.
    return {
      ...base,
      encoding: {
        x: {
          field: 'label',
          type: 'ordinal',
          sort: { field: 'order' },
          title: 'run (oldest first)',
          axis: { labelAngle: -20, labelLimit: 200 },
        },
        y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false, padding: 16 } },
        tooltip,
      },
      layer: [
        {
          mark: { type: 'line', point: { size: 70 }, color: t.palette[0] },
          ...(oneSource ? {} : { encoding: { color: { field: 'source', type: 'nominal', title: 'source' } } }),
        },
        {
          mark: { type: 'text', dy: -12, color: t.foreground, fontSize: t.fontSize - 2 },
          encoding: { text: { field: 'text' } },
        },
      ],
    };
  return {
    ...base,
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: { field: 'startedAt', type: 'temporal', title: 'run started' },
      y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false } },
      color: { field: 'source', type: 'nominal', title: 'source' },
      tooltip,
    },
  };
}

/** Training curves: step on x, value on y, one line a run (named by its label). */
export function seriesSpec(
  series: readonly MetricSeries[],
  labels: Readonly<Record<string, string>>,
  metric: string,
  better: Direction,
  t: ChartTheme,
): VegaLiteSpec {
  const values = series.flatMap((s) =>
    s.steps.map((step, i) => ({ run: labels[s.run] ?? shortRunId(s.run), step, value: s.values[i] ?? null })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${metric} over steps`, subtitle: `training curve${directionWord(better)}`, subtitleColor: t.muted },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      // Steps are mostly whole (epochs, global steps): no ticks between them then.
      x: {
        field: 'step',
        type: 'quantitative',
        title: 'step',
        ...(values.every((v) => Number.isInteger(v.step)) ? { axis: { tickMinStep: 1, format: 'd' } } : {}),
      },
      y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false } },
      color: { field: 'run', type: 'nominal', title: 'run', legend: { orient: 'bottom', columns: 1 } },
    },
    config: chartConfig(t),
  };
}

/** A model's metric over its versions (x: the version, in order). */
export function trendSpec(
  points: readonly TrendPoint[],
  path: string,
  metric: string,
  better: Direction,
  t: ChartTheme,
): VegaLiteSpec {
  const values = points.map((p) => ({
    version: `@${p.seq}`,
    seq: p.seq,
    run: shortRunId(p.run),
    createdAt: p.createdAt,
    value: p.value,
    text: metricText(p.value),
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${metric} of ${path}`,
      subtitle: `over its versions${directionWord(better)}`,
      subtitleColor: t.muted,
    },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true, tooltip: true, color: t.palette[0] },
    encoding: {
      x: { field: 'version', type: 'ordinal', sort: { field: 'seq' }, title: 'version', axis: { labelAngle: 0 } },
      y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false } },
      tooltip: [
        { field: 'version', title: 'version' },
        { field: 'run', title: 'run' },
        { field: 'createdAt', type: 'temporal', title: 'written', format: '%Y-%m-%d %H:%M:%S' },
        { field: 'text', title: metric },
      ],
    },
    config: chartConfig(t),
  };
}

/** A file name for an exported chart: "mlp_accuracy-across-runs". */
export function chartFileName(title: string): string {
  return (
    title
      .replace(/[^\w.-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'chart'
  );
}
