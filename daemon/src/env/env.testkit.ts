/**
 * Test-only fixtures for the env tests: an in-memory blob sink, a recording log, temp dirs and
 * real interpreters (a fresh venv, Debian's python). Not imported by production code.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BlobSink, ProbeLog } from './ProbeTypes';

export class MemoryBlobSink implements BlobSink {
  readonly blobs = new Map<string, Buffer>();
  readonly compressFlags: boolean[] = [];

  async putBuffer(data: Buffer, opts: { compress: boolean }): Promise<string> {
    const hash = createHash('sha256').update(data).digest('hex');
    this.blobs.set(hash, Buffer.from(data));
    this.compressFlags.push(opts.compress);
    return hash;
  }

  has(hash: string): boolean {
    return this.blobs.has(hash);
  }

  text(hash: string | undefined): string {
    if (hash === undefined) throw new Error('no blob hash');
    const data = this.blobs.get(hash);
    if (data === undefined) throw new Error(`blob ${hash} was never stored`);
    return data.toString('utf8');
  }
}

export class RecordingLog implements ProbeLog {
  readonly infos: string[] = [];
  readonly warnings: string[] = [];
  info(msg: string): void {
    this.infos.push(msg);
  }
  warn(msg: string): void {
    this.warnings.push(msg);
  }
}

/** A fresh temp dir (real path: /tmp may be a symlink on some machines), removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), `mlsnap-${prefix}-`)));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Create a real virtual environment with `python3 -m venv` (pip comes from ensurepip, offline). */
export function createVenv(dir: string): string {
  execFileSync('python3', ['-m', 'venv', dir], { stdio: 'pipe', timeout: 120_000 });
  return path.join(dir, 'bin', 'python');
}

/** Ask an interpreter through importlib.metadata: a source independent of the Node-side reader. */
export function metadataVersion(python: string, distribution: string): string {
  return execFileSync(
    python,
    ['-c', `import importlib.metadata as m; print(m.version(${JSON.stringify(distribution)}))`],
    {
      encoding: 'utf8',
    },
  ).trim();
}

export const DEBIAN_PYTHON = '/usr/bin/python3';

/** The environment of the test process with some variables replaced or removed (undefined). */
export function envWith(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['VIRTUAL_ENV', 'CONDA_PREFIX', 'JUPYTER_PATH', 'JUPYTER_DATA_DIR']) delete env[key];
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** A minimal nbformat 4 notebook. */
export function notebookJson(opts: {
  kernelName?: string;
  cells: { source: string; execution?: Record<string, string> }[];
}): string {
  const metadata: Record<string, unknown> = {};
  if (opts.kernelName !== undefined) {
    metadata.kernelspec = { name: opts.kernelName, display_name: opts.kernelName, language: 'python' };
  }
  return JSON.stringify(
    {
      cells: opts.cells.map((c) => ({
        cell_type: 'code',
        execution_count: null,
        metadata: c.execution === undefined ? {} : { execution: c.execution },
        outputs: [],
        source: c.source.split(/(?<=\n)/),
      })),
      metadata,
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  );
}
