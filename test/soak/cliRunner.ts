import { spawn } from 'node:child_process';
import { MLSNAP } from '../support/cli';

/** What the campaign runs through the CLI; the kill is classified by which of these were in flight. */
export type OpKind = 'snapshot' | 'push' | 'gc' | 'tag' | 'check' | 'other';

export interface OpResult {
  kind: OpKind;
  args: string[];
  status: number;
  stdout: Buffer;
  stderr: string;
  startedAt: number;
  endedAt: number;
}

/**
 * Runs the real CLI (`bin/mlsnap`) as a user would, without blocking, and keeps the calls in
 * flight: at the kill, the campaign asks which kinds were running.
 */
export class CliRunner {
  private readonly inFlight = new Map<number, { kind: OpKind; startedAt: number }>();
  private nextId = 0;
  /** Told of every call as it starts (the campaign aims its kill at one). */
  onSpawn: ((kind: OpKind, pid: number) => void) | null = null;

  constructor(
    private readonly cwd: string,
    private readonly env: NodeJS.ProcessEnv,
    /** A call that hangs (a daemon that never answers) fails the campaign instead of stalling it. */
    private readonly timeoutMs = 180_000,
  ) {}

  run(kind: OpKind, args: string[]): Promise<OpResult> {
    const id = this.nextId++;
    const startedAt = Date.now();
    this.inFlight.set(id, { kind, startedAt });
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [MLSNAP, ...args], { cwd: this.cwd, env: this.env });
      if (child.pid !== undefined) this.onSpawn?.(kind, child.pid);
      const out: Buffer[] = [];
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), this.timeoutMs);
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.inFlight.delete(id);
        const status = code ?? (signal === 'SIGKILL' ? 124 : -1);
        resolve({ kind, args, status, stdout: Buffer.concat(out), stderr, startedAt, endedAt: Date.now() });
      });
    });
  }

  /** The kinds of the calls running now. */
  running(): Set<OpKind> {
    return new Set([...this.inFlight.values()].map((o) => o.kind));
  }

  /** The JSON a call printed, or null when it failed or printed something else. */
  static json<T>(r: OpResult): T | null {
    if (r.status !== 0) return null;
    try {
      return JSON.parse(r.stdout.toString('utf8')) as T;
    } catch {
      return null;
    }
  }
}
