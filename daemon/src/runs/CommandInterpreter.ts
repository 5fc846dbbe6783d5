import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { canonicalExecutable, findOnPath, isExecutableFile, isFile, pythonInPrefix } from '../env/PythonLocations';

/** The interpreter a command will run, found the way the shell and the launcher would find it. */
export interface CommandInterpreter {
  executable: string;
  /** How it was found, for the version's detail sentence. */
  detail: string;
}

/** Where the lookups happen: the caller's working folder and environment (PATH, VIRTUAL_ENV...). */
export interface CommandScope {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

const PYTHON_NAME = /^python(\d+(\.\d+)*)?$/;
/** Launchers whose `run` subcommand runs the rest of the line in an environment of theirs. */
const CONDA_LIKE = new Set(['conda', 'mamba', 'micromamba']);
/** Bound on launchers within launchers (`env A=1 uv run python ...`). */
const MAX_DEPTH = 4;
const SHEBANG_MAX_BYTES = 512;
/** Asking a wrapper which python it runs: a pyenv shim answers in well under a second. */
const WRAPPER_TIMEOUT_MS = 10_000;
const execFileAsync = promisify(execFile);

/**
 * The interpreter of `argv` as it will run: `python …` and `./x.py` by PATH and `#!` lines
 * (an active venv is on PATH), `.venv/bin/python …` by path, `uv run …` in the project's venv,
 * `conda run -n NAME …` in that env, `env VAR=… cmd` with its changes. Null when the command
 * runs no Python this can tell (a shell script, a binary).
 */
export async function commandInterpreter(
  argv: readonly string[],
  scope: CommandScope,
  depth = 0,
): Promise<CommandInterpreter | null> {
  const [head, ...rest] = argv;
  if (head === undefined || depth > MAX_DEPTH) return null;
  const name = path.basename(head);
  if (name === 'env') return viaEnv(rest, scope, depth);
  if (PYTHON_NAME.test(name)) return pythonCommand(head, scope);
  if (name === 'uv' && rest[0] === 'run') return uvRun(rest.slice(1), scope);
  if (CONDA_LIKE.has(name) && rest[0] === 'run') return condaRun(name, rest.slice(1), scope, depth);
  return scriptCommand(head, scope);
}

/** The file a command name runs: a path as given (from cwd), else the first match on PATH. */
async function locate(command: string, scope: CommandScope): Promise<string | null> {
  if (command.includes('/')) {
    const file = path.resolve(scope.cwd, command);
    return (await isExecutableFile(file)) || (await isFile(file)) ? file : null;
  }
  return findOnPath(command, scope.env);
}

async function pythonCommand(command: string, scope: CommandScope): Promise<CommandInterpreter | null> {
  const file = await locate(command, scope);
  if (file === null) return null;
  const executable = await canonicalExecutable(file);
  const found = command.includes('/')
    ? { executable, detail: `the command runs ${command} (from ${scope.cwd})` }
    : {
        executable,
        detail: `\`${command}\` on PATH at the call is ${executable}${activeEnvironment(executable, scope)}`,
      };
  return throughWrapper(found, scope);
}

/**
 * A python that is a script (a pyenv shim) picks the real one from where and how it is run
 * (`.python-version`, PYENV_VERSION): ask it here, with the caller's folder and environment,
 * since the daemon asking later from elsewhere would get another answer.
 */
async function throughWrapper(found: CommandInterpreter, scope: CommandScope): Promise<CommandInterpreter> {
  if ((await shebangOf(found.executable)) === null) return found;
  try {
    const { stdout } = await execFileAsync(found.executable, ['-c', 'import sys; print(sys.executable)'], {
      cwd: scope.cwd,
      env: scope.env,
      timeout: WRAPPER_TIMEOUT_MS,
    });
    const real = stdout.trim();
    if (!path.isAbsolute(real) || !(await isExecutableFile(real))) return found;
    const executable = await canonicalExecutable(real);
    return { executable, detail: `${found.detail}, a wrapper that runs ${executable} here` };
  } catch {
    return found; // the daemon asks it again; a broken wrapper is reported there
  }
}

/** ", the active virtualenv VIRTUAL_ENV=…" when the executable lives in the activated env. */
function activeEnvironment(executable: string, scope: CommandScope): string {
  for (const variable of ['VIRTUAL_ENV', 'CONDA_PREFIX'] as const) {
    const prefix = scope.env[variable];
    if (prefix && executable.startsWith(path.resolve(prefix) + path.sep)) {
      return `, in the active environment ${variable}=${prefix}`;
    }
  }
  return '';
}

/** `env [-i] [VAR=value…] cmd…`: the command with those variables set. */
async function viaEnv(args: readonly string[], scope: CommandScope, depth: number): Promise<CommandInterpreter | null> {
  const env: NodeJS.ProcessEnv = { ...scope.env };
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '-i' || arg === '--ignore-environment') {
      for (const key of Object.keys(env)) delete env[key];
      continue;
    }
    const eq = arg.indexOf('=');
    if (arg.startsWith('-') || eq <= 0) break;
    env[arg.slice(0, eq)] = arg.slice(eq + 1);
  }
  return commandInterpreter(args.slice(i), { cwd: scope.cwd, env }, depth + 1);
}

