import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { InterpreterSource, LineageLink } from '../../../shared/src/domain';
import { describeExecFailure } from './BoundedExec';
import {
  findKernelspec,
  jupyterDataDirs,
  kernelExecutable,
  NATIVE_KERNEL_NAME,
  SYSTEM_JUPYTER_DIRS,
} from './Kernelspec';
import { LineageFinder, type LineageSource } from './Lineage';
import { readNotebook } from './Notebook';
import type { InterpreterFactsCache } from './PythonInterpreter';
import { findOnPath, isExecutableFile, prefixOfExecutable, projectVenv, pythonInPrefix } from './PythonLocations';
import { normalizePackageName, type SitePackagesReader } from './PythonPackages';
import type { ProbeLog } from './ProbeTypes';

/** The interpreter chosen for a file, before it is asked anything. */
export interface InterpreterChoice {
  executable: string;
  foundBy: InterpreterSource;
  detail: string;
}

/** Budget of the capture in progress: every child run gets what is left of it. */
export interface ResolveContext {
  signal: AbortSignal;
  remainingMs: () => number;
}

export interface InterpreterResolverOptions {
  projectRoot: string;
  env: NodeJS.ProcessEnv;
  facts: InterpreterFactsCache;
  packages: SitePackagesReader;
  log: ProbeLog;
  /** Where Jupyter's system-wide kernels live; overridable so tests can stand for a machine without them. */
  systemJupyterDirs?: readonly string[];
  /** Interpreters checked last for ipykernel's built-in kernel (Debian's python3 ships one via apt). */
  systemPythons?: readonly string[];
}

/** A notebook larger than this is not parsed to find its kernelspec; the tail is searched instead. */
const NOTEBOOK_PARSE_MAX_BYTES = 32 * 1024 * 1024;
const DEFAULT_SYSTEM_PYTHONS: readonly string[] = ['/usr/bin/python3'];

/** Either an interpreter, or why this way of finding one did not work (said in the fallback's detail). */
type Attempt = { choice: InterpreterChoice } | { miss: string };

/**
 * Decides which interpreter produced a file, in this order: configured, notebook kernelspec,
 * lineage (model/metrics files), project venv, VIRTUAL_ENV, CONDA_PREFIX, python3 on PATH.
 */
export class InterpreterResolver {
  private readonly lineage: LineageFinder;

  constructor(private readonly opts: InterpreterResolverOptions) {
    this.lineage = new LineageFinder(opts.projectRoot);
  }

  async resolve(
    relPath: string,
    fileMtimeMs: number,
    configured: string | undefined,
    ctx: ResolveContext,
  ): Promise<{ choice: InterpreterChoice | null; lineage: LineageLink | null }> {
    const isNotebook = relPath.toLowerCase().endsWith('.ipynb');
    // Lineage is worth recording even when the interpreter is configured.
    const source = isNotebook ? null : await this.lineage.find(relPath, fileMtimeMs, ctx.signal);
    const lineage = source === null ? null : { sourcePath: source.sourcePath, reason: source.reason };

    if (configured !== undefined && configured !== '') {
      return { choice: await this.configured(configured), lineage };
    }
    const misses: string[] = [];
    if (isNotebook) {
      const attempt = await this.fromNotebook(relPath, ctx);
      if ('choice' in attempt) return { choice: attempt.choice, lineage };
      misses.push(attempt.miss);
    }
    if (source !== null) {
      const choice = await this.fromLineage(source, ctx);
      if (choice !== null) return { choice, lineage };
    }
    const fallback = await this.fallback();
    if (fallback === null) return { choice: null, lineage };
    const detail = [...misses, fallback.detail].join('; ');
    return { choice: { ...fallback, detail }, lineage };
  }

  /**
   * (1) The project setting. It should be absolute; a relative path is taken from the project
   * root and a bare name from PATH rather than from wherever the daemon happens to run.
   */
  private async configured(setting: string): Promise<InterpreterChoice> {
    const detail = 'the project setting `interpreter`';
    if (path.isAbsolute(setting)) return { executable: setting, foundBy: 'configured', detail };
    if (setting.includes('/') || setting.includes(path.sep)) {
      return {
        executable: path.resolve(this.opts.projectRoot, setting),
        foundBy: 'configured',
        detail: `${detail} (relative to the project)`,
      };
    }
    const onPath = await findOnPath(setting, this.opts.env);
    return {
      executable: onPath ?? setting,
      foundBy: 'configured',
      detail: `${detail} ('${setting}' looked up on PATH)`,
    };
  }

