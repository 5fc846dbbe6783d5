import { spawn } from 'node:child_process';

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

/**
 * Run an executable (argument vector, never a shell string) and collect its output, with a hard time limit.
 * The child gets its own process group so that a timeout also kills what it started:
 * a wrapper script that runs `sleep` would otherwise keep the pipes open and linger.
 * The promise settles at the deadline without waiting for the pipes to close.
 */
export function execBounded(file: string, args: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new ExecError(`${file}: aborted before start`, 'aborted'));
      return;
    }
    const maxStdout = opts.maxStdoutBytes ?? DEFAULT_MAX_STDOUT;
    const chunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let truncated = false;
    let settled = false;

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
    const onAbort = (): void => {
      killGroup();
      finish(() => reject(new ExecError(`${file}: aborted`, 'aborted')));
    };
    const timer = setTimeout(() => {
      killGroup();
      finish(() => reject(new ExecError(`${file}: no answer within ${opts.timeoutMs} ms`, 'timeout')));
    }, opts.timeoutMs);
    opts.signal?.addEventListener('abort', onAbort, { once: true });

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
    child.on('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'ENOENT' ? 'not-found' : 'spawn-failed';
      finish(() => reject(new ExecError(`${file}: ${err.message}`, reason)));
    });
    child.on('close', (code) => {
      finish(() => resolve({ stdout: Buffer.concat(chunks), stderr: stderr.slice(0, MAX_STDERR), code, truncated }));
    });
  });
}

/** A short, single-line description of a failed run for logs and incompleteReason. */
export function describeExecFailure(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.message;
  return String(err);
}
