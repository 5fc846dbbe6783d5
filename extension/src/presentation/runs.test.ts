import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricTrend, RunComparison, RunMetric, RunSummary } from '../../../shared/src/runs';
import {
  AlertMemory,
  comparisonView,
  filterRows,
  headline,
  headlineMetric,
  metricText,
  orderPair,
  outputPaths,
  paramText,
  parseFilter,
  previousRun,
  regressionMessage,
  regressions,
  runDescription,
  runLabel,
  runMarkdown,
  runOutcome,
  runsTable,
  shownParams,
  sortRows,
  trendMetrics,
  trendView,
  verdictOf,
} from './runs';
import { chartConfig, chartFileName, chartTheme, finalPoints, finalsSpec, seriesSpec, trendSpec } from './runsCharts';
import { inlineScript, runsTableCsp, runsTableHtml } from './runsHtml';

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);

function metric(name: string, final: number | null, better: RunMetric['better'], points = 1): RunMetric {
  return { name, final, points, source: 'metrics.json', format: 'json', better };
}

function run(
  id: string,
  o: {
    source?: string | null;
    at?: number;
    params?: Record<string, RunSummary['params'][number]['value']>;
    metrics?: RunMetric[];
    outputs?: RunSummary['outputs'];
  } = {},
): RunSummary {
  return {
    id,
    kind: 'notebook',
    source: o.source === undefined ? 'train.ipynb' : o.source,
    sourceVersion: null,
    startedAt: o.at ?? T0,
    finishedAt: (o.at ?? T0) + 5000,
    interpreter: '/usr/bin/python3',
    git: null,
    argv: null,
    exitCode: null,
    params: Object.entries(o.params ?? {}).map(([name, value]) => ({ name, value, source: 'parameters cell' })),
    metrics: o.metrics ?? [],
    outputs: o.outputs ?? [],
  };
}

const r1 = run('r1111111111111111', {
  at: T0,
  params: { HIDDEN: 32, EPOCHS: 5, SEED: 0 },
  metrics: [metric('epochs', 5, null), metric('mlp_accuracy', 0.95, 'up'), metric('mlp_loss', 0.2, 'down')],
  outputs: [{ path: 'models/mlp.pt', seq: 1, uid: 'v1' }],
});
const r2 = run('r2222222222222222', {
  at: T0 + 60_000,
  params: { HIDDEN: 64, EPOCHS: 5, SEED: 0 },
  metrics: [metric('epochs', 5, null), metric('mlp_accuracy', 0.97, 'up'), metric('mlp_loss', 0.15, 'down', 5)],
  outputs: [
    { path: 'metrics.json', seq: 2, uid: 'v3' },
    { path: 'models/mlp.pt', seq: 2, uid: 'v2' },
  ],
});
const other = run('r3333333333333333', {
  source: 'eval.py',
  at: T0 + 90_000,
  params: { HIDDEN: 8 },
  metrics: [metric('mlp_accuracy', 0.5, 'up')],
});
const r4 = run('r4444444444444444', {
  at: T0 + 120_000,
  params: { HIDDEN: 1, EPOCHS: 1, SEED: 0 },
  metrics: [metric('epochs', 1, null), metric('mlp_accuracy', 0.833, 'up'), metric('mlp_loss', 0.9, 'down')],
});
/** Newest first, as runs/list answers. */
const ALL = [r4, other, r2, r1];

test('values read as code writes them; metrics to 4 significant digits', () => {
  assert.equal(paramText(64), '64');
  assert.equal(paramText('adam'), 'adam');
  assert.equal(paramText([1, 2]), '[1,2]');
  assert.equal(paramText(undefined), '—');
  assert.equal(paramText('x'.repeat(50)).length, 40);
  assert.equal(metricText(0.968889), '0.9689');
  assert.equal(metricText(5), '5');
  assert.equal(metricText(0.1), '0.1');
  assert.equal(metricText(null), 'NaN');
  assert.equal(metricText(undefined), '—');
  assert.equal(metricText(0.00001234), '1.234e-5');
});

test('the previous run is the next older one of the same source', () => {
  assert.equal(previousRun(r4, ALL)?.id, r2.id, 'eval.py in between does not count');
  assert.equal(previousRun(r2, ALL)?.id, r1.id);
  assert.equal(previousRun(r1, ALL), undefined);
  assert.equal(previousRun(other, ALL), undefined);
});

