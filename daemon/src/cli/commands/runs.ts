import type { MetricTrend, ParamValue, RunComparison, RunMetric, RunSummary } from '../../../../shared/src/runs';
import { signed } from '../../../../shared/src/signed';
import { operand, type CommandDef, type CommandGroup } from '../command';
import { CLI_EXIT } from '../exitCodes';
import * as fmt from '../format';

/** `HIDDEN=32`, `LR=0.001`, `CONFIG={…}`: values as code would write them, long ones cut. */
export function paramText(value: ParamValue | undefined): string {
  if (value === undefined) return '—';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function metricText(m: Pick<RunMetric, 'final'> | { final: number | null }): string {
  if (m.final === null) return 'NaN';
  return Number.isInteger(m.final) ? String(m.final) : m.final.toPrecision(4).replace(/\.?0+$/, '');
}

function runLine(r: RunSummary): string {
  const what = r.kind === 'command' ? (r.argv ?? []).join(' ') : (r.source ?? '?');
  const params = r.params.map((p) => `${p.name}=${paramText(p.value)}`).join(' ');
  const metrics = r.metrics.map((m) => `${m.name}=${metricText(m)}`).join(' ');
  const outputs = r.outputs.map((o) => `${o.path}@${o.seq}`).join(', ');
  return [
    `${r.id}  ${fmt.when(r.startedAt)}  ${what}`,
    params ? `  params:  ${params}` : null,
    metrics ? `  metrics: ${metrics}` : null,
    outputs ? `  wrote:   ${outputs}` : '  wrote:   nothing tracked',
  ]
    .filter((l) => l !== null)
    .join('\n');
}

function runBlock(r: RunSummary): string {
  const lines = [runLine(r)];
  if (r.sourceVersion) lines.push(`  source:  ${r.sourceVersion.path}@${r.sourceVersion.seq} (${r.sourceVersion.uid})`);
  if (r.interpreter) lines.push(`  python:  ${r.interpreter}`);
  if (r.git) lines.push(`  git:     ${fmt.gitLine({ ...r.git })}`);
  if (r.exitCode !== null) lines.push(`  exit:    ${r.exitCode}`);
  for (const m of r.metrics.filter((x) => x.points > 1)) {
    lines.push(`  series:  ${m.name} (${m.points} points from ${m.source}, ${m.format})`);
  }
  return lines.join('\n');
}

function compareBlock(c: RunComparison): string {
  const lines = [`${c.a.id} → ${c.b.id}`];
  lines.push(c.params.length === 0 ? 'parameters: unchanged' : 'parameters:');
  for (const p of c.params) lines.push(`  ${p.name}: ${paramText(p.a)} → ${paramText(p.b)}`);
  lines.push(c.metrics.length === 0 ? 'metrics: none logged' : 'metrics:');
  for (const m of c.metrics) {
    const delta =
      m.delta === null ? '' : ` (${signed(m.delta)}${m.percent === null ? '' : `, ${signed(m.percent, 1)}%`})`;
    const verdict = m.verdict === 'unknown' || m.verdict === 'same' ? '' : `  ${m.verdict.toUpperCase()}`;
    lines.push(`  ${m.name}: ${metricText({ final: m.a })} → ${metricText({ final: m.b })}${delta}${verdict}`);
  }
  const changed = c.outputs.filter((o) => o.changed);
  lines.push(changed.length === 0 ? 'outputs: the same bytes' : 'outputs:');
  for (const o of changed) {
    const side = (x: RunComparison['outputs'][number]['a']): string => (x === null ? '—' : `@${x.seq}`);
    lines.push(
      `  ${o.path}: ${side(o.a)} → ${side(o.b)}  (mlsnap diff ${o.path}@${o.a?.seq ?? '?'} ${o.path}@${o.b?.seq ?? '?'})`,
    );
  }
  return lines.join('\n');
}

function trendBlock(t: MetricTrend): string {
  if (t.points.length === 0) return `no version of ${t.path} was written by a run`;
  const names = [...new Set(t.points.flatMap((p) => Object.keys(p.metrics)))].sort();
  const lines = [`${t.path}: ${names.join(', ') || 'no metrics'} over ${t.points.length} version(s)`];
  for (const p of t.points) {
    const values = names.map(
      (n) => `${n}=${p.metrics[n] === undefined ? '—' : metricText({ final: p.metrics[n] ?? null })}`,
    );
    lines.push(`  @${p.seq}  ${fmt.when(p.createdAt)}  ${p.run}  ${values.join(' ')}`);
  }
  return lines.join('\n');
}

const list: CommandDef<{ limit?: string }> = {
  name: 'list',
  summary: 'runs, newest first: id, source, time, parameters, final metrics, outputs',
  arguments: [{ name: '[source]', description: 'only the runs of this notebook or script' }],
  options: [{ flags: '--limit <N>', description: 'at most N runs (default 50)' }],
  json: true,
  project: true,
  async run({ args, opts, project, client, print }) {
    const p = project();
    const source = args[0];
    const limit = fmt.parseLimit(opts.limit);
    const runs = await (
      await client()
    ).call('runs/list', {
      root: p.root,
      ...(source !== undefined ? { source: p.path(source) } : {}),
      ...(limit !== undefined ? { limit } : {}),
    });
    print(runs.length === 0 ? 'no runs yet' : runs.map(runLine).join('\n\n'), runs);
    return CLI_EXIT.ok;
  },
};

const show: CommandDef = {
  name: 'show',
  summary: 'one run: parameters, metrics (and which have series), outputs, interpreter, git',
  arguments: [{ name: '<run>', description: 'a run id or a prefix of it' }],
  json: true,
  project: true,
  async run({ args, project, client, print }) {
    const p = project();
    const run = await (await client()).call('runs/show', { root: p.root, run: operand(args, 0, 'a <run>') });
    print(runBlock(run), run);
    return CLI_EXIT.ok;
  },
};

const compare: CommandDef = {
  name: 'compare',
  summary: 'two runs: parameter changes, metric deltas with direction, output changes',
  arguments: [
    { name: '<runA>', description: 'the older run' },
    { name: '<runB>', description: 'the newer run' },
  ],
  json: true,
  project: true,
  async run({ args, project, client, print }) {
    const p = project();
    const c = await (
      await client()
    ).call('runs/compare', { root: p.root, a: operand(args, 0, 'a <runA>'), b: operand(args, 1, 'a <runB>') });
    print(compareBlock(c), c);
    return CLI_EXIT.ok;
  },
};

const trend: CommandDef = {
  name: 'trend',
  summary: "a model file's metrics over its versions, each from the run that wrote it",
  arguments: [{ name: '<path>', description: 'a model (or any file runs wrote)' }],
  json: true,
  project: true,
  async run({ args, project, client, print }) {
    const p = project();
    const t = await (await client()).call('runs/trend', { root: p.root, path: p.path(operand(args, 0, 'a <path>')) });
    print(trendBlock(t), t);
    return CLI_EXIT.ok;
  },
};

export const runs: CommandGroup = {
  name: 'runs',
  summary: 'runs (notebook executions and `mlsnap run`s): list, show, compare, trend',
  subcommands: [list, show, compare, trend] as readonly CommandDef[],
  defaultSubcommand: 'list',
};
