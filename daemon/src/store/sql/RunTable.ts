import { randomBytes } from 'node:crypto';
import type { GitState, RunInfo } from '../../../../shared/src/domain';
import type { MetricFormat, MetricSeries, RunMetric, RunParam } from '../../../../shared/src/runs';
import { decodeSeries, encodeSeries } from './seriesCodec';
import type { StatementCache } from './StatementCache';

interface RunRow {
  id: string;
  kind: 'command' | 'notebook';
  source_path: string | null;
  source_version_id: number | null;
  params: string | null;
  git: string | null;
  argv: string;
  cwd: string;
  executable: string | null;
  interpreter_detail: string | null;
  pid: number | null;
  started_at: number;
  finished_at: number | null;
  exit_code: number | null;
  signal: string | null;
  output_tail: string | null;
}

export interface RunStart {
  argv: readonly string[];
  cwd: string;
  executable: string | null;
  interpreterDetail: string | null;
  pid: number | null;
  startedAt: number;
  kind?: 'command' | 'notebook';
  sourcePath?: string | null;
  sourceVersionId?: number | null;
  params?: readonly RunParam[];
  git?: GitState | null;
  /** A notebook run is recorded once it has ended. */
  finishedAt?: number | null;
}

export interface RunEnd {
  finishedAt: number;
  exitCode: number | null;
  signal: string | null;
  outputTail: string;
}

/** One metric as read from a file the run wrote. */
export interface MetricRow {
  name: string;
  source: string;
  format: MetricFormat;
  steps: readonly number[];
  values: readonly number[];
  better: 'up' | 'down' | null;
}

/** run.metrics holds [name, final, points, source, format] per metric: arrays parse faster than objects. */
type MetricTuple = [string, number | null, number, string, MetricFormat];

/** A run id: `r` + 16 hex digits, like version ids, so refs can tell them apart. */
export function newRunId(): string {
  return `r${randomBytes(8).toString('hex')}`;
}

function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function toInfo(row: RunRow): RunInfo {
  const argv = parseJson<unknown>(row.argv, []);
  return {
    id: row.id,
    kind: row.kind,
    sourcePath: row.source_path,
    sourceVersionId: row.source_version_id,
    params: parseJson<RunParam[]>(row.params, []),
    git: parseJson<GitState | null>(row.git, null),
    argv: Array.isArray(argv) ? argv.map(String) : [],
    cwd: row.cwd,
    executable: row.executable,
    interpreterDetail: row.interpreter_detail,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    exitCode: row.exit_code,
    signal: row.signal,
    outputTail: row.output_tail,
  };
}

/** The last value as SQLite keeps it: NaN and ±Infinity have no JSON form, so they are NULL. */
function finalOf(values: readonly number[]): number | null {
  const last = values[values.length - 1];
  return last !== undefined && Number.isFinite(last) ? last : null;
}

/**
 * Runs (`mlsnap run` executions and inferred notebook executions), the metrics each logged
 * (final values in run_metric, series apart in run_series); versions point at their run
 * (version.run_id).
 */
export class RunTable {
  constructor(private readonly s: StatementCache) {}

