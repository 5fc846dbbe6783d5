import { randomBytes } from 'node:crypto';
import type { RunInfo } from '../../../../shared/src/domain';
import type { StatementCache } from './StatementCache';

interface RunRow {
  id: string;
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
}

export interface RunEnd {
  finishedAt: number;
  exitCode: number | null;
  signal: string | null;
  outputTail: string;
}

/** A run id: `r` + 16 hex digits, like version ids, so refs can tell them apart. */
export function newRunId(): string {
  return `r${randomBytes(8).toString('hex')}`;
}

function toInfo(row: RunRow): RunInfo {
  const argv: unknown = JSON.parse(row.argv);
  return {
    id: row.id,
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

/** `mlsnap run` executions; versions point at the run that wrote them (version.run_id). */
export class RunTable {
  constructor(private readonly s: StatementCache) {}

  insert(run: RunStart): RunInfo {
    const id = newRunId();
    this.s
      .sql(
        `INSERT INTO run (id, argv, cwd, executable, interpreter_detail, pid, started_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        JSON.stringify(run.argv),
        run.cwd,
        run.executable,
        run.interpreterDetail,
        run.pid,
        Math.round(run.startedAt),
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

  /** Runs not finished (as of the last time the store was open): a reopened project keeps binding them. */
  unfinished(): (RunInfo & { pid: number | null })[] {
    const rows = this.s.sql('SELECT * FROM run WHERE finished_at IS NULL').all() as RunRow[];
    return rows.map((r) => ({ ...toInfo(r), pid: r.pid }));
  }

  get(id: string): RunInfo | null {
    const row = this.s.sql('SELECT * FROM run WHERE id = ?').get(id) as RunRow | undefined;
    return row === undefined ? null : toInfo(row);
  }
}
