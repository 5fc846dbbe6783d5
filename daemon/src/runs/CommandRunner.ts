import { spawn } from 'node:child_process';
import os from 'node:os';

/** How a command ended, and the last of what it printed. */
export interface CommandOutcome {
  /** Null when a signal ended it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  outputTail: string;
  /** Set when it could not be started at all (not found, not executable). */
  startError?: string;
}

/** Enough to see how a training run ended (its last epochs, the traceback) without keeping a log. */
export const OUTPUT_TAIL_BYTES = 16 * 1024;

/** The last `max` bytes of a stream of chunks, cut to whole lines where it was cut at all. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private cut = false;

  constructor(private readonly max = OUTPUT_TAIL_BYTES) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.max) {
      this.size -= this.chunks.shift()?.length ?? 0;
      this.cut = true;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    const tail = all.length > this.max ? all.subarray(all.length - this.max) : all;
    let text = tail.toString('utf8');
    if (this.cut || all.length > this.max) {
      const newline = text.indexOf('\n');
      if (newline >= 0) text = text.slice(newline + 1);
    }
    return text;
  }
}

/** After the command exits, how long its output may keep coming (a child it left holds the pipes). */
const OUTPUT_GRACE_MS = 500;

/**
 * Runs a command as the shell would (PATH lookup, the caller's environment and working
 * folder), passing its output through while keeping the tail. Ctrl-C reaches the command from
 * the terminal (same process group): we only outlive it, so its outcome is still recorded, and
 * do not send it a second one (that would interrupt its own cleanup). SIGTERM and SIGHUP, sent
 * to us alone, are passed on.
 */
export function runCommand(
  argv: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<CommandOutcome> {
  const [command, ...args] = argv;
  const started = Date.now();
  const tail = new OutputTail();
  return new Promise((resolve) => {
    if (command === undefined) {
      resolve({ exitCode: 2, signal: null, durationMs: 0, outputTail: '', startError: 'no command given' });
      return;
    }
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['inherit', 'pipe', 'pipe'] });
    const outlive = (): void => undefined;
    const onTerm = (): void => void child.kill('SIGTERM');
    const onHup = (): void => void child.kill('SIGHUP');
    process.on('SIGINT', outlive);
    process.on('SIGQUIT', outlive);
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onHup);
    child.stdout.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      opts.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      opts.stderr.write(chunk);
    });
    let settled = false;
    const finish = (outcome: CommandOutcome): void => {
      if (settled) return;
      settled = true;
      process.off('SIGINT', outlive);
      process.off('SIGQUIT', outlive);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      resolve(outcome);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      // ENOENT / EACCES: the shell's 127 / 126.
      const exitCode = err.code === 'ENOENT' ? 127 : 126;
      const startError = `${command}: ${err.code === 'ENOENT' ? 'command not found' : err.message}`;
      finish({ exitCode, signal: null, durationMs: Date.now() - started, outputTail: startError, startError });
    });
    // 'exit', not only 'close': a background child it started (tensorboard &) may hold the pipes open.
    child.on('exit', (code, signal) => {
      const durationMs = Date.now() - started;
      const done = (): void => finish({ exitCode: code, signal, durationMs, outputTail: tail.text() });
      const grace = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        done();
      }, OUTPUT_GRACE_MS);
      child.on('close', () => {
        clearTimeout(grace);
        done();
      });
    });
  });
}

/** The exit status a shell reports for an outcome: the code, or 128 + the signal's number. */
export function shellStatus(outcome: CommandOutcome): number {
  if (outcome.exitCode !== null) return outcome.exitCode;
  const number = outcome.signal === null ? undefined : os.constants.signals[outcome.signal];
  return 128 + (number ?? 1);
}
