/**
 * Finds an interpreter of a recorded Python version on this machine: pyenv's builds, the
 * distribution's pythonX.Y, what PATH gives, and uv's managed pythons. Each candidate is asked
 * its version (it may be a pyenv shim that runs something else, or a broken link); the exact
 * version wins, then the same major.minor, else the answer says what was found and how to
 * install the one needed.
 */
import { readdir, realpath } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ReproducedPython } from '../../../shared/src/reproduce';
import { ExecError, execBounded } from '../env/BoundedExec';
import { mapWithConcurrency } from '../Concurrency';
import type { InterpreterFactsCache } from '../env/PythonInterpreter';
import { findOnPath, isExecutableFile, pythonInPrefix } from '../env/PythonLocations';

export interface FindPythonOptions {
  env: NodeJS.ProcessEnv;
  facts: InterpreterFactsCache;
  signal?: AbortSignal;
  /** For each interpreter asked (and for `uv python find`). */
  timeoutMs: number;
}

interface Candidate {
  executable: string;
  /** "pyenv 3.11.7", "/usr/bin/python3.11", "python3 on PATH (…)", "uv python find 3.11.2". */
  how: string;
  /** Short origin for the miss message: "pyenv", "/usr/bin/python3.11", "PATH python3", "uv". */
  label: string;
}

interface Found extends Candidate {
  version: string;
  /** Real path of the interpreter that ran: two candidates with the same one are one interpreter. */
  real: string;
}

/** Enough concurrent interpreter runs to ask a dozen pyenv builds quickly without a fork storm. */
const ASK_CONCURRENCY = 6;

/** [major, minor, patch] of `3.11.2` / `3.13.0rc1`; null when it does not start with two numbers. */
function versionParts(version: string): [number, number, number] | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (m === null) return null;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

function compareVersionsDescending(a: string, b: string): number {
  const pa = versionParts(a) ?? [0, 0, 0];
  const pb = versionParts(b) ?? [0, 0, 0];
  for (let i = 0; i < 3; i++) {
    const d = (pb[i] ?? 0) - (pa[i] ?? 0);
    if (d !== 0) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

async function pyenvCandidates(env: NodeJS.ProcessEnv): Promise<Candidate[]> {
  const root =
    env.PYENV_ROOT !== undefined && env.PYENV_ROOT !== '' ? env.PYENV_ROOT : path.join(os.homedir(), '.pyenv');
  const versionsDir = path.join(root, 'versions');
  let names: string[];
  try {
    names = await readdir(versionsDir);
  } catch {
    return [];
  }
  const out: Candidate[] = [];
  for (const name of names.sort(compareVersionsDescending)) {
    const python = await pythonInPrefix(path.join(versionsDir, name));
    if (python !== null) out.push({ executable: python, how: `pyenv ${name}`, label: 'pyenv' });
  }
  return out;
}

/** `/usr/bin/python3.11`, `/usr/local/bin/python3.12`, ...: every pythonX.Y a system folder has. */
async function systemCandidates(major: number): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const pattern = new RegExp(`^python${major}\\.\\d+$`);
  for (const dir of ['/usr/bin', '/usr/local/bin']) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names.filter((n) => pattern.test(n)).sort(compareVersionsDescending)) {
      const file = path.join(dir, name);
      if (await isExecutableFile(file)) out.push({ executable: file, how: file, label: file });
    }
  }
  return out;
}

async function pathCandidates(major: number, minor: number, env: NodeJS.ProcessEnv): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const name of [`python${major}.${minor}`, `python${major}`]) {
    const file = await findOnPath(name, env);
    if (file !== null) out.push({ executable: file, how: `${name} on PATH (${file})`, label: `PATH ${name}` });
  }
  return out;
}

