import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NotebookInterpreterMetadata } from './Notebook';
import { findOnPath, isExecutableFile, isFile, pythonInPrefix } from './PythonLocations';

/** An interpreter a notebook's metadata may name: one environment on this machine. */
export interface InterpreterCandidate {
  /** Environment prefix (a venv, a conda env, a pyenv version, /usr). */
  prefix: string;
  /** Its executables under the names tools call them (`bin/python` first: VS Code's name). */
  executables: string[];
  /** The name a kernel display name would use: the prefix's folder name (`.venv`, a conda env). */
  envName: string;
  /** Where it was found, for the detail sentence. */
  label: string;
}

/** Display names that name no environment (Jupyter's and ipykernel's defaults). */
const GENERIC_DISPLAY_NAME = /^(python\s*3?|python\s*3?\s*\(ipykernel\)|ipykernel)$/i;

/**
 * The environment a display name names: `.venv (Python 3.11.2)` → `.venv` (VS Code and
 * Jupyter append the version), `Python [conda env:ml]` → `ml` (nb_conda_kernels).
 */
export function environmentNameOf(displayName: string): string | null {
  const conda = /\[conda env:([^\]]+)\]/.exec(displayName)?.[1];
  if (conda !== undefined) return conda.trim();
  const name = displayName.replace(/\s*\((python\s*)?[\d.]+[^)]*\)\s*$/i, '').trim();
  if (name === '' || GENERIC_DISPLAY_NAME.test(name)) return null;
  return name;
}

/** VS Code's `metadata.vscode.interpreter.hash`: the sha256 (hex) of the interpreter's path. */
export function interpreterPathHash(executable: string): string {
  return createHash('sha256').update(executable).digest('hex');
}

async function childDirs(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isDirectory() || e.isSymbolicLink())
    .map((e) => path.join(dir, e.name))
    .sort();
}

/** Every python executable name in a prefix, `bin/python` first. */
async function executablesIn(prefix: string): Promise<string[]> {
  const bin = path.join(prefix, process.platform === 'win32' ? 'Scripts' : 'bin');
  let names: string[];
  try {
    names = (await readdir(bin)).filter((n) => /^python(\d+(\.\d+)?)?(\.exe)?$/.test(n));
  } catch {
    return [];
  }
  names.sort((a, b) => a.length - b.length || a.localeCompare(b));
  const found: string[] = [];
  for (const name of names) {
    const file = path.join(bin, name);
    if (await isExecutableFile(file)) found.push(file);
  }
  return found;
}

/** Conda's environment folders: its registry file and the usual install locations. */
async function condaPrefixes(env: NodeJS.ProcessEnv, home: string): Promise<string[]> {
  const prefixes: string[] = [];
  try {
    const registry = await readFile(path.join(home, '.conda', 'environments.txt'), 'utf8');
    prefixes.push(
      ...registry
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== ''),
    );
  } catch {
    // No conda registry: conda was never used by this user.
  }
  const bases = ['miniconda3', 'anaconda3', 'miniforge3', 'mambaforge'].map((d) => path.join(home, d));
  bases.push('/opt/conda');
  for (const base of bases) {
    if (await isFile(path.join(base, 'conda-meta', 'history'))) prefixes.push(base);
    prefixes.push(...(await childDirs(path.join(base, 'envs'))));
  }
  for (const dir of (env.CONDA_ENVS_PATH ?? '').split(path.delimiter).filter((d) => d !== '')) {
    prefixes.push(...(await childDirs(dir)));
  }
  prefixes.push(...(await childDirs(path.join(home, '.conda', 'envs'))));
  return prefixes;
}

/**
 * The environments a notebook's metadata may name, the project's own first: every folder of
 * the project root holding a pyvenv.cfg, VIRTUAL_ENV and CONDA_PREFIX, conda envs, pyenv
 * versions, virtualenvwrapper and pipenv envs, the system Pythons, python3 on PATH.
 */
