import { stat } from 'node:fs/promises';
import os from 'node:os';
import { execBounded } from './BoundedExec';

/** What an interpreter says about itself; asked once and cached. */
export interface InterpreterFacts {
  /** sys.executable: for a wrapper such as a pyenv shim, the interpreter it really ran. */
  executable: string;
  version: string;
  prefix: string;
  basePrefix: string;
  /** sys.path without the '' (current directory) entry. */
  path: string[];
}

/** The interpreter could not be run or gave no usable answer (not a timeout: that is an ExecError). */
export class InterpreterQueryError extends Error {}

const MARKER = 'MLSNAP-INTERPRETER ';

/*
 * Runs without -I: a kernel started from that interpreter also sees the user site directory and
 * PYTHONPATH, and site processing is what puts a venv's site-packages on sys.path. The '' entry
 * is dropped before importing json so a json.py in the working directory cannot shadow it.
 * Only stdlib is imported; the answer is one marked line so a noisy sitecustomize cannot break it.
 */
const QUERY = [
  'import sys',
  'sys.path[:] = [p for p in sys.path if p]',
  'import json, platform',
  `print(${JSON.stringify(MARKER)} + json.dumps({"version": platform.python_version(), "prefix": sys.prefix, ` +
    '"base_prefix": getattr(sys, "base_prefix", sys.prefix), "executable": sys.executable, "path": sys.path}))',
].join('\n');

interface CacheEntry {
  facts: InterpreterFacts;
  /** mtime of the executable and of every sys.path entry when asked; null when missing. */
  stamps: Map<string, number | null>;
}

async function mtimeOrNull(p: string): Promise<number | null> {
  try {
    return (await stat(p)).mtimeMs;
  } catch {
    return null;
  }
}

async function takeStamps(paths: readonly string[]): Promise<Map<string, number | null>> {
  const stamps = new Map<string, number | null>();
  await Promise.all(paths.map(async (p) => stamps.set(p, await mtimeOrNull(p))));
  return stamps;
}

function asStringArray(value: unknown): string[] | null {
  if (!Array.isArray(value)) return null;
  return value.every((v): v is string => typeof v === 'string') ? value : null;
}

export function parseInterpreterAnswer(stdout: string): InterpreterFacts | null {
  const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
  if (line === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line.slice(MARKER.length));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const o = parsed as Record<string, unknown>;
  const sysPath = asStringArray(o.path);
  if (typeof o.version !== 'string' || typeof o.prefix !== 'string' || sysPath === null) return null;
  return {
    version: o.version,
    prefix: o.prefix,
    basePrefix: typeof o.base_prefix === 'string' ? o.base_prefix : o.prefix,
    executable: typeof o.executable === 'string' ? o.executable : '',
    path: sysPath.filter((p) => p !== ''),
  };
}

/**
 * Interpreter facts per executable. An interpreter is run again only when its executable or one
 * of its sys.path directories changed mtime: installing a package (or a .pth file that extends
 * sys.path) changes site-packages' mtime, so a plain stat tells us when the answer is stale.
 */
export class InterpreterFactsCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<CacheEntry>>();

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  async get(executable: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<InterpreterFacts> {
    const cached = this.entries.get(executable);
    if (cached !== undefined && (await this.isFresh(cached))) return cached.facts;
    // Concurrent captures of the same interpreter share one run.
    let pending = this.inFlight.get(executable);
    if (pending === undefined) {
      pending = this.query(executable, opts).finally(() => this.inFlight.delete(executable));
      this.inFlight.set(executable, pending);
    }
    const entry = await pending;
    this.entries.set(executable, entry);
    return entry.facts;
  }

  /** Facts already known for an executable, without running anything. */
  peek(executable: string): InterpreterFacts | null {
    return this.entries.get(executable)?.facts ?? null;
  }

  private async isFresh(entry: CacheEntry): Promise<boolean> {
    const now = await takeStamps([...entry.stamps.keys()]);
    for (const [p, mtime] of entry.stamps) {
      if (now.get(p) !== mtime) return false;
    }
    return true;
  }

  private async query(executable: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<CacheEntry> {
    const result = await execBounded(executable, ['-c', QUERY], {
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      cwd: os.tmpdir(),
      env: this.env,
      maxStdoutBytes: 1024 * 1024,
    });
    const facts = parseInterpreterAnswer(result.stdout.toString('utf8'));
    if (facts === null) {
      const why = result.code === 0 ? 'gave no interpreter answer' : `exited with code ${String(result.code)}`;
      // The last stderr line is the exception of a traceback, the most telling part.
      const lastLine = result.stderr.trim().split('\n').pop() ?? '';
      throw new InterpreterQueryError(`${executable} ${why}${lastLine ? `: ${lastLine}` : ''}`);
    }
    const stamps = await takeStamps([executable, ...facts.path]);
    return { facts, stamps };
  }
}