  /** (2) The kernel a notebook names, resolved on Jupyter's kernel search path. */
  private async fromNotebook(relPath: string, ctx: ResolveContext): Promise<Attempt> {
    const file = path.join(this.opts.projectRoot, relPath);
    let nb;
    try {
      nb = await readNotebook(file, NOTEBOOK_PARSE_MAX_BYTES);
    } catch (err) {
      return { miss: `cannot read ${relPath} (${describeExecFailure(err)})` };
    }
    if (nb === null) return { miss: `${relPath} is not a readable notebook` };
    if (nb.kernelName === null) return { miss: `${relPath} names no kernelspec` };
    return this.fromKernelName(nb.kernelName, nb.kernelLanguage, path.dirname(file), ctx);
  }

  private async fromKernelName(
    name: string,
    language: string | null,
    notebookDir: string,
    ctx: ResolveContext,
  ): Promise<Attempt> {
    const dataDirs = jupyterDataDirs({
      env: this.opts.env,
      envPrefixes: await this.environmentPrefixes(),
      systemDirs: this.opts.systemJupyterDirs ?? SYSTEM_JUPYTER_DIRS,
    });
    const spec = await findKernelspec(name, dataDirs);
    if (spec === null) {
      if (name === NATIVE_KERNEL_NAME) return this.nativeKernel(dataDirs, ctx);
      return { miss: `kernelspec '${name}' is not installed in any of ${dataDirs.join(', ')}` };
    }
    const specLanguage = spec.language ?? language;
    if (specLanguage !== null && !/^python/i.test(specLanguage)) {
      return { miss: `kernelspec '${name}' (${spec.file}) runs ${specLanguage}, not Python` };
    }
    const found = await kernelExecutable(spec, this.opts.env, notebookDir);
    if (found.executable === null) return { miss: `kernelspec '${name}': ${found.how} found nothing` };
    return {
      choice: { executable: found.executable, foundBy: 'kernelspec', detail: `kernelspec '${name}': ${found.how}` },
    };
  }

  /**
   * No kernel.json claims `python3`: Jupyter then offers ipykernel's built-in kernel, which runs
   * the Python Jupyter itself runs in. That one necessarily has ipykernel installed, so take the
   * first candidate interpreter that has it.
   */
  private async nativeKernel(dataDirs: readonly string[], ctx: ResolveContext): Promise<Attempt> {
    const searched = `no kernel.json for 'python3' in ${dataDirs.join(', ')}`;
    for (const candidate of await this.nativeKernelCandidates()) {
      const version = await this.ipykernelVersion(candidate.executable, ctx);
      if (version === null) continue;
      const detail =
        `kernelspec 'python3' is ipykernel's built-in kernel (${searched}), which runs Jupyter's own Python; ` +
        `${candidate.executable} (${candidate.label}) is the first candidate with ipykernel ${version} installed`;
      return { choice: { executable: candidate.executable, foundBy: 'kernelspec', detail } };
    }
    return { miss: `${searched}, and no candidate interpreter has ipykernel installed` };
  }

  private async nativeKernelCandidates(): Promise<{ executable: string; label: string }[]> {
    const list: { executable: string; label: string }[] = [];
    const venv = await projectVenv(this.opts.projectRoot);
    if (venv !== null) list.push({ executable: venv.python, label: 'project virtualenv' });
    for (const [variable, label] of [
      ['VIRTUAL_ENV', 'VIRTUAL_ENV'],
      ['CONDA_PREFIX', 'CONDA_PREFIX'],
    ] as const) {
      const prefix = this.opts.env[variable];
      const python = prefix ? await pythonInPrefix(prefix) : null;
      if (python !== null) list.push({ executable: python, label });
    }
    const onPath = await findOnPath('python3', this.opts.env);
    if (onPath !== null) list.push({ executable: onPath, label: 'python3 on PATH' });
    for (const system of this.opts.systemPythons ?? DEFAULT_SYSTEM_PYTHONS) {
      if (await isExecutableFile(system)) list.push({ executable: system, label: 'system Python' });
    }
    return list;
  }