/** A script or console entry point: the interpreter its `#!` line names. */
async function scriptCommand(command: string, scope: CommandScope): Promise<CommandInterpreter | null> {
  const file = await locate(command, scope);
  if (file === null) return null;
  const shebang = await shebangOf(file);
  if (shebang === null) return null;
  const [interpreter = '', ...words] = shebang.split(/\s+/);
  if (path.basename(interpreter) === 'env') {
    const target = words.find((w) => !w.startsWith('-')) ?? '';
    if (!PYTHON_NAME.test(path.basename(target))) return null;
    const onPath = await findOnPath(target, scope.env);
    if (onPath === null) return null;
    const executable = await canonicalExecutable(onPath);
    const detail = `${file} starts with #!${shebang}, and ${target} on PATH at the call is ${executable}`;
    return throughWrapper({ executable, detail }, scope);
  }
  if (!PYTHON_NAME.test(path.basename(interpreter))) return null;
  return { executable: await canonicalExecutable(interpreter), detail: `${file} starts with #!${shebang}` };
}

/** The `#!` line of a file, reading only its first bytes (a binary on PATH may be huge). */
async function shebangOf(file: string): Promise<string | null> {
  let handle;
  try {
    handle = await open(file, 'r');
    const buffer = Buffer.alloc(SHEBANG_MAX_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8');
    if (!head.startsWith('#!')) return null;
    return (head.split('\n')[0] ?? '').slice(2).trim();
  } catch {
    return null;
  } finally {
    await handle?.close();
  }
}

/** uv's options that take a value (so the value is not taken for the command). */
const UV_VALUE_OPTIONS = new Set([
  '--python',
  '-p',
  '--with',
  '--directory',
  '--project',
  '--env-file',
  '--group',
  '--extra',
  '--package',
  '--index',
  '--index-url',
  '--default-index',
  '--extra-index-url',
  '--find-links',
  '-f',
]);

/**
 * `uv run [opts] cmd…`: `--python` when given, else the project environment (UV_PROJECT_ENVIRONMENT,
 * else `.venv` beside the nearest pyproject.toml from the working folder), else an active venv.
 */
async function uvRun(args: readonly string[], scope: CommandScope): Promise<CommandInterpreter | null> {
  let cwd = scope.cwd;
  let python: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('-')) break;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = inline ?? (UV_VALUE_OPTIONS.has(flag) ? args[++i] : undefined);
    if ((flag === '--python' || flag === '-p') && value !== undefined) python = value;
    if ((flag === '--directory' || flag === '--project') && value !== undefined) cwd = path.resolve(cwd, value);
  }
  if (python !== undefined && python.includes('/')) {
    const executable = await canonicalExecutable(path.resolve(cwd, python));
    return { executable, detail: `\`uv run --python ${python}\`` };
  }
  const projectEnv = scope.env.UV_PROJECT_ENVIRONMENT;
  const projectDir = await nearestProject(cwd);
  const prefix = projectEnv
    ? path.resolve(projectDir ?? cwd, projectEnv)
    : projectDir === null
      ? null
      : path.join(projectDir, '.venv');
  // uv execs the environment's `python` (the name VS Code and the venv's own scripts use).
  const inPrefix = prefix === null ? null : await venvPython(prefix);
  if (inPrefix !== null) {
    const why = projectEnv
      ? `UV_PROJECT_ENVIRONMENT=${projectEnv}`
      : `the project ${projectDir ?? ''} (pyproject.toml)`;
    return { executable: await canonicalExecutable(inPrefix), detail: `\`uv run\` runs the environment of ${why}` };
  }
  const active = scope.env.VIRTUAL_ENV ? await venvPython(scope.env.VIRTUAL_ENV) : null;
  if (active !== null) {
    return {
      executable: await canonicalExecutable(active),
      detail: `\`uv run\` outside a project uses the active VIRTUAL_ENV`,
    };
  }
  return null;
}

