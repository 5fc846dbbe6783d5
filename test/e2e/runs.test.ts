import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MetricSeries, MetricTrend, RunComparison, RunSummary } from '../../shared/src/runs';
import { daemonApi, mlsnap, mlsnapJson, REPO } from '../support/cli';
import { executeNotebook } from '../support/notebooks';
import { tempDir, waitFor } from '../support/tmp';

/**
 * Runs with no code changes: the demo notebook executed for real twice with another HIDDEN is
 * two runs, each with its parameters (the `parameters` cell), its own outputs (the files its
 * code names, not one another process wrote meanwhile) and the metrics read from them; an
 * `mlsnap run` of a script is a run with its argv and a Lightning-style metrics log.
 */
const home = tempDir('runs-home');
const root = tempDir('runs-project');
const opts = { cwd: root, home };

after(() => {
  mlsnap(['daemon', 'stop'], opts);
});

function runsOf(source?: string): RunSummary[] {
  return mlsnapJson<RunSummary[]>(['runs', ...(source === undefined ? [] : [source])], opts);
}

function param(run: RunSummary | undefined, name: string): unknown {
  return run?.params.find((p) => p.name === name)?.value;
}

function setHidden(value: number): void {
  const file = path.join(root, 'train.ipynb');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/HIDDEN = \d+/, `HIDDEN = ${value}`));
}