test('the headline metric is the first with a direction, else the first', () => {
  assert.equal(headlineMetric(r1)?.name, 'mlp_accuracy');
  assert.equal(
    headlineMetric(run('r5', { metrics: [metric('epochs', 5, null), metric('hidden', 3, null)] }))?.name,
    'epochs',
  );
  assert.equal(headlineMetric(run('r6')), undefined);
  const h = headline(r4, r2);
  assert.equal(h?.verdict, 'worse');
  assert.equal(h?.text, 'mlp_accuracy 0.833 (−14.1%)');
  assert.equal(headline(r2, r1)?.verdict, 'better');
  assert.equal(headline(r1, undefined)?.text, 'mlp_accuracy 0.95');
});

test('a run row shows the parameters that changed, all of them for the first run', () => {
  assert.equal(runLabel(r1, undefined), 'HIDDEN=32 EPOCHS=5 SEED=0');
  assert.equal(runLabel(r2, r1), 'HIDDEN=64');
  assert.equal(runLabel(r4, r2), 'HIDDEN=1 EPOCHS=1');
  assert.equal(runLabel(run('r7', { params: { HIDDEN: 32, EPOCHS: 5, SEED: 0 } }), r1), 'same parameters');
  assert.equal(runLabel(run('r8'), undefined), 'no parameters');
  const dropped = shownParams(run('r9', { params: { HIDDEN: 32 } }), r1);
  assert.deepEqual(
    dropped.params.map((p) => [p.name, p.value, p.before]),
    [
      ['EPOCHS', undefined, 5],
      ['SEED', undefined, 0],
    ],
  );
  const many = run('r10', { params: Object.fromEntries([...'ABCDEFGHIJKLMNOP'].map((c) => [`PARAM_${c}`, 1000])) });
  assert.match(runLabel(many, undefined), /^PARAM_A=1000 .* \+\d+ more$/);
  assert.equal(runDescription(r4, r2, T0 + 120_000 + 180_000), 'mlp_accuracy 0.833 (−14.1%) · 3m ago · r44444444');
  // The headline did not move, another metric fell: the row says so, and counts as worse.
  const steady = (acc: number): RunSummary =>
    run(`r${acc}`, { metrics: [metric('logreg_accuracy', 0.97, 'up'), metric('mlp_accuracy', acc, 'up')] });
  const o = runOutcome(steady(0.5), steady(0.9), 5);
  assert.equal(o.headline?.verdict, 'same');
  assert.equal(o.regression?.metric, 'mlp_accuracy');
  assert.equal(o.verdict, 'worse');
  assert.equal(
    runDescription(steady(0.5), steady(0.9), T0 + 60_000, 5),
    'logreg_accuracy 0.97 · ⚠ mlp_accuracy −44.4% · 1m ago · r0.5',
  );
  assert.equal(runOutcome(steady(0.89), steady(0.9), 5).verdict, 'same', 'a 1% fall is under the threshold');
  assert.equal(runOutcome(r2, r1).verdict, 'better');
  const md = runMarkdown(r2, r1);
  assert.match(md, /\| HIDDEN \| 64 \| 32 \|/);
  assert.match(md, /\| mlp\\_accuracy \| 0\.97 ✓ \| 0\.95 \|/);
  assert.match(md, /Wrote metrics\\\.json@2, models\/mlp\\\.pt@2/);
});

test('verdicts follow the direction', () => {
  assert.equal(verdictOf(1, 2, 'up'), 'better');
  assert.equal(verdictOf(1, 2, 'down'), 'worse');
  assert.equal(verdictOf(1, 1, 'down'), 'same');
  assert.equal(verdictOf(1, 2, null), 'unknown');
  assert.equal(verdictOf(null, 2, 'up'), 'unknown');
  assert.equal(verdictOf(undefined, 2, 'up'), 'unknown');
});