export async function interpreterCandidates(
  projectRoot: string,
  env: NodeJS.ProcessEnv,
): Promise<InterpreterCandidate[]> {
  const home = env.HOME ?? os.homedir();
  const listed: { prefix: string; label: string }[] = [];
  for (const dir of await childDirs(projectRoot)) {
    if (await isRealVenv(dir, projectRoot)) listed.push({ prefix: dir, label: 'a virtualenv of the project' });
  }
  if (env.VIRTUAL_ENV) listed.push({ prefix: env.VIRTUAL_ENV, label: 'VIRTUAL_ENV' });
  if (env.CONDA_PREFIX) listed.push({ prefix: env.CONDA_PREFIX, label: 'CONDA_PREFIX' });
  for (const prefix of await condaPrefixes(env, home)) listed.push({ prefix, label: 'a conda environment' });
  const pyenvRoot = env.PYENV_ROOT ?? path.join(home, '.pyenv');
  for (const prefix of await childDirs(path.join(pyenvRoot, 'versions'))) listed.push({ prefix, label: 'pyenv' });
  for (const dir of [path.join(home, '.virtualenvs'), path.join(home, '.local', 'share', 'virtualenvs')]) {
    for (const prefix of await childDirs(dir)) listed.push({ prefix, label: 'a virtualenv in your home' });
  }
  listed.push({ prefix: '/usr/local', label: 'a system Python' }, { prefix: '/usr', label: 'a system Python' });
  const onPath = await findOnPath('python3', env);
  if (onPath !== null) listed.push({ prefix: path.dirname(path.dirname(onPath)), label: 'python3 on PATH' });

  const seen = new Set<string>();
  const candidates: InterpreterCandidate[] = [];
  for (const { prefix, label } of listed) {
    const resolved = path.resolve(prefix);
    if (seen.has(resolved)) continue;
    seen.add(resolved);
    const executables = await executablesIn(resolved);
    if (executables.length === 0 && (await pythonInPrefix(resolved)) === null) continue;
    candidates.push({ prefix: resolved, executables, envName: path.basename(resolved), label });
  }
  return candidates;
}

/**
 * A folder of the project is taken for a venv only when its pyvenv.cfg names, as `home`, a
 * folder outside the project holding a python: a cloned repository (notebook and all) must
 * not be able to make the daemon run a `bin/python` of its own choosing.
 */
async function isRealVenv(dir: string, projectRoot: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path.join(dir, 'pyvenv.cfg'), 'utf8');
  } catch {
    return false;
  }
  const home = /^\s*home\s*=\s*(.+?)\s*$/m.exec(text)?.[1];
  if (home === undefined || !path.isAbsolute(home)) return false;
  const inside = path.relative(path.resolve(projectRoot), path.resolve(home));
  if (inside === '' || (!inside.startsWith('..') && !path.isAbsolute(inside))) return false;
  return (await executablesIn(path.dirname(home))).length > 0 || (await findPythonIn(home));
}

async function findPythonIn(bin: string): Promise<boolean> {
  for (const name of ['python3', 'python']) if (await isExecutableFile(path.join(bin, name))) return true;
  return false;
}

/** The version a venv's pyvenv.cfg states (`version` or uv's `version_info`), without running it. */
export async function pyvenvVersion(prefix: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(path.join(prefix, 'pyvenv.cfg'), 'utf8');
  } catch {
    return null;
  }
  const match = /^\s*(?:version|version_info)\s*=\s*(\d+\.\d+\.\d+)/m.exec(text);
  return match?.[1] ?? null;
}

export interface MetadataMatch {
  executable: string;
  candidate: InterpreterCandidate;
  /** What in the metadata named it. */
  evidence: string;
}

/**
 * The candidates the notebook's metadata names, best evidence first: VS Code's interpreter hash
 * (it names one path exactly), then the kernel display name naming an environment. The caller
 * checks each against language_info.version.
 */
export function metadataMatches(
  meta: NotebookInterpreterMetadata,
  candidates: readonly InterpreterCandidate[],
): MetadataMatch[] {
  const matches: MetadataMatch[] = [];
  const hash = meta.interpreterHash?.toLowerCase() ?? null;
  if (hash !== null) {
    for (const candidate of candidates) {
      const executable = candidate.executables.find((e) => interpreterPathHash(e) === hash);
      if (executable !== undefined) {
        matches.push({
          executable,
          candidate,
          evidence: `metadata.vscode.interpreter.hash is the sha256 of ${executable} (${candidate.label})`,
        });
      }
    }
  }
  const envName = meta.kernelDisplayName === null ? null : environmentNameOf(meta.kernelDisplayName);
  if (envName !== null) {
    for (const candidate of candidates) {
      const executable = candidate.executables[0];
      if (candidate.envName !== envName || executable === undefined) continue;
      if (matches.some((m) => m.candidate === candidate)) continue;
      matches.push({
        executable,
        candidate,
        evidence: `kernelspec display_name '${meta.kernelDisplayName ?? ''}' names the environment ${candidate.prefix} (${candidate.label})`,
      });
    }
  }
  return matches;
}

/** Same version as language_info says, to the precision it says it (3.11 matches 3.11.2). */
export function sameVersion(recorded: string, actual: string): boolean {
  const want = recorded.split('.');
  const have = actual.split('.');
  return want.every((part, i) => have[i] === part);
}
