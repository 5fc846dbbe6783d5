/**
 * What the daemon has been told about which interpreter runs a file, by those who know better
 * than any guess: the editor (the interpreter its notebook kernel runs) and `mlsnap run` (the
 * interpreter of the command that is writing files right now). Kept in memory per project: the
 * editor says it again on every save and kernel change, and a run lives as long as its command.
 */

import { isAlive } from '../../../shared/node/daemonFiles';

export interface EditorKernelHint {
  executable: string;
  /** How the editor knows, for the version's detail ("the Jupyter extension's kernel: sys.executable"). */
  how: string;
  atMs: number;
}

export interface RunHint {
  runId: string;
  argv: readonly string[];
  /** The command's working folder (its notebook arguments are relative to it). */
  cwd: string;
  /** The `mlsnap run` process: once it is gone the run is over, even if it never said so. */
  pid: number | null;
  executable: string;
  /** How the command's interpreter was found (PATH at the call, an active venv, `uv run` ...). */
  detail: string;
  startedMs: number;
  finishedMs: number | null;
}

/** A file written this long before the run started is not the run's (clock and mtime granularity). */
const BEFORE_START_SLACK_MS = 1_000;
/** Written this long after the command ended: still flushed by it (buffers, a child still exiting). */
const AFTER_END_SLACK_MS = 2_000;
/** Finished runs are remembered this long, for files the watcher records after the run. */
const FINISHED_RUN_MEMORY_MS = 10 * 60_000;
/** A run with no process to watch (none given) is taken as over after this long. */
const OPEN_RUN_LIMIT_MS = 7 * 24 * 3600_000;

export class InterpreterHints {
  private readonly kernels = new Map<string, EditorKernelHint>();
  private runs: RunHint[] = [];

  /** The editor says the notebook `rel` (project-relative posix) runs on `executable`. */
  setKernel(rel: string, hint: EditorKernelHint): void {
    this.kernels.set(rel, hint);
  }

  kernelOf(rel: string): EditorKernelHint | null {
    return this.kernels.get(rel) ?? null;
  }

  startRun(hint: RunHint): void {
    this.forgetOldRuns(Date.now());
    this.runs.push(hint);
  }

  finishRun(runId: string, finishedMs: number): RunHint | null {
    const run = this.runs.find((r) => r.runId === runId);
    if (run === undefined) return null;
    run.finishedMs = finishedMs;
    return run;
  }

  /** The run whose command most plausibly wrote `rel` with this mtime: the newest whose window holds it. */
  runFor(mtimeMs: number, now = Date.now()): RunHint | null {
    this.endOrphanedRuns(now);
    this.forgetOldRuns(now);
    for (let i = this.runs.length - 1; i >= 0; i--) {
      const run = this.runs[i];
      if (run === undefined) continue;
      const end = (run.finishedMs ?? now) + AFTER_END_SLACK_MS;
      if (mtimeMs >= run.startedMs - BEFORE_START_SLACK_MS && mtimeMs <= end) return run;
    }
    return null;
  }

  /**
   * A run whose `mlsnap run` died (terminal closed, kill -9, the call to finish failed) never
   * says it ended; without this it would claim every file written afterwards.
   */
  private endOrphanedRuns(now: number): void {
    for (const run of this.runs) {
      if (run.finishedMs === null && run.pid !== null && !isAlive(run.pid)) run.finishedMs = now;
      if (run.finishedMs === null && now - run.startedMs > OPEN_RUN_LIMIT_MS) run.finishedMs = now;
    }
  }

  private forgetOldRuns(now: number): void {
    this.runs = this.runs.filter((r) => r.finishedMs === null || now - r.finishedMs < FINISHED_RUN_MEMORY_MS);
  }
}