async function venvPython(prefix: string): Promise<string | null> {
  const python = path.join(prefix, 'bin', 'python');
  return (await isExecutableFile(python)) ? python : pythonInPrefix(prefix);
}

async function nearestProject(from: string): Promise<string | null> {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (await isFile(path.join(dir, 'pyproject.toml'))) return dir;
    if (path.dirname(dir) === dir) return null;
  }
}

/** `conda run -n NAME cmd…` / `-p PREFIX`: that environment's python (the command's own name aside). */
async function condaRun(
  tool: string,
  args: readonly string[],
  scope: CommandScope,
  depth: number,
): Promise<CommandInterpreter | null> {
  let prefix: string | null = null;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '-n' || arg === '--name') prefix = await condaEnvByName(args[++i] ?? '', scope);
    else if (arg === '-p' || arg === '--prefix') prefix = path.resolve(scope.cwd, args[++i] ?? '');
    else if (arg.startsWith('--name=')) prefix = await condaEnvByName(arg.slice(7), scope);
    else if (arg.startsWith('--prefix=')) prefix = path.resolve(scope.cwd, arg.slice(9));
    else if (!arg.startsWith('-')) break;
  }
  if (prefix === null) prefix = scope.env.CONDA_PREFIX ?? null;
  if (prefix === null) return null;
  const bin = path.join(prefix, 'bin');
  // The command runs with the env's bin first on PATH: resolve it there (python, a console script).
  const inner = await commandInterpreter(
    args.slice(i),
    {
      cwd: scope.cwd,
      env: { ...scope.env, PATH: [bin, scope.env.PATH ?? ''].join(path.delimiter), CONDA_PREFIX: prefix },
    },
    depth + 1,
  );
  if (inner === null) return null;
  return { executable: inner.executable, detail: `\`${tool} run\` in ${prefix}: ${inner.detail}` };
}

async function condaEnvByName(name: string, scope: CommandScope): Promise<string | null> {
  const home = scope.env.HOME ?? os.homedir();
  const roots = [
    scope.env.CONDA_EXE ? path.dirname(path.dirname(scope.env.CONDA_EXE)) : null,
    ...['miniconda3', 'anaconda3', 'miniforge3', 'mambaforge'].map((d) => path.join(home, d)),
    '/opt/conda',
  ].filter((r): r is string => r !== null);
  if (name === 'base') {
    for (const root of roots) if ((await pythonInPrefix(root)) !== null) return root;
  }
  const envDirs = [...roots.map((r) => path.join(r, 'envs')), path.join(home, '.conda', 'envs')];
  for (const dir of envDirs) {
    const prefix = path.join(dir, name);
    if ((await pythonInPrefix(prefix)) !== null) return prefix;
  }
  return null;
}
