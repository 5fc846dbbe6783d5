/**
 * Runs a child (argument vector, no shell) and hands over its stdout line by line as it comes,
 * for progress from a long `pip install`. Like execBounded (both are spawnBounded): its own
 * process group, killed as a whole at the deadline or when the caller aborts, and it settles
 * without waiting for the pipes. Unlike it, a killed child is waited for (up to EXIT_WAIT_MS):
 * a caller that removes the folder it was writing to must not race its last writes.
 */
import { spawnBounded } from '../env/BoundedExec';

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
  const { onLine, ...spawnOpts } = opts;
  return spawnBounded(file, args, { ...spawnOpts, exitWaitMs: EXIT_WAIT_MS }, (run) => {
    let stderr = '';
    let partial = '';
    const tail: string[] = [];
    const emit = (line: string): void => {
      const clean = line.replace(/\r$/, '');
      tail.push(clean);
      if (tail.length > STDOUT_LINES_KEPT) tail.shift();
      if (run.ending) return;
      try {
        onLine?.(clean);
      } catch {
        // A progress listener that throws must not break the install.
      }
    };
    run.child.stdout?.setEncoding('utf8');
    run.child.stdout?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) emit(line);
    });
    run.child.stderr?.setEncoding('utf8');
    run.child.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > 2 * STDERR_KEPT) stderr = stderr.slice(-STDERR_KEPT);
    });
    return (code) => {
      if (partial !== '') emit(partial);
      partial = '';
      return { code, stderr: stderr.slice(-STDERR_KEPT), stdoutTail: tail };
    };
  });
}