test('two executions of the demo notebook are two runs with their parameters, outputs and metrics', async () => {
  fs.cpSync(path.join(REPO, 'examples', 'demo'), root, { recursive: true });
  assert.equal(mlsnap(['init'], opts).status, 0);
  executeNotebook(root);
  await waitFor('the first run', () => runsOf('train.ipynb').length === 1 || null, 60_000);
  setHidden(64);
  // Another process writes a tracked metrics file while the notebook runs: not the run's.
  const other = spawn('/bin/sh', ['-c', 'sleep 2; echo \'{"throughput": 12}\' > metrics_other.json'], { cwd: root });
  executeNotebook(root);
  await new Promise((resolve) => other.on('close', resolve));
  let seen: RunSummary[] = [];
  const runs = await waitFor(
    'the second run with its outputs',
    () => {
      seen = runsOf('train.ipynb');
      return seen.length === 2 && seen[0]?.outputs.some((o) => o.path === 'metrics.json') ? seen : null;
    },
    90_000,
  ).catch((e: unknown) => {
    const log = mlsnap(['log', '--limit', '30'], opts).stdout;
    throw new Error(`${String(e)}\nruns: ${JSON.stringify(seen, null, 1)}\nlog:\n${log}`);
  });
  const [second, first] = runs;
  assert.equal(first?.kind, 'notebook');
  assert.equal(param(first, 'HIDDEN'), 32);
  assert.equal(param(second, 'HIDDEN'), 64);
  assert.equal(param(second, 'EPOCHS'), 5);
  assert.equal(first?.params.find((p) => p.name === 'HIDDEN')?.source, 'parameters cell');
  assert.equal(first?.sourceVersion?.path, 'train.ipynb');
  const outputs = (r: RunSummary | undefined): string[] => (r?.outputs ?? []).map((o) => o.path).sort();
  assert.deepEqual(outputs(first), ['metrics.json', 'models/logreg.joblib', 'models/mlp.onnx', 'models/mlp.pt']);
  // logreg does not depend on HIDDEN: the same bytes, so no new version for the second run.
  assert.deepEqual(outputs(second), ['metrics.json', 'models/mlp.onnx', 'models/mlp.pt']);
  for (const r of runs) {
    assert.ok(!outputs(r).includes('metrics_other.json'), 'a file the notebook does not name is not its output');
    const accuracy = r.metrics.find((m) => m.name === 'mlp_accuracy');
    assert.ok(accuracy && accuracy.final !== null && accuracy.final > 0.5, JSON.stringify(r.metrics));
    assert.equal(accuracy.better, 'up');
    assert.equal(r.metrics.find((m) => m.name === 'test_loss_history')?.points, 5, 'the per-epoch series');
    assert.ok(r.interpreter?.endsWith('python3') || r.interpreter?.includes('python'), r.interpreter ?? 'none');
  }
  const metricsJson = JSON.parse(fs.readFileSync(path.join(root, 'metrics.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(second?.metrics.find((m) => m.name === 'mlp_accuracy')?.final, metricsJson.mlp_accuracy);
  const model = mlsnapJson<{ version: { runId?: string } }>(['show', 'models/mlp.pt@latest'], opts);
  assert.equal(model.version.runId, second?.id, '`show` of a version names its run');
  assert.match(mlsnap(['show', 'models/mlp.pt@latest'], opts).stdout, new RegExp(`run: ${second?.id ?? '?'}`));
  assert.match(mlsnap(['log', 'models/mlp.pt'], opts).stdout, new RegExp(`run ${second?.id ?? '?'}`));
});

test('runs compare gives the parameter change and metric deltas with their direction; series and trend', () => {
  const [second, first] = runsOf('train.ipynb');
  assert.ok(first && second);
  const c = mlsnapJson<RunComparison>(['runs', 'compare', first.id, second.id.slice(0, 8)], opts);
  assert.deepEqual(
    c.params.map((p) => [p.name, p.a, p.b]),
    [['HIDDEN', 32, 64]],
  );
  const accuracy = c.metrics.find((m) => m.name === 'mlp_accuracy');
  assert.ok(accuracy && accuracy.delta !== null);
  assert.equal(accuracy.verdict, accuracy.delta > 0 ? 'better' : accuracy.delta < 0 ? 'worse' : 'same');
  assert.ok(c.outputs.some((o) => o.path === 'models/mlp.pt' && o.changed));
  const text = mlsnap(['runs', 'compare', first.id, second.id], opts);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /HIDDEN: 32 → 64/);
  assert.match(text.stdout, /mlp_accuracy: .* → /);

  const trend = mlsnapJson<MetricTrend>(['runs', 'trend', 'models/mlp.pt'], opts);
  assert.deepEqual(
    trend.points.map((p) => p.run),
    [first.id, second.id],
  );
  assert.equal(typeof trend.points[1]?.metrics.mlp_accuracy, 'number');
  const show = mlsnap(['runs', 'show', second.id], opts);
  assert.match(show.stdout, /series:\s+test_loss_history \(5 points/);
  const listed = mlsnap(['runs'], opts);
  assert.match(listed.stdout, /HIDDEN=64/);
  assert.match(listed.stdout, /mlp_accuracy=/);
});

test('an mlsnap run is a run with its argv parameters, config file, outputs and a Lightning metrics log', () => {
  const cfg = path.join(root, 'conf');
  fs.mkdirSync(cfg, { recursive: true });
  fs.writeFileSync(path.join(cfg, 'train.yaml'), 'model:\n  depth: 4\noptimizer:\n  lr: 0.001\n');
  mlsnapJson(['snapshot', 'conf/train.yaml'], opts);
  fs.writeFileSync(
    path.join(root, 'fit.py'),
    [
      'import os, sys',
      'os.makedirs("lightning_logs/version_0", exist_ok=True)',
      'with open("lightning_logs/version_0/metrics.csv", "w") as f:',
      '    f.write("epoch,step,train_loss,val_acc\\n")',
      '    for step in range(10):',
      '        f.write(f"{step // 5},{step},{1 / (step + 1):.4f},\\n")',
      '        if step % 5 == 4: f.write(f"{step // 5},{step},,{0.5 + step / 20:.3f}\\n")',
      'print("done", sys.argv[1:])',
    ].join('\n'),
  );
  const r = mlsnap(
    ['run', '--json', '--', '/usr/bin/python3', 'fit.py', '--lr', '0.1', '--epochs=3', '--config', 'conf/train.yaml'],
    opts,
  );
  assert.equal(r.status, 0, r.stderr);
  const id = (JSON.parse(r.stdout) as { run: { id: string } }).run.id;
  const run = mlsnapJson<RunSummary>(['runs', 'show', id], opts);
  assert.equal(run.kind, 'command');
  assert.equal(run.source, 'fit.py');
  assert.equal(param(run, 'lr'), 0.1);
  assert.equal(param(run, 'epochs'), 3);
  assert.equal(param(run, 'model.depth'), 4);
  assert.ok(run.outputs.some((o) => o.path === 'lightning_logs/version_0/metrics.csv'));
  const loss = run.metrics.find((m) => m.name === 'train_loss');
  assert.equal(loss?.format, 'lightning-csv');
  assert.equal(loss?.points, 10);
  assert.equal(loss?.final, 0.1);
});

test("the editor's chart data: one metric's series for the runs asked", async () => {
  const [notebookRun] = runsOf('train.ipynb');
  const command = runsOf('fit.py')[0];
  assert.ok(notebookRun && command);
  const r = await daemonApi(home, 'runs/series', {
    root,
    runs: [notebookRun.id, command.id],
    metric: 'test_loss_history',
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const series = r.body as MetricSeries[];
  assert.deepEqual(
    series.map((s) => [s.run, s.steps.length]),
    [[notebookRun.id, 5]],
  );
  assert.deepEqual(series[0]?.steps, [0, 1, 2, 3, 4]);
  const metrics = JSON.parse(fs.readFileSync(path.join(root, 'metrics.json'), 'utf8')) as {
    test_loss_history: number[];
  };
  series[0]?.values.forEach((v, i) => assert.ok(Math.abs(v - (metrics.test_loss_history[i] ?? NaN)) < 1e-6));
});