test("regressions: metrics with a direction worse by more than the threshold, in the run's order", () => {
  const regs = regressions(r4, r2, 5);
  assert.deepEqual(
    regs.map((r) => r.metric),
    ['mlp_accuracy', 'mlp_loss'],
    'accuracy fell 14%, loss rose 500%; epochs has no direction',
  );
  assert.equal(regressions(r4, r2, 20).length, 1, 'only the loss moved by more than 20%');
  assert.equal(regressions(r2, r1, 0).length, 0, 'better is never a regression');
  const slightly = run('r11', { metrics: [metric('mlp_accuracy', 0.94, 'up')] });
  assert.equal(regressions(slightly, r1, 5).length, 0, '1% worse is under 5%');
  assert.equal(regressions(slightly, r1, 0).length, 1, '0 means any worsening');
  const fromZero = run('r12', { metrics: [metric('val_loss', 0.2, 'down')] });
  const zero = run('r13', { metrics: [metric('val_loss', 0, 'down')] });
  assert.equal(regressions(fromZero, zero, 50)[0]?.percent, null, 'from 0 passes any threshold');
  const nan = run('r14', { metrics: [metric('mlp_accuracy', null, 'up')] });
  assert.equal(regressions(nan, r1, 0).length, 0, 'NaN is not judged');
});

test('the regression message names the metric, by how much, the values and the run', () => {
  const one = regressions(run('r1a2b3c4d5e6f7a8b', { metrics: [metric('mlp_accuracy', 0.83, 'up')] }), r1, 5);
  assert.equal(
    regressionMessage(run('r1a2b3c4d5e6f7a8b'), one),
    'train.ipynb: mlp_accuracy fell 12.6% (0.95 → 0.83) in run r1a2b3c4d',
  );
  assert.equal(
    regressionMessage(r4, regressions(r4, r2, 5)),
    'train.ipynb: mlp_accuracy fell 14.1% (0.97 → 0.833), mlp_loss rose 500.0% (0.15 → 0.9) in run r44444444',
  );
  const three = [
    ...regressions(r4, r2, 5),
    { metric: 'f1', better: 'up' as const, before: 0, after: -1, percent: null },
  ];
  assert.match(regressionMessage(r4, three), /\(0\.15 → 0\.9\) and 1 more metric got worse in run r44444444$/);
  const cmd = { ...r4, source: null, kind: 'command' as const, argv: ['python', 'fit.py'] };
  assert.match(regressionMessage(cmd, three.slice(0, 1)), /^python fit\.py: mlp_accuracy fell/);
  assert.match(
    regressionMessage(r4, [three[2] as (typeof three)[number]]),
    /f1 fell from 0 to −1|f1 fell from 0 to -1/,
  );
});

test('each run+metric alerts once', () => {
  const memory = new AlertMemory();
  const regs = regressions(r4, r2, 5);
  assert.equal(memory.fresh('/p', r4.id, regs).length, 2);
  assert.equal(memory.fresh('/p', r4.id, regs).length, 0, 'the same run announced again');
  assert.equal(memory.fresh('/q', r4.id, regs).length, 2, 'another project');
  const more = [...regs, { metric: 'f1', better: 'up' as const, before: 1, after: 0, percent: -100 }];
  assert.deepEqual(
    memory.fresh('/p', r4.id, more).map((r) => r.metric),
    ['f1'],
    'a metric that regressed later still alerts',
  );
  const small = new AlertMemory(2);
  small.fresh('/p', 'ra', regs);
  small.fresh('/p', 'rb', regs.slice(0, 1));
  assert.equal(small.fresh('/p', 'ra', regs.slice(0, 1)).length, 1, 'the oldest are forgotten past the capacity');
});