  private async ipykernelVersion(executable: string, ctx: ResolveContext): Promise<string | null> {
    try {
      const facts = await this.opts.facts.get(executable, { timeoutMs: ctx.remainingMs(), signal: ctx.signal });
      const packages = await this.opts.packages.read(facts.path);
      return packages.find((p) => normalizePackageName(p.name) === 'ipykernel')?.version ?? null;
    } catch (err) {
      this.opts.log.warn(`interpreter: cannot check ${executable} for ipykernel: ${describeExecFailure(err)}`);
      return null;
    }
  }

  /** (3) The interpreter of the notebook or script that wrote the file. */
  private async fromLineage(source: LineageSource, ctx: ResolveContext): Promise<InterpreterChoice | null> {
    const lead = `${source.kind} ${source.sourcePath} wrote it (${source.reason})`;
    const notebookDir = path.dirname(path.join(this.opts.projectRoot, source.sourcePath));
    let misses: string[] = [];
    if (source.kind === 'notebook') {
      if (source.kernelName !== null) {
        const attempt = await this.fromKernelName(source.kernelName, source.kernelLanguage, notebookDir, ctx);
        if ('choice' in attempt)
          return { ...attempt.choice, foundBy: 'lineage', detail: `${lead}; its ${attempt.choice.detail}` };
        misses = [attempt.miss];
      } else {
        misses = ['it names no kernelspec'];
      }
    } else if (source.shebang !== null) {
      const interpreter = source.shebang.split(/\s+/)[0] ?? '';
      // `#!/usr/bin/env python3` follows PATH at run time, which the fallbacks below approximate.
      if (path.isAbsolute(interpreter) && path.basename(interpreter) !== 'env') {
        return { executable: interpreter, foundBy: 'lineage', detail: `${lead}; its #! line names ${interpreter}` };
      }
    }
    const fallback = await this.fallback();
    if (fallback === null) return null;
    return {
      executable: fallback.executable,
      foundBy: 'lineage',
      detail: [lead, ...misses, `run by ${fallback.detail}`].join('; '),
    };
  }

  /** (4)–(7): project venv, VIRTUAL_ENV, CONDA_PREFIX, python3 on PATH. */
  private async fallback(): Promise<InterpreterChoice | null> {
    const venv = await projectVenv(this.opts.projectRoot);
    if (venv !== null) {
      const dir = path.relative(this.opts.projectRoot, venv.prefix);
      return { executable: venv.python, foundBy: 'virtualenv', detail: `the project virtualenv ${dir}` };
    }
    const virtualEnv = this.opts.env.VIRTUAL_ENV;
    const fromVirtualEnv = virtualEnv ? await pythonInPrefix(virtualEnv) : null;
    if (fromVirtualEnv !== null) {
      return {
        executable: fromVirtualEnv,
        foundBy: 'VIRTUAL_ENV',
        detail: `VIRTUAL_ENV=${virtualEnv ?? ''} of the daemon`,
      };
    }
    const condaPrefix = this.opts.env.CONDA_PREFIX;
    const fromConda = condaPrefix ? await pythonInPrefix(condaPrefix) : null;
    if (fromConda !== null) {
      return { executable: fromConda, foundBy: 'conda', detail: `CONDA_PREFIX=${condaPrefix ?? ''} of the daemon` };
    }
    const onPath = await findOnPath('python3', this.opts.env);
    if (onPath !== null) return { executable: onPath, foundBy: 'path', detail: `python3 on PATH (${onPath})` };
    return null;
  }

  /** sys.prefix candidates of the Python Jupyter may run in, for `{prefix}/share/jupyter`. */
  private async environmentPrefixes(): Promise<string[]> {
    const prefixes: string[] = [];
    const venv = await projectVenv(this.opts.projectRoot);
    if (venv !== null) prefixes.push(venv.prefix);
    for (const variable of ['VIRTUAL_ENV', 'CONDA_PREFIX'] as const) {
      const value = this.opts.env[variable];
      if (value) prefixes.push(value);
    }
    const onPath = await findOnPath('python3', this.opts.env);
    if (onPath !== null) {
      // Known without running it only if it was asked before; a shim's own location is no prefix.
      const known = this.opts.facts.peek(onPath);
      if (known !== null) prefixes.push(known.prefix);
      else prefixes.push(prefixOfExecutable(await realpath(onPath).catch(() => onPath)));
    }
    return prefixes;
  }
}
