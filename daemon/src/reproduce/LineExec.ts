/**
 * Runs a child (argument vector, no shell) and hands over its stdout line by line as it comes,
 * for progress from a long `pip install`. Like execBounded: its own process group, killed as a
 * whole at the deadline or when the caller aborts, and it settles without waiting for the pipes.
 * Unlike it, a killed child is waited for (up to EXIT_WAIT_MS): a caller that removes the
 * folder it was writing to must not race its last writes.
 */
import { spawn } from 'node:child_process';
import { ExecError } from '../env/BoundedExec';

export interface LineExecResult {
  /** Exit code; null when it died from a signal. */
  code: number | null;
  /** The last STDERR_KEPT characters of stderr (pip's ERROR lines come at the end). */
  stderr: string;
  /** The last STDOUT_LINES_KEPT lines of stdout. */
  stdoutTail: string[];
}

export interface LineExecOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  onLine?: (line: string) => void;
}

const STDERR_KEPT = 64 * 1024;
const STDOUT_LINES_KEPT = 200;
/** How long a SIGKILLed child is waited for before the call settles anyway. */
const EXIT_WAIT_MS = 2_000;

export function execLines(file: string, args: readonly string[], opts: LineExecOptions): Promise<LineExecResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new ExecError(`${file}: aborted before start`, 'aborted'));
      return;
    }
    let stderr = '';
    let partial = '';
    const tail: string[] = [];
    let settled = false;

    const child = spawn(file, [...args], {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end();

    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    /** Set once the child is being killed: what the call rejects with once it is gone. */
    let stopping: ExecError | null = null;
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
      if (child.exitCode !== null || child.signalCode !== null) {
        finish(() => reject(err));
        return;
      }
      const wait = setTimeout(() => finish(() => reject(err)), EXIT_WAIT_MS);
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

    const emit = (line: string): void => {
      const clean = line.replace(/\r$/, '');
      tail.push(clean);
      if (tail.length > STDOUT_LINES_KEPT) tail.shift();
      if (settled || stopping !== null) return;
      try {
        opts.onLine?.(clean);
      } catch {
        // A progress listener that throws must not break the install.
      }
    };
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) emit(line);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > 2 * STDERR_KEPT) stderr = stderr.slice(-STDERR_KEPT);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const reason = err.code === 'ENOENT' ? 'not-found' : 'spawn-failed';
      const failure = stopping ?? new ExecError(`${file}: ${err.message}`, reason);
      finish(() => reject(failure));
    });
    child.on('close', (code) => {
      if (partial !== '') emit(partial);
      partial = '';
      const killed = stopping;
      finish(() =>
        killed === null ? resolve({ code, stderr: stderr.slice(-STDERR_KEPT), stdoutTail: tail }) : reject(killed),
      );
    });
  });
}
