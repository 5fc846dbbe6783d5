import { spawn, type ChildProcess } from 'node:child_process';

/** Result of a child process that was allowed to finish (any exit code). */
export interface ExecResult {
  stdout: Buffer;
  stderr: string;
  /** Exit code; null when it died from a signal. */
  code: number | null;
  /** stdout was longer than maxStdoutBytes and the child was stopped there. */
  truncated: boolean;
}

export interface ExecOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Keep at most this many stdout bytes; the child is killed once it writes more. */
  maxStdoutBytes?: number;
}

/** Why a child did not produce a result: it could not start, ran too long, or the caller gave up. */
export class ExecError extends Error {
  constructor(
    message: string,
    readonly reason: 'not-found' | 'spawn-failed' | 'timeout' | 'aborted',
  ) {
    super(message);
  }
}

const DEFAULT_MAX_STDOUT = 16 * 1024 * 1024;
const MAX_STDERR = 64 * 1024;

export interface SpawnBoundedOptions extends Omit<ExecOptions, 'maxStdoutBytes'> {
  /**
   * After a timeout or an abort, wait up to this long for the killed child to exit before
   * rejecting (a caller that removes the folder it was writing to must not race its last
   * writes). Without it the call rejects at once.
   */
  exitWaitMs?: number;
}

/** A child started by spawnBounded, as the caller reading its output sees it. */
export interface BoundedChild {
  readonly child: ChildProcess;
  /** SIGKILL the child's whole process group (the child alone when the group is gone). */
  killGroup(): void;
  /** True once the call has settled or the child is being stopped: its output is of no more use. */
  readonly ending: boolean;
}

/**
 * What execBounded and execLines build on: spawn an executable (argument vector, never a shell
 * string) in a process group of its own, with stdin closed, and kill the whole group at the
 * deadline or when the caller aborts, rejecting with an ExecError. `attach` wires up the child's
 * output and returns what the call resolves with once the child closed by itself.
 */
export function spawnBounded<T>(
  file: string,
  args: readonly string[],
  opts: SpawnBoundedOptions,
  attach: (run: BoundedChild) => (code: number | null) => T,
): Promise<T> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new ExecError(`${file}: aborted before start`, 'aborted'));
      return;
    }
    let settled = false;
    /** Set once the child is being killed: what the call rejects with once it is gone. */
    let stopping: ExecError | null = null;

    // spawn rather than execFile: execFile does not pass `detached` on, and without a process group
    // of its own a timed-out wrapper script's children survive. Like execFile, no shell is involved.
    const child = spawn(file, [...args], {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });

    // Nothing we run reads input; an open stdin would make one that tries wait forever.
    // A child that exits at once makes the end() fail with EPIPE, which is of no interest.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end();

    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group may be gone already; fall back to the child alone.
        child.kill('SIGKILL');
      }
    };
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const stop = (err: ExecError): void => {
      if (settled || stopping !== null) return;
      stopping = err;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      killGroup();
      const waitMs = opts.exitWaitMs;
      if (waitMs === undefined || child.exitCode !== null || child.signalCode !== null) {
        finish(() => reject(err));
        return;
      }
      const wait = setTimeout(() => finish(() => reject(err)), waitMs);
      child.once('exit', () => {
        clearTimeout(wait);
        finish(() => reject(err));
      });
    };
    const onAbort = (): void => stop(new ExecError(`${file}: aborted`, 'aborted'));
    const timer = setTimeout(
      () => stop(new ExecError(`${file}: no answer within ${opts.timeoutMs} ms`, 'timeout')),
      opts.timeoutMs,
    );
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const closed = attach({
      child,
      killGroup,
      get ending() {
        return settled || stopping !== null;
      },
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'ENOENT' ? 'not-found' : 'spawn-failed';
      const failure = stopping ?? new ExecError(`${file}: ${err.message}`, reason);
      finish(() => reject(failure));
    });
    child.on('close', (code) => {
      if (settled) return;
      const killed = stopping;
      if (killed !== null) {
        finish(() => reject(killed));
        return;
      }
      // Before finish: what `closed` does with the last output still counts as during the run.
      const result = closed(code);
      finish(() => resolve(result));
    });
  });
}

/**
 * Run an executable (argument vector, never a shell string) and collect its output, with a hard time limit.
 * The child gets its own process group so that a timeout also kills what it started:
 * a wrapper script that runs `sleep` would otherwise keep the pipes open and linger.
 * The promise settles at the deadline without waiting for the pipes to close.
 */
export function execBounded(file: string, args: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  const maxStdout = opts.maxStdoutBytes ?? DEFAULT_MAX_STDOUT;
  return spawnBounded(file, args, opts, ({ child, killGroup }) => {
    const chunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let truncated = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      if (truncated) return;
      const room = maxStdout - stdoutBytes;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        stdoutBytes = maxStdout;
        truncated = true;
        killGroup();
        return;
      }
      chunks.push(chunk);
      stdoutBytes += chunk.length;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR) stderr += chunk.toString('utf8');
    });
    return (code) => ({ stdout: Buffer.concat(chunks), stderr: stderr.slice(0, MAX_STDERR), code, truncated });
  });
}

/** A short, single-line description of a failed run for logs and incompleteReason. */
export function describeExecFailure(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.message;
  return String(err);
}