test('the table: a column per parameter and metric over all runs, cells changed against the same source', () => {
  const t = runsTable(ALL);
  assert.deepEqual(
    t.columns.map((c) => c.key),
    [
      'run',
      'source',
      'started',
      'param:HIDDEN',
      'param:EPOCHS',
      'param:SEED',
      'metric:epochs',
      'metric:mlp_accuracy',
      'metric:mlp_loss',
    ],
  );
  const loss = t.columns.find((c) => c.key === 'metric:mlp_loss');
  assert.equal(loss?.better, 'down');
  assert.equal(loss?.series, true, 'r2 logged it over 5 steps');
  const [row4, rowOther, row2, row1] = t.rows;
  assert.equal(row2?.cells['param:HIDDEN']?.text, '64');
  assert.equal(row2?.cells['param:HIDDEN']?.changed, true);
  assert.equal(row2?.cells['param:EPOCHS']?.changed, false);
  assert.equal(row2?.cells['metric:mlp_accuracy']?.verdict, 'better');
  assert.equal(row1?.cells['param:HIDDEN']?.changed, false, 'the first run has nothing to change from');
  assert.equal(row4?.previous, r2.id);
  assert.equal(row4?.cells['param:EPOCHS']?.changed, true);
  assert.equal(row4?.cells['metric:mlp_accuracy']?.verdict, 'worse');
  assert.equal(rowOther?.previous, null);
  assert.equal(rowOther?.cells['param:HIDDEN']?.changed, false, 'eval.py is compared with eval.py only');
  assert.equal(rowOther?.cells['param:EPOCHS']?.text, '—');
  assert.equal(rowOther?.cells['param:EPOCHS']?.sort, null);
  assert.equal(row1?.cells['run']?.text, 'r11111111');
});

test('sorting: numbers by value, text naturally, empty cells last both ways, ties stay newest first', () => {
  const rows = runsTable(ALL).rows;
  const ids = (rs: typeof rows): string[] => rs.map((r) => r.id.slice(0, 2));
  assert.deepEqual(ids(sortRows(rows, 'param:HIDDEN', 'asc')), ['r4', 'r3', 'r1', 'r2']);
  assert.deepEqual(ids(sortRows(rows, 'param:HIDDEN', 'desc')), ['r2', 'r1', 'r3', 'r4']);
  assert.deepEqual(ids(sortRows(rows, 'param:EPOCHS', 'desc')), ['r2', 'r1', 'r4', 'r3'], 'eval.py has no EPOCHS');
  assert.deepEqual(ids(sortRows(rows, 'param:EPOCHS', 'asc')), ['r4', 'r2', 'r1', 'r3']);
  assert.deepEqual(ids(sortRows(rows, 'source', 'asc')), ['r3', 'r4', 'r2', 'r1']);
  assert.deepEqual(ids(sortRows(rows, 'started', 'asc')), ['r1', 'r2', 'r3', 'r4']);
  assert.deepEqual(ids(sortRows(rows, 'metric:mlp_accuracy', 'desc')), ['r2', 'r1', 'r4', 'r3']);
});

test('filtering: words over source, id and name=value; metric and parameter comparisons', () => {
  const rows = runsTable(ALL).rows;
  const ids = (f: string): string[] => filterRows(rows, f).map((r) => r.id.slice(0, 2));
  assert.deepEqual(ids(''), ['r4', 'r3', 'r2', 'r1']);
  assert.deepEqual(ids('eval'), ['r3']);
  assert.deepEqual(ids('TRAIN'), ['r4', 'r2', 'r1']);
  assert.deepEqual(ids('mlp_accuracy>0.9'), ['r2', 'r1']);
  assert.deepEqual(ids('mlp_accuracy >= 0.97'), ['r2']);
  assert.deepEqual(ids('train mlp_loss<0.5'), ['r2', 'r1']);
  assert.deepEqual(ids('HIDDEN=64'), ['r2']);
  assert.deepEqual(ids('hidden!=64 train'), ['r4', 'r1']);
  assert.deepEqual(ids('EPOCHS<5'), ['r4'], 'eval.py has no EPOCHS: a comparison needs the value');
  assert.deepEqual(ids('r2222'), ['r2']);
  assert.deepEqual(ids('nosuch'), []);
  assert.deepEqual(parseFilter('a  lr=0.001 b').comparisons, [{ name: 'lr', op: '=', value: 0.001 }]);
  assert.deepEqual(parseFilter('a  lr=0.001 b').words, ['a', 'b']);
  const withString = runsTable([run('r20', { params: { optim: 'adam', lr: '1e-3x' } })]).rows;
  assert.equal(filterRows(withString, 'optim=adam').length, 1, 'a string parameter matches as text');
});

