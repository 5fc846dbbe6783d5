import { access, constants, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/** Names a project-local virtual environment commonly has, in the order tools prefer them. */
export const PROJECT_VENV_DIRS: readonly string[] = ['.venv', 'venv'];

/** True when `file` exists, is a regular file (after symlinks) and is executable by us. */
export async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const st = await stat(file);
    if (!st.isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** The python executable inside an environment prefix (venv, conda env, base install), if any. */
export async function pythonInPrefix(prefix: string): Promise<string | null> {
  const candidates =
    process.platform === 'win32'
      ? [path.join(prefix, 'Scripts', 'python.exe'), path.join(prefix, 'python.exe')]
      : [path.join(prefix, 'bin', 'python3'), path.join(prefix, 'bin', 'python')];
  for (const candidate of candidates) {
    if (await isExecutableFile(candidate)) return candidate;
  }
  return null;
}

/** Look a bare command name up on the PATH of `env`, like execvp would. */
export async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  for (const dir of dirs) {
    const candidate = path.resolve(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return null;
}

/** The project's own virtual environment (.venv, then venv) with its python, if present. */
export async function projectVenv(projectRoot: string): Promise<{ prefix: string; python: string } | null> {
  for (const dirName of PROJECT_VENV_DIRS) {
    const prefix = path.join(projectRoot, dirName);
    if (!(await isFile(path.join(prefix, 'pyvenv.cfg')))) continue;
    const python = await pythonInPrefix(prefix);
    if (python !== null) return { prefix, python };
  }
  return null;
}

/**
 * The path to report for an interpreter: the name it was found under (kernel.json's argv[0],
 * `.venv/bin/python`), with only its folder's symlinks resolved. The file itself is not
 * resolved: `/usr/bin/python3` is what the user and the kernelspec call it (not
 * `/usr/bin/python3.11`), and a venv's bin/python links to the base interpreter, so
 * resolving it would lose which venv (and which packages) it was.
 */
export async function canonicalExecutable(executable: string): Promise<string> {
  const absolute = path.resolve(executable);
  try {
    return path.join(await realpath(path.dirname(absolute)), path.basename(absolute));
  } catch {
    return absolute;
  }
}

/** The environment prefix an executable lives in (`<prefix>/bin/python3` → `<prefix>`). */
export function prefixOfExecutable(executable: string): string {
  return path.dirname(path.dirname(executable));
}
