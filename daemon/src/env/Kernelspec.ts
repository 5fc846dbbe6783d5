import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findOnPath, isFile, pythonInPrefix } from './PythonLocations';
import { parseJsonObject } from './JsonObject';

/** jupyter_core's SYSTEM_JUPYTER_PATH on Linux and macOS. */
export const SYSTEM_JUPYTER_DIRS: readonly string[] = ['/usr/local/share/jupyter', '/usr/share/jupyter'];

/** ipykernel registers its built-in kernel under this name when no kernel.json claims it. */
export const NATIVE_KERNEL_NAME = 'python3';

export interface KernelSearchOptions {
  env: NodeJS.ProcessEnv;
  /** sys.prefix of interpreters that could be running Jupyter (project venv, VIRTUAL_ENV, ...). */
  envPrefixes: readonly string[];
  systemDirs?: readonly string[];
}

export interface FoundKernelspec {
  name: string;
  /** The kernel.json that was found. */
  file: string;
  /** The Jupyter data directory it was found under (`<dataDir>/kernels/<name>/kernel.json`). */
  dataDir: string;
  argv: string[];
  language: string | null;
}

/** The user data dir jupyter_core uses: JUPYTER_DATA_DIR, else the platform's per-user location. */
function userDataDir(env: NodeJS.ProcessEnv): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  const home = env.HOME ?? os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Jupyter');
  if (process.platform === 'win32') return path.join(env.APPDATA ?? home, 'jupyter');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'jupyter');
}

/**
 * Jupyter's data search path, in jupyter_core's order: JUPYTER_PATH, the user data dir,
 * `{sys.prefix}/share/jupyter` of the environment Jupyter runs in (we do not know which, so every
 * candidate environment's), then the system dirs.
 */
export function jupyterDataDirs(opts: KernelSearchOptions): string[] {
  const fromEnv = (opts.env.JUPYTER_PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  const envLevel = opts.envPrefixes.map((p) => path.join(p, 'share', 'jupyter'));
  const all = [...fromEnv, userDataDir(opts.env), ...envLevel, ...(opts.systemDirs ?? SYSTEM_JUPYTER_DIRS)];
  return [...new Set(all.map((d) => path.resolve(d)))];
}

/**
 * Kernel names come from notebook metadata, i.e. from whoever wrote the file: only the
 * characters jupyter_client allows, so a name can never walk out of a kernels directory.
 */
export function isValidKernelName(name: string): boolean {
  return /^[A-Za-z0-9._-]+$/.test(name) && name !== '.' && name !== '..';
}

function parseKernelJson(text: string): { argv: string[]; language: string | null } | null {
  const o = parseJsonObject(text);
  if (o === null) return null;
  if (!Array.isArray(o.argv) || !o.argv.every((a): a is string => typeof a === 'string')) return null;
  return { argv: o.argv, language: typeof o.language === 'string' ? o.language : null };
}

/** The kernel directory for `name` under one data dir: exact name first, then case-insensitively as jupyter_client lists them. */
async function kernelDirIn(dataDir: string, name: string): Promise<string | null> {
  const kernelsDir = path.join(dataDir, 'kernels');
  if (await isFile(path.join(kernelsDir, name, 'kernel.json'))) return path.join(kernelsDir, name);
  try {
    const match = (await readdir(kernelsDir)).find((d) => d.toLowerCase() === name.toLowerCase());
    if (match !== undefined && (await isFile(path.join(kernelsDir, match, 'kernel.json')))) {
      return path.join(kernelsDir, match);
    }
  } catch {
    // No kernels dir here.
  }
  return null;
}

/** Find a kernelspec by name on the given data dirs; the first dir holding it wins, as in Jupyter. */
export async function findKernelspec(name: string, dataDirs: readonly string[]): Promise<FoundKernelspec | null> {
  if (!isValidKernelName(name)) return null;
  for (const dataDir of dataDirs) {
    const kernelDir = await kernelDirIn(dataDir, name);
    if (kernelDir === null) continue;
    const file = path.join(kernelDir, 'kernel.json');
    let parsed;
    try {
      parsed = parseKernelJson(await readFile(file, 'utf8'));
    } catch {
      parsed = null;
    }
    // jupyter_client skips a broken kernel.json and keeps looking; so do we.
    if (parsed === null || parsed.argv.length === 0) continue;
    return { name, file, dataDir, argv: parsed.argv, language: parsed.language };
  }
  return null;
}

export interface KernelExecutable {
  executable: string | null;
  /** How argv[0] became the executable, for the interpreter's detail sentence. */
  how: string;
}

/** `<prefix>/share/jupyter` → `<prefix>`; null for data dirs that are not inside an environment. */
function prefixOfDataDir(dataDir: string): string | null {
  const parts = dataDir.split(path.sep);
  if (parts.length >= 3 && parts.at(-1) === 'jupyter' && parts.at(-2) === 'share') {
    return parts.slice(0, -2).join(path.sep) || path.sep;
  }
  return null;
}

/**
 * The executable a kernelspec starts. Jupyter replaces a bare `python`/`python3` argv[0] with its
 * own sys.executable; we cannot ask the Jupyter that ran, so we take the interpreter of the
 * environment the kernelspec is installed in, else the one on PATH.
 */
export async function kernelExecutable(
  spec: FoundKernelspec,
  env: NodeJS.ProcessEnv,
  notebookDir: string,
): Promise<KernelExecutable> {
  const kernelDir = path.dirname(spec.file);
  const argv0 = (spec.argv[0] ?? '').replaceAll('{resource_dir}', kernelDir);
  if (path.isAbsolute(argv0)) return { executable: argv0, how: `argv[0] of ${spec.file}` };
  if (argv0 === 'python' || argv0 === 'python3') {
    const prefix = prefixOfDataDir(spec.dataDir);
    const inPrefix = prefix === null ? null : await pythonInPrefix(prefix);
    if (inPrefix !== null) {
      return {
        executable: inPrefix,
        how: `argv[0] '${argv0}' of ${spec.file}, taken as the python of the environment ${prefix ?? ''} it is installed in`,
      };
    }
  }
  if (argv0.includes('/')) {
    // Jupyter starts kernels with the notebook's directory as cwd.
    return {
      executable: path.resolve(notebookDir, argv0),
      how: `argv[0] '${argv0}' of ${spec.file}, relative to the notebook`,
    };
  }
  const onPath = await findOnPath(argv0, env);
  return { executable: onPath, how: `argv[0] '${argv0}' of ${spec.file}, looked up on PATH` };
}