const comparison: RunComparison = {
  a: r2,
  b: r4,
  params: [
    { name: 'EPOCHS', a: 5, b: 1 },
    { name: 'HIDDEN', a: 64, b: 1 },
  ],
  metrics: [
    { name: 'epochs', a: 5, b: 1, delta: -4, percent: -80, better: null, verdict: 'unknown' },
    { name: 'mlp_accuracy', a: 0.97, b: 0.833, delta: -0.137, percent: -14.12, better: 'up', verdict: 'worse' },
    { name: 'mlp_loss', a: 0.15, b: 0.15, delta: 0, percent: 0, better: 'down', verdict: 'same' },
  ],
  outputs: [
    {
      path: 'metrics.json',
      a: { path: 'metrics.json', seq: 2, uid: 'v3' },
      b: { path: 'metrics.json', seq: 3, uid: 'v9' },
      changed: true,
    },
    {
      path: 'models/logreg.joblib',
      a: { path: 'models/logreg.joblib', seq: 1, uid: 'v5' },
      b: { path: 'models/logreg.joblib', seq: 1, uid: 'v5' },
      changed: false,
    },
    { path: 'models/mlp.onnx', a: null, b: { path: 'models/mlp.onnx', seq: 4, uid: 'v7' }, changed: true },
  ],
};

test('a comparison reads: parameters a → b, metric deltas with verdicts, changed outputs with their diff', () => {
  const v = comparisonView(comparison);
  assert.equal(v.title, 'r22222222 → r44444444');
  assert.equal(v.summary, 'train.ipynb · 2 parameters changed · 0 better, 1 worse · 2 outputs changed');
  assert.deepEqual(v.params, [
    { name: 'EPOCHS', a: '5', b: '1' },
    { name: 'HIDDEN', a: '64', b: '1' },
  ]);
  const acc = v.metrics.find((m) => m.name === 'mlp_accuracy');
  assert.equal(acc?.delta, '−0.137');
  assert.equal(acc?.percent, '−14.1%');
  assert.equal(acc?.verdict, 'worse');
  assert.equal(v.metrics.find((m) => m.name === 'mlp_loss')?.delta, '±0');
  assert.deepEqual(v.outputs, [
    { path: 'metrics.json', a: '@2', b: '@3', diff: { path: 'metrics.json', a: 2, b: 3 } },
    { path: 'models/mlp.onnx', a: '—', b: '@4', diff: null },
  ]);
  assert.equal(v.sameOutputs, 1);
  assert.deepEqual(
    orderPair(r4, r2).map((r) => r.id),
    [r2.id, r4.id],
  );
});

const trend: MetricTrend = {
  path: 'models/mlp.pt',
  points: [
    { uid: 'v1', seq: 1, createdAt: T0, run: r1.id, metrics: { mlp_accuracy: 0.95, epochs: 5 } },
    { uid: 'v2', seq: 2, createdAt: T0 + 1, run: r2.id, metrics: { mlp_accuracy: 0.97, epochs: 5 } },
    { uid: 'v3', seq: 3, createdAt: T0 + 2, run: r4.id, metrics: { mlp_accuracy: 0.833, epochs: 1 } },
  ],
};

test("a model's trend says whether it got better over its versions", () => {
  assert.deepEqual(trendMetrics(trend, { mlp_accuracy: 'up', epochs: null }), ['mlp_accuracy', 'epochs']);
  const v = trendView(trend, 'mlp_accuracy', 'up');
  assert.deepEqual(
    v.points.map((p) => p.value),
    [0.95, 0.97, 0.833],
  );
  assert.equal(v.verdict, 'worse');
  assert.equal(
    v.sentence,
    'mlp_accuracy of models/mlp.pt over 3 versions: 0.95 (@1) → 0.833 (@3), worse (−12.3%); best was @2 (0.97).',
  );
  const up = trendView({ ...trend, points: trend.points.slice(0, 2) }, 'mlp_accuracy', 'up');
  assert.equal(up.sentence, 'mlp_accuracy of models/mlp.pt over 2 versions: 0.95 (@1) → 0.97 (@2), better (+2.1%).');
  assert.match(
    trendView({ ...trend, points: trend.points.slice(0, 1) }, 'mlp_accuracy', 'up').sentence,
    /^Only one version/,
  );
  assert.match(trendView(trend, 'f1', 'up').sentence, /^No version of models\/mlp\.pt/);
  assert.deepEqual(outputPaths(ALL), ['models/mlp.pt', 'metrics.json']);
});