/** What `uv python find` answers for the exact version, then for major.minor (it never downloads). */
async function uvCandidates(version: string, opts: FindPythonOptions): Promise<Candidate[]> {
  const uv = await findOnPath('uv', opts.env);
  if (uv === null) return [];
  const parts = versionParts(version);
  const requests = parts === null ? [version] : [version, `${parts[0]}.${parts[1]}`];
  const out: Candidate[] = [];
  for (const request of [...new Set(requests)]) {
    try {
      const r = await execBounded(uv, ['python', 'find', request], {
        timeoutMs: opts.timeoutMs,
        signal: opts.signal,
        cwd: os.tmpdir(),
        env: { ...opts.env, UV_PYTHON_DOWNLOADS: 'never' },
        maxStdoutBytes: 64 * 1024,
      });
      const found = r.stdout.toString('utf8').trim().split('\n').pop()?.trim() ?? '';
      if (r.code === 0 && found !== '') {
        out.push({ executable: found, how: `uv python find ${request}`, label: 'uv' });
      }
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      // uv that cannot run is just one source fewer.
    }
  }
  return out;
}

/** Ask each candidate its version; those that cannot answer are left out. Order is kept. */
async function askAll(candidates: readonly Candidate[], opts: FindPythonOptions): Promise<Found[]> {
  const answers = await mapWithConcurrency(candidates, ASK_CONCURRENCY, async (c): Promise<Found | null> => {
    try {
      const facts = await opts.facts.get(c.executable, { timeoutMs: opts.timeoutMs, signal: opts.signal });
      // sys.executable is what really ran (a pyenv shim runs the build it picks).
      const executable = facts.executable !== '' ? facts.executable : c.executable;
      const real = await realpath(executable).catch(() => executable);
      return { ...c, executable, version: facts.version, real };
    } catch (err) {
      if (opts.signal?.aborted || (err instanceof ExecError && err.reason === 'aborted')) throw err;
      return null; // a shim for a version pyenv does not select here, a dangling link, ...
    }
  });
  const seen = new Set<string>();
  const out: Found[] = [];
  for (const f of answers) {
    if (f === null || seen.has(f.real)) continue;
    seen.add(f.real);
    out.push(f);
  }
  return out;
}

function missMessage(version: string, found: readonly Found[]): string {
  const parts = versionParts(version);
  const series = parts === null ? version : `${parts[0]}.${parts[1]}`;
  const list = [...found]
    .sort((a, b) => compareVersionsDescending(a.version, b.version))
    .map((f) => `${f.version} (${f.label})`);
  const what = list.length === 0 ? 'found no Python interpreter at all' : `found ${list.join(', ')}`;
  return `no Python ${series} here: ${what}; install ${version} with \`pyenv install ${version}\` or \`uv python install ${version}\``;
}

/**
 * An interpreter of `version` (the recorded X.Y.Z): the exact version if one is here, else the
 * same X.Y nearest to it (`exactVersion: false`), else `{ miss }` saying what was found.
 */
export async function findPython(
  version: string,
  opts: FindPythonOptions,
): Promise<ReproducedPython | { miss: string }> {
  const wanted = version.trim();
  const parts = versionParts(wanted);
  if (parts === null) return { miss: `the recorded Python version "${version}" is not a version number` };
  const [major, minor, patch] = parts;
  const candidates = [
    ...(await pyenvCandidates(opts.env)),
    ...(await systemCandidates(major)),
    ...(await pathCandidates(major, minor, opts.env)),
    ...(await uvCandidates(wanted, opts)),
  ];
  opts.signal?.throwIfAborted();
  const found = await askAll(candidates, opts);
  opts.signal?.throwIfAborted();

  const exact = found.find((f) => f.version === wanted);
  if (exact !== undefined)
    return { executable: exact.executable, version: exact.version, how: exact.how, exactVersion: true };

  const sameSeries = found
    .map((f) => ({ f, p: versionParts(f.version) }))
    .filter((x) => x.p !== null && x.p[0] === major && x.p[1] === minor)
    // Nearest patch release; on a tie the later one (it has the fixes).
    .sort(
      (a, b) =>
        Math.abs((a.p?.[2] ?? 0) - patch) - Math.abs((b.p?.[2] ?? 0) - patch) || (b.p?.[2] ?? 0) - (a.p?.[2] ?? 0),
    );
  const near = sameSeries[0]?.f;
  if (near !== undefined)
    return { executable: near.executable, version: near.version, how: near.how, exactVersion: false };
  return { miss: missMessage(wanted, found) };
}
