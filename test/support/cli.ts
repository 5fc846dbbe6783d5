import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { API_PREFIX, TOKEN_HEADER, type DaemonFile } from '../../shared/src/protocol';

export const REPO = path.resolve(__dirname, '..', '..');
export const MLSNAP = path.join(REPO, 'bin', 'mlsnap');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  home: string;
  input?: string;
  /** Added to this process's environment; '' removes a variable (a user without credentials). */
  env?: Record<string, string>;
  timeoutMs?: number;
}

function cliEnv(o: CliOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MLSNAP_HOME: o.home, ...o.env };
  for (const [k, v] of Object.entries(env)) if (v === '') delete env[k];
  return env;
}

/** Run the real CLI (the built bundle) as a user would. */
export function mlsnap(args: string[], opts: CliOptions): CliResult {
  const r = spawnSync(process.execPath, [MLSNAP, ...args], {
    cwd: opts.cwd,
    env: cliEnv(opts),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: opts.timeoutMs ?? 120_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The same without blocking: for calls run side by side, or killed half-way. */
export function mlsnapAsync(args: string[], opts: CliOptions): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MLSNAP, ...args], { cwd: opts.cwd, env: cliEnv(opts) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

export function mlsnapJson<T>(args: string[], opts: CliOptions): T {
  const r = mlsnap([...args, '--json'], opts);
  if (r.status !== 0) throw new Error(`mlsnap ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export function mlsnapBytes(args: string[], opts: CliOptions): Buffer {
  const r = spawnSync(process.execPath, [MLSNAP, ...args], {
    cwd: opts.cwd,
    env: cliEnv(opts),
    maxBuffer: 1024 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`mlsnap ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return r.stdout;
}

/** A daemon method called over its HTTP API with the token from daemon.json, as an editor or script would. */
export async function daemonApi(
  home: string,
  method: string,
  params: unknown,
): Promise<{ status: number; body: unknown }> {
  const file = JSON.parse(fs.readFileSync(path.join(home, 'daemon.json'), 'utf8')) as DaemonFile;
  const res = await fetch(`http://${file.host}:${file.port}${API_PREFIX}${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [TOKEN_HEADER]: file.token },
    body: JSON.stringify(params),
  });
  return { status: res.status, body: await res.json() };
}