test('charts: Vega-Lite specs in the theme colours, no data loaded from anywhere', () => {
  const theme = chartTheme((v) =>
    v === '--vscode-charts-blue' ? ' #123456 ' : v === '--vscode-font-size' ? '14px' : '',
  );
  assert.equal(theme.palette[0], '#123456');
  assert.equal(theme.palette[1], '#d18616', 'unset variables fall back');
  assert.equal(theme.fontSize, 14);
  const config = chartConfig(theme) as { background: unknown; range: { category: string[] } };
  assert.equal(config.background, null);
  assert.equal(config.range.category[0], '#123456');

  const points = finalPoints([r1, r2, r4], ALL, 'mlp_accuracy');
  assert.deepEqual(
    points.map((p) => [p.run, p.value]),
    [
      [r1.id, 0.95],
      [r2.id, 0.97],
      [r4.id, 0.833],
    ],
    'oldest first',
  );
  assert.equal(points[1]?.label, 'r22222222 · HIDDEN=64');
  const bars = finalsSpec(points, 'mlp_accuracy', 'up', theme) as {
    layer: { mark: { type: string } }[];
    data: { values: unknown[] };
  };
  assert.deepEqual(
    bars.layer.map((l) => l.mark.type),
    ['line', 'text'],
    'a few runs: points in run order, each labelled with its value',
  );
  assert.equal(bars.data.values.length, 3);
  const many = Array.from(
    { length: 25 },
    (_, i) => ({ ...points[0], run: `r${i}`, startedAt: T0 + i }) as (typeof points)[number],
  );
  assert.equal(
    (finalsSpec(many, 'mlp_accuracy', 'up', theme) as { mark: { type: string } }).mark.type,
    'line',
    'many: over run time',
  );

  const curve = seriesSpec(
    [
      { run: r1.id, metric: 'loss', steps: [0, 1, 2], values: [0.9, 0.5, 0.3] },
      { run: r2.id, metric: 'loss', steps: [0, 1], values: [0.8, 0.4] },
    ],
    { [r1.id]: 'first' },
    'loss',
    'down',
    theme,
  ) as { data: { values: { run: string; step: number; value: number }[] }; encoding: { x: { field: string } } };
  assert.equal(curve.data.values.length, 5);
  assert.equal(curve.encoding.x.field, 'step');
  assert.deepEqual((curve.encoding.x as { axis?: unknown }).axis, { tickMinStep: 1, format: 'd' }, 'whole steps');
  assert.deepEqual(curve.data.values[0], { run: 'first', step: 0, value: 0.9 });
  assert.equal(curve.data.values[3]?.run, 'r22222222');

  const tv = trendView(trend, 'mlp_accuracy', 'up');
  const tspec = trendSpec(tv.points, trend.path, 'mlp_accuracy', 'up', theme) as {
    data: { values: { version: string }[] };
  };
  assert.deepEqual(
    tspec.data.values.map((v) => v.version),
    ['@1', '@2', '@3'],
  );
  for (const spec of [bars, curve, tspec]) assert.doesNotMatch(JSON.stringify(spec), /"url"/, 'data inline only');
  assert.equal(chartFileName('mlp_accuracy-of-models/mlp.pt'), 'mlp_accuracy-of-models-mlp.pt');
});

test("the page's CSP runs only this page's scripts and never eval", () => {
  const csp = runsTableCsp('https://webview.example', 'abc123');
  assert.match(csp, /script-src 'nonce-abc123'/);
  assert.doesNotMatch(csp, /unsafe-eval/);
  assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
  assert.match(csp, /default-src 'none'/);
  const html = runsTableHtml({
    cspSource: 'https://webview.example',
    nonce: 'abc123',
    title: 'Runs · <demo>',
    script: 'var s = "</script><!--";',
  });
  assert.match(html, /<script nonce="abc123">var s = "\\x3C\/script>\\x3C!--";<\/script>/);
  assert.match(html, /<title>Runs · &#60;demo&#62;<\/title>/);
  assert.equal(html.match(/<script/g)?.length, 1, 'one script: the table; the charts come only when drawn');
  assert.equal(inlineScript('a</SCRIPT>b'), 'a\\x3C/SCRIPT>b');
});
