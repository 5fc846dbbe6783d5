import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { LockfileRef } from '../../../shared/src/domain';
import type { BlobSink, ProbeLog } from './ProbeTypes';

/** Bigger than any real lockfile; something this large is not one and is not worth storing each time. */
export const LOCKFILE_MAX_BYTES = 5 * 1024 * 1024;

/** Files at the project root that pin or describe the Python environment. */
export function isLockfileName(name: string): boolean {
  return (
    /^requirements.*\.txt$/i.test(name) ||
    ['pyproject.toml', 'poetry.lock', 'uv.lock', 'environment.yml', 'environment.yaml', 'Pipfile.lock'].includes(name)
  );
}

/**
 * Stores the project's lockfiles as blobs. The blob hash of an unchanged file (same mtime and
 * size) is reused, so a capture does not re-read and re-hash them every time.
 */
export class LockfileCollector {
  private readonly cache = new Map<string, { mtimeMs: number; size: number; blob: string }>();

  constructor(
    private readonly projectRoot: string,
    private readonly blobs: BlobSink,
    private readonly log: ProbeLog,
  ) {}

  async collect(): Promise<LockfileRef[]> {
    let names: string[];
    try {
      names = (await readdir(this.projectRoot)).filter(isLockfileName).sort();
    } catch (err) {
      this.log.warn(`lockfiles: cannot list ${this.projectRoot}: ${String(err)}`);
      return [];
    }
    const refs: LockfileRef[] = [];
    for (const name of names) {
      const blob = await this.store(name);
      if (blob !== null) refs.push({ path: name, blob });
    }
    return refs;
  }

  private async store(name: string): Promise<string | null> {
    const file = path.join(this.projectRoot, name);
    try {
      const st = await stat(file);
      if (!st.isFile()) return null;
      if (st.size > LOCKFILE_MAX_BYTES) {
        this.log.warn(`lockfiles: skipping ${name}: ${st.size} bytes is over the ${LOCKFILE_MAX_BYTES}-byte limit`);
        return null;
      }
      const cached = this.cache.get(name);
      if (
        cached !== undefined &&
        cached.mtimeMs === st.mtimeMs &&
        cached.size === st.size &&
        this.blobs.has(cached.blob)
      )
        return cached.blob;
      const blob = await this.blobs.putBuffer(await readFile(file), { compress: true });
      this.cache.set(name, { mtimeMs: st.mtimeMs, size: st.size, blob });
      return blob;
    } catch (err) {
      this.log.warn(`lockfiles: cannot store ${name}: ${String(err)}`);
      return null;
    }
  }
}
