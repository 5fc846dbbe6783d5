import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..');
export const MLSNAP = path.join(REPO, 'bin', 'mlsnap');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Run the real CLI (the built bundle) as a user would. */
export function mlsnap(args: string[], opts: { cwd: string; home: string; input?: string }): CliResult {
  const r = spawnSync(process.execPath, [MLSNAP, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, MLSNAP_HOME: opts.home },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function mlsnapJson<T>(args: string[], opts: { cwd: string; home: string }): T {
  const r = mlsnap([...args, '--json'], opts);
  if (r.status !== 0) throw new Error(`mlsnap ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export function mlsnapBytes(args: string[], opts: { cwd: string; home: string }): Buffer {
  const r = spawnSync(process.execPath, [MLSNAP, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, MLSNAP_HOME: opts.home },
    maxBuffer: 1024 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`mlsnap ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return r.stdout;
}
