import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pollUntil } from '../../shared/src/pollUntil';

/** A fresh temporary folder, removed when the process exits (tests leave nothing behind). */
export function tempDir(prefix: string): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `mlsnap-${prefix}-`)));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Poll `check` until it returns a value, failing after `timeoutMs` with `what`. */
export async function waitFor<T>(
  what: string,
  check: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const v = await pollUntil(check, { timeoutMs, intervalMs: 25 });
  if (v === null) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  return v;
}

/** Write `size` bytes of incompressible data, 1 MiB at a time. */
export function writeRandomFile(file: string, size: number, seed = 1): void {
  const fd = fs.openSync(file, 'w');
  const block = Buffer.alloc(1 << 20);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < block.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block.writeUInt32LE(x >>> 0, i);
  }
  let written = 0;
  let n = 0;
  while (written < size) {
    block.writeUInt32LE(n++, 0); // every block differs
    const len = Math.min(block.length, size - written);
    fs.writeSync(fd, block, 0, len);
    written += len;
  }
  fs.closeSync(fd);
}