  insert(run: RunStart): RunInfo {
    const id = newRunId();
    this.s
      .sql(
        `INSERT INTO run (id, kind, source_path, source_version_id, params, git, argv, cwd, executable,
                          interpreter_detail, pid, started_at, finished_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        run.kind ?? 'command',
        run.sourcePath ?? null,
        run.sourceVersionId ?? null,
        JSON.stringify(run.params ?? []),
        run.git ? JSON.stringify(run.git) : null,
        JSON.stringify(run.argv),
        run.cwd,
        run.executable,
        run.interpreterDetail,
        run.pid,
        Math.round(run.startedAt),
        run.finishedAt === undefined || run.finishedAt === null ? null : Math.round(run.finishedAt),
      );
    const info = this.get(id);
    if (info === null) throw new Error(`run ${id} vanished after its insert`);
    return info;
  }

  finish(id: string, end: RunEnd): RunInfo | null {
    this.s
      .sql('UPDATE run SET finished_at = ?, exit_code = ?, signal = ?, output_tail = ? WHERE id = ?')
      .run(Math.round(end.finishedAt), end.exitCode, end.signal, end.outputTail, id);
    return this.get(id);
  }

  /** What was learnt of a run after it started: its source, parameters, git state. */
  describe(id: string, d: { sourcePath?: string | null; params?: readonly RunParam[]; git?: GitState | null }): void {
    if (d.sourcePath !== undefined) this.s.sql('UPDATE run SET source_path = ? WHERE id = ?').run(d.sourcePath, id);
    if (d.params !== undefined) this.s.sql('UPDATE run SET params = ? WHERE id = ?').run(JSON.stringify(d.params), id);
    if (d.git !== undefined) {
      this.s.sql('UPDATE run SET git = ? WHERE id = ?').run(d.git ? JSON.stringify(d.git) : null, id);
    }
  }

  /** Runs not finished (as of the last time the store was open): a reopened project keeps binding them. */
  unfinished(): (RunInfo & { pid: number | null })[] {
    const rows = this.s.sql("SELECT * FROM run WHERE finished_at IS NULL AND kind = 'command'").all() as RunRow[];
    return rows.map((r) => ({ ...toInfo(r), pid: r.pid }));
  }

  get(id: string): RunInfo | null {
    const row = this.s.sql('SELECT * FROM run WHERE id = ?').get(id) as RunRow | undefined;
    return row === undefined ? null : toInfo(row);
  }

  /** Ids starting with `prefix` (at most 2: enough to tell unique from ambiguous). */
  idsStartingWith(prefix: string): string[] {
    const rows = this.s
      .sql("SELECT id FROM run WHERE id >= ? AND id < ? || 'g' ORDER BY id LIMIT 2")
      .all(prefix, prefix);
    return (rows as { id: string }[]).map((r) => r.id);
  }

  /** Newest first; of one source when given. */
  list(opts: { source?: string; limit: number }): RunInfo[] {
    const rows =
      opts.source === undefined
        ? this.s.sql('SELECT * FROM run ORDER BY started_at DESC, id LIMIT ?').all(opts.limit)
        : this.s
            .sql('SELECT * FROM run WHERE source_path = ? ORDER BY started_at DESC, id LIMIT ?')
            .all(opts.source, opts.limit);
    return (rows as RunRow[]).map(toInfo);
  }

  /** The run of the same source just before this one (the one a new run is compared with). */
  previousOf(run: RunInfo): RunInfo | null {
    if (run.sourcePath === null) return null;
    const row = this.s
      .sql(
        `SELECT * FROM run WHERE source_path = ? AND id != ? AND (started_at < ? OR (started_at = ? AND id < ?))
         ORDER BY started_at DESC, id DESC LIMIT 1`,
      )
      .get(run.sourcePath, run.id, run.startedAt, run.startedAt, run.id) as RunRow | undefined;
    return row === undefined ? null : toInfo(row);
  }

  /** The notebook run a version of `sourcePath` produced, if one was recorded for it. */
  bySourceVersion(sourceVersionId: number): RunInfo | null {
    const row = this.s.sql('SELECT * FROM run WHERE source_version_id = ?').get(sourceVersionId) as RunRow | undefined;
    return row === undefined ? null : toInfo(row);
  }

  /** The newest notebook run of a source. */
  latestNotebookRun(sourcePath: string): RunInfo | null {
    const row = this.s
      .sql("SELECT * FROM run WHERE source_path = ? AND kind = 'notebook' ORDER BY started_at DESC, id DESC LIMIT 1")
      .get(sourcePath) as RunRow | undefined;
    return row === undefined ? null : toInfo(row);
  }

  /** Replace the metrics read from one source file; a name another file of the run logs first is kept. */
  replaceMetrics(runId: string, source: string, metrics: readonly MetricRow[]): void {
    this.s.sql('DELETE FROM run_metric WHERE run_id = ? AND source = ?').run(runId, source);
    for (const m of metrics) {
      const inserted = this.s
        .sql(
          `INSERT OR IGNORE INTO run_metric (run_id, name, source, format, final, points)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(runId, m.name, source, m.format, finalOf(m.values), m.values.length);
      if (inserted.changes === 1 && m.values.length > 1) {
        this.s
          .sql('INSERT INTO run_series (run_id, name, data) VALUES (?, ?, ?)')
          .run(runId, m.name, encodeSeries(m.steps, m.values));
      }
    }
    this.summarizeMetrics(runId);
  }

  /** Final values of the given runs' metrics, by run: one row a run (run.metrics, kept by replaceMetrics). */
  metricsOf(runIds: readonly string[], better: (name: string) => RunMetric['better']): Map<string, RunMetric[]> {
    const out = new Map<string, RunMetric[]>(runIds.map((id) => [id, []]));
    if (runIds.length === 0) return out;
    const rows = this.s
      .sql('SELECT id, metrics FROM run WHERE id IN (SELECT value FROM json_each(?)) AND metrics IS NOT NULL')
      .all(JSON.stringify(runIds)) as { id: string; metrics: string }[];
    // A listing repeats the same few dozen names across every run: decide each direction once.
    const direction = new Map<string, RunMetric['better']>();
    const directionOf = (name: string): RunMetric['better'] => {
      let b = direction.get(name);
      if (b === undefined) {
        b = better(name);
        direction.set(name, b);
      }
      return b;
    };
    for (const r of rows) {
      const finals = parseJson<MetricTuple[]>(r.metrics, []);
      const list: RunMetric[] = new Array<RunMetric>(finals.length);
      for (let i = 0; i < finals.length; i++) {
        const [name, final, points, source, format] = finals[i] as MetricTuple;
        list[i] = { name, final, points, source, format, better: directionOf(name) };
      }
      out.set(r.id, list);
    }
    return out;
  }

  /** run.metrics from run_metric, after a change to it. */
  private summarizeMetrics(runId: string): void {
    const rows = this.s
      .sql('SELECT name, final, points, source, format FROM run_metric WHERE run_id = ? ORDER BY name')
      .raw()
      .all(runId) as MetricTuple[];
    this.s.sql('UPDATE run SET metrics = ? WHERE id = ?').run(JSON.stringify(rows), runId);
  }

  /** One metric's series for each of the given runs that logged more than one value of it. */
  series(runIds: readonly string[], metric: string): MetricSeries[] {
    const rows = this.s
      .sql('SELECT run_id, data FROM run_series WHERE name = ? AND run_id IN (SELECT value FROM json_each(?))')
      .all(metric, JSON.stringify(runIds)) as { run_id: string; data: Buffer }[];
    const byRun = new Map(rows.map((r) => [r.run_id, r.data]));
    return runIds.flatMap((run) => {
      const data = byRun.get(run);
      return data === undefined ? [] : [{ run, metric, ...decodeSeries(data) }];
    });
  }
}
