import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

const benchStart = performance.now();

/** A progress line, prefixed with the seconds since the bench started. */
export function progress(msg: string): void {
  const s = ((performance.now() - benchStart) / 1000).toFixed(1).padStart(6);
  process.stdout.write(`[${s}s] ${msg}\n`);
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

export async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Run a shell command; throws with its stderr when it fails. */
export function sh(cmd: string): void {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`\`${cmd}\` exited ${String(r.status)}: ${r.stderr.trim()}`);
}

/** `sync`: flush every dirty page, so one side never pays for the other's writeback. */
export function syncAll(): void {
  sh('sync');
}

/** Whether `sync; echo 3 > /proc/sys/vm/drop_caches` works here (root, not a locked-down container). */
export function canDropCaches(): boolean {
  try {
    dropCaches();
    return true;
  } catch {
    return false;
  }
}

export function dropCaches(): void {
  syncAll();
  fs.writeFileSync('/proc/sys/vm/drop_caches', '3\n');
}

/** Read a file through once so its pages are in the page cache. */
export function warmFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(4 << 20);
  try {
    while (fs.readSync(fd, buf, 0, buf.length, null) > 0) {
      // reading is the point
    }
  } finally {
    fs.closeSync(fd);
  }
}

export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** VmRSS and VmHWM (peak RSS) of a process, in bytes, from /proc/<pid>/status. */
export function procMemory(pid: number): { rss: number; hwm: number } | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

export const MB = 1e6;
export const MiB = 1 << 20;
export const GiB = 1 << 30;

export function fmtMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;
}

export function fmtMB(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/** The recursive bare stat walk used as the re-snapshot baseline: readdir(withFileTypes) + statSync per file. */
export function bareStatWalk(root: string, skipDirs: ReadonlySet<string>, bigint = true): number {
  let files = 0;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!skipDirs.has(e.name)) stack.push(p);
      } else if (e.isFile()) {
        if (bigint) fs.statSync(p, { bigint: true });
        else fs.statSync(p);
        files++;
      }
    }
  }
  return files;
}

export interface DaemonEndpoint {
  host: string;
  port: number;
  token: string;
}

/** POST /api/<method> to a running daemon; throws on a non-200 answer or after `timeoutMs`. */
export function apiPost<T>(ep: DaemonEndpoint, method: string, params: object, timeoutMs = 600_000): Promise<T> {
  const body = JSON.stringify(params);
  return new Promise<T>((resolve, reject) => {
    const req = http.request(
      {
        host: ep.host,
        port: ep.port,
        path: `/api/${method}`,
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-mlsnap-token': ep.token,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(new Error(`${method} answered ${String(res.statusCode)}: ${text.slice(0, 500)}`));
            return;
          }
          try {
            resolve(JSON.parse(text) as T);
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method}: no answer after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

/** Bytes free to an unprivileged writer on the file system holding `dir`. */
export function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

/** 1 GiB, 64 MiB... */
export function fmtSize(bytes: number): string {
  return bytes >= GiB ? `${+(bytes / GiB).toFixed(2)} GiB` : `${+(bytes / MiB).toFixed(2)} MiB`;
}
