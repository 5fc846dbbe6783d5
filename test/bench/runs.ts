/**
 * Figures 7 and 8 (runs): the Runs table's data for 1,000 runs × 50 metrics, each logged over
 * 10,000 steps, and one chart's data (one metric's series for 10 runs), each against reading
 * the same rows straight from SQLite in the same run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunQueries } from '../../daemon/src/runs/RunQueries';
import type { MetricRow } from '../../daemon/src/store/sql/RunTable';
import { SnapshotStore } from '../../daemon/src/store/SnapshotStore';
import type { Figure } from './report';
import { fmtMs, median, progress, timed } from './util';

export interface RunsBenchOptions {
  dir: string;
  runs: number;
  metrics: number;
  steps: number;
  samples: number;
}

/** A training curve that looks like one: decaying, noisy, deterministic. */
function curve(seed: number, steps: number): number[] {
  let x = (seed * 2654435761) >>> 0 || 1;
  const values = new Array<number>(steps);
  for (let i = 0; i < steps; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    values[i] = 1 / (1 + i / 100) + ((x >>> 0) / 2 ** 32) * 0.05;
  }
  return values;
}

function buildStore(opts: RunsBenchOptions): SnapshotStore {
  fs.mkdirSync(opts.dir, { recursive: true });
  const store = new SnapshotStore(path.join(opts.dir, 'store.db'));
  const steps = Array.from({ length: opts.steps }, (_, i) => i);
  progress(
    `recording ${opts.runs} runs × ${opts.metrics} metrics × ${opts.steps.toLocaleString('en')} steps into SQLite…`,
  );
  for (let r = 0; r < opts.runs; r++) {
    const run = store.runs.insert({
      kind: 'notebook',
      argv: [],
      cwd: opts.dir,
      executable: '/usr/bin/python3',
      interpreterDetail: 'bench',
      pid: null,
      startedAt: 1_700_000_000_000 + r * 60_000,
      finishedAt: 1_700_000_000_000 + r * 60_000 + 30_000,
      sourcePath: `notebooks/train_${r % 10}.ipynb`,
      params: [
        { name: 'HIDDEN', value: 32 << (r % 4), source: 'parameters cell' },
        { name: 'LR', value: 10 ** -(1 + (r % 3)), source: 'parameters cell' },
        { name: 'EPOCHS', value: 5 + (r % 7), source: 'parameters cell' },
      ],
      git: null,
    });
    const rows: MetricRow[] = Array.from({ length: opts.metrics }, (_, m) => ({
      name: m % 2 === 0 ? `val_loss_${m}` : `accuracy_${m}`,
      source: 'metrics.csv',
      format: 'csv',
      steps,
      values: curve(r * opts.metrics + m, opts.steps),
      better: m % 2 === 0 ? 'down' : 'up',
    }));
    store.replaceRunMetrics(run.id, 'metrics.csv', rows);
    if (r % 100 === 99) progress(`  ${r + 1} runs`);
  }
  return store;
}

export async function measureRuns(opts: RunsBenchOptions): Promise<Figure[]> {
  const build = await timed(() => buildStore(opts));
  const store = build.value;
  try {
    const queries = new RunQueries(store);
    const ids = store.runs.list({ limit: opts.runs }).map((r) => r.id);
    const chartRuns = ids.slice(0, 10);
    const metric = 'val_loss_0';
    const table: number[] = [];
    const tableFloor: number[] = [];
    const chart: number[] = [];
    const chartFloor: number[] = [];
    let rows = 0;
    let points = 0;
    for (let i = 0; i < opts.samples + 1; i++) {
      const t = await timed(() => queries.list({ limit: opts.runs }));
      const f = await timed(() => {
        // Every row and column the listing needs, as SQLite returns them: runs, their metrics, their outputs.
        return store.db.prepare('SELECT * FROM run ORDER BY started_at DESC LIMIT ?').all(opts.runs).length;
      });
      const c = await timed(() => queries.series(chartRuns, metric));
      const cf = await timed(
        () =>
          store.db
            .prepare('SELECT data FROM run_series WHERE name = ? AND run_id IN (SELECT value FROM json_each(?))')
            .all(metric, JSON.stringify(chartRuns)).length,
      );
      rows = t.value.length;
      points = c.value.reduce((n, s) => n + s.values.length, 0);
      // The first round warms up the JIT and SQLite's page cache.
      if (i === 0) continue;
      table.push(t.ms);
      tableFloor.push(f.ms);
      chart.push(c.ms);
      chartFloor.push(cf.ms);
    }
    const dbBytes = fs.statSync(path.join(opts.dir, 'store.db')).size;
    const built = `store of ${(dbBytes / 2 ** 30).toFixed(2)} GiB built in ${fmtMs(build.ms)}`;
    const tableValue = median(table);
    const chartValue = median(chart);
    return [
      {
        id: '7',
        name: `runs table data, ${opts.runs} runs × ${opts.metrics} metrics (${opts.steps.toLocaleString('en')}-step series)`,
        method: `RunQueries.list (what runs/list answers: params, final metrics, outputs) on a real SQLite store; median of ${opts.samples}`,
        value: tableValue,
        baseline: median(tableFloor),
        baselineLabel: 'SELECT of the same run rows (parameters and final metrics as stored), nothing built',
        unit: 'ms',
        ratio: tableValue / median(tableFloor),
        target: { kind: 'absolute', limit: 200 },
        pass: tableValue <= 200 && rows === opts.runs,
        notes: [`${rows} rows`, built],
        details: { samples: table, floorSamples: tableFloor, rows, dbBytes, buildMs: build.ms },
      },
      {
        id: '8',
        name: `one chart's data: ${metric} for ${chartRuns.length} runs × ${opts.steps.toLocaleString('en')} steps`,
        method: `RunQueries.series (what runs/series answers: decoded steps and values); median of ${opts.samples}`,
        value: chartValue,
        baseline: median(chartFloor),
        baselineLabel: 'SELECT of the same series blobs, not decoded',
        unit: 'ms',
        ratio: chartValue / median(chartFloor),
        target: { kind: 'absolute', limit: 100 },
        pass: chartValue <= 100 && points === chartRuns.length * opts.steps,
        notes: [`${points.toLocaleString('en')} points decoded`],
        details: { samples: chart, floorSamples: chartFloor, points },
      },
    ];
  } finally {
    store.close();
    fs.rmSync(opts.dir, { recursive: true, force: true });
  }
}
