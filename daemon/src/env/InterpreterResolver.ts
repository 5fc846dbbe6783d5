import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { InterpreterSource, LineageLink } from '../../../shared/src/domain';
import { isAlive } from '../../../shared/node/daemonFiles';
import { describeExecFailure } from './BoundedExec';
import {
  findKernelspec,
  jupyterDataDirs,
  kernelExecutable,
  NATIVE_KERNEL_NAME,
  SYSTEM_JUPYTER_DIRS,
} from './Kernelspec';
import type { InterpreterHints, RunHint } from './InterpreterHints';
import { LineageFinder, type LineageSource } from './Lineage';
import { findLiveKernels, kernelForNotebook, type LiveKernel } from './LiveKernels';
import { readNotebook, type NotebookInterpreterMetadata } from './Notebook';
import {
  environmentNameOf,
  interpreterCandidates,
  metadataMatches,
  pyvenvVersion,
  sameVersion,
  type InterpreterCandidate,
} from './NotebookInterpreter';
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
  /** What the editor and `mlsnap run` said about which interpreter runs a file. */
  hints?: InterpreterHints;
}

/** What a notebook says about its kernel: the kernelspec and the rest of its interpreter metadata. */
interface NotebookKernel extends NotebookInterpreterMetadata {
  kernelName: string | null;
  kernelLanguage: string | null;
}

/** One process-table scan (and one listing of environments) serves a burst of captures. */
const LIVE_KERNEL_REUSE_MS = 1_000;
const LIVE_KERNEL_TIMEOUT_MS = 1_500;

/** A notebook larger than this is not parsed to find its kernelspec; the tail is searched instead. */
const NOTEBOOK_PARSE_MAX_BYTES = 32 * 1024 * 1024;
const DEFAULT_SYSTEM_PYTHONS: readonly string[] = ['/usr/bin/python3'];

/** Either an interpreter, or why this way of finding one did not work (said in the fallback's detail). */
type Attempt = { choice: InterpreterChoice } | { miss: string };

/**
 * Decides which interpreter produced a file, in this order: configured; the `mlsnap run` that
 * wrote it; for a notebook the editor's kernel, a live kernel serving it, its metadata, its
 * kernelspec; for a model or metrics file the same for the notebook (or script) that wrote it
 * (lineage); then project venv, VIRTUAL_ENV, CONDA_PREFIX, python3 on PATH.
 */
export class InterpreterResolver {
  private readonly lineage: LineageFinder;
  private liveKernels: { at: number; kernels: Promise<LiveKernel[]> } | null = null;
  private candidates: { at: number; list: Promise<InterpreterCandidate[]> } | null = null;

  constructor(private readonly opts: InterpreterResolverOptions) {
    this.lineage = new LineageFinder(opts.projectRoot);
  }

  async resolve(
    relPath: string,
    fileMtimeMs: number,
    configured: string | undefined,
    ctx: ResolveContext,
  ): Promise<{ choice: InterpreterChoice | null; lineage: LineageLink | null; runId?: string }> {
    const isNotebook = relPath.toLowerCase().endsWith('.ipynb');
    // Lineage is worth recording even when the interpreter is configured.
    const source = isNotebook ? null : await this.lineage.find(relPath, fileMtimeMs, ctx.signal);
    const lineage = source === null ? null : { sourcePath: source.sourcePath, reason: source.reason };

    const run = this.fromRun(relPath, fileMtimeMs);
    if (configured !== undefined && configured !== '') {
      const choice = await this.configured(configured);
      return run === null ? { choice, lineage } : { choice, lineage, runId: run.runId };
    }
    if (run?.choice) return { choice: run.choice, lineage, runId: run.runId };
    const found = await this.notRun(relPath, isNotebook, source, lineage, ctx);
    return run === null ? found : { ...found, runId: run.runId };
  }

  /** Everything after configured and the run, for a file no run's interpreter is known for. */
  private async notRun(
    relPath: string,
    isNotebook: boolean,
    source: LineageSource | null,
    lineage: LineageLink | null,
    ctx: ResolveContext,
  ): Promise<{ choice: InterpreterChoice | null; lineage: LineageLink | null }> {
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

  /**
   * (2) A file written while `mlsnap run` ran its command: that command's interpreter. A
   * notebook is the run's only when the command names it (`nbconvert --execute nb.ipynb`):
   * an editor autosave during a training run is not the run's doing.
   */
  private fromRun(relPath: string, fileMtimeMs: number): { choice: InterpreterChoice | null; runId: string } | null {
    const run = this.runOf(relPath, fileMtimeMs);
    if (run === null) return null;
    // A command that runs no Python the CLI could tell still owns the file; its interpreter is guessed.
    if (run.executable === '') return { choice: null, runId: run.runId };
    const command = run.argv.join(' ');
    return {
      runId: run.runId,
      choice: {
        executable: run.executable,
        foundBy: 'run',
        detail: `written while \`mlsnap run\` ${run.runId} ran \`${command}\`; ${run.detail}`,
      },
    };
  }

  /** The `mlsnap run` that wrote the file, if any (a notebook only when the command names it). */
  runOf(relPath: string, fileMtimeMs: number): RunHint | null {
    const run = this.opts.hints?.runFor(fileMtimeMs) ?? null;
    if (run === null || !relPath.toLowerCase().endsWith('.ipynb')) return run;
    const notebook = path.join(this.opts.projectRoot, relPath);
    return run.argv.some((a) => path.resolve(run.cwd, a) === notebook) ? run : null;
  }

  /** (3) The interpreter that ran a notebook: editor's kernel, live kernel, metadata, kernelspec. */
  private async fromNotebook(relPath: string, ctx: ResolveContext): Promise<Attempt> {
    const file = path.join(this.opts.projectRoot, relPath);
    let nb;
    try {
      nb = await readNotebook(file, NOTEBOOK_PARSE_MAX_BYTES);
    } catch (err) {
      return { miss: `cannot read ${relPath} (${describeExecFailure(err)})` };
    }
    if (nb === null) return { miss: `${relPath} is not a readable notebook` };
    return this.notebookInterpreter(relPath, nb, ctx);
  }

  /**
   * The notebook's interpreter by the strongest evidence there is. The editor's word first,
   * unless a Jupyter server now runs a kernel for this notebook that started after the editor
   * spoke; a kernel found only by its working folder yields to metadata naming another
   * interpreter exactly (two notebooks of one folder on two venvs); then metadata, then the
   * kernelspec.
   */
  private async notebookInterpreter(relPath: string, nb: NotebookKernel, ctx: ResolveContext): Promise<Attempt> {
    const misses: string[] = [];
    const withMisses = (choice: InterpreterChoice): Attempt => ({
      choice: { ...choice, detail: [choice.detail, ...misses.map((m) => `(${m})`)].join(' ') },
    });
    const editor = await this.fromEditor(relPath);
    const live = await this.fromLiveKernel(relPath, ctx);
    if ('choice' in editor) {
      if (!('choice' in live && live.bySession && live.startedMs > editor.atMs)) return withMisses(editor.choice);
      misses.push(`the editor's word is older than the kernel a Jupyter server started for it since`);
    } else if (editor.miss !== '') {
      misses.push(editor.miss);
    }
    const metadata = await this.fromMetadata(nb, ctx);
    if ('choice' in live) {
      const agrees = !('choice' in metadata) || metadata.choice.executable === live.choice.executable;
      if (live.bySession || agrees) return withMisses(live.choice);
      misses.push(`${live.choice.detail}, but the notebook's metadata names ${metadata.choice.executable} exactly`);
    } else {
      misses.push(live.miss);
    }
    if ('choice' in metadata) return withMisses(metadata.choice);
    if (metadata.miss !== '') misses.push(metadata.miss);
    const notebookDir = path.dirname(path.join(this.opts.projectRoot, relPath));
    const spec: Attempt =
      nb.kernelName === null
        ? { miss: `${relPath} names no kernelspec` }
        : await this.fromKernelName(nb.kernelName, nb.kernelLanguage, notebookDir, ctx);
    if ('choice' in spec) return withMisses(spec.choice);
    return { miss: [...misses, spec.miss].join('; ') };
  }

  /** (3a) The editor said which interpreter the notebook's kernel runs (on save, on kernel change). */
  private async fromEditor(relPath: string): Promise<{ miss: string } | { choice: InterpreterChoice; atMs: number }> {
    const hint = this.opts.hints?.kernelOf(relPath) ?? null;
    if (hint === null) return { miss: '' };
    if (!(await isExecutableFile(hint.executable))) {
      return { miss: `the editor named ${hint.executable}, which is not an executable file here` };
    }
    const when = new Date(hint.atMs).toISOString();
    return {
      atMs: hint.atMs,
      choice: { executable: hint.executable, foundBy: 'editor', detail: `the editor's kernel (${hint.how}, ${when})` },
    };
  }

  /** (3b) A Jupyter kernel process serving the notebook right now: its interpreter ran it. */
  private async fromLiveKernel(
    relPath: string,
    ctx: ResolveContext,
  ): Promise<{ miss: string } | { choice: InterpreterChoice; bySession: boolean; startedMs: number }> {
    let kernels = await this.runningKernels(ctx);
    // The list is shared for a moment: a kernel that has exited since is not evidence.
    if (kernels.some((k) => !isAlive(k.pid))) {
      this.liveKernels = null;
      kernels = await this.runningKernels(ctx);
    }
    if (kernels.length === 0) return { miss: 'no Jupyter kernel is running' };
    const notebook = path.join(this.opts.projectRoot, relPath);
    const found = kernelForNotebook(notebook, kernels);
    if ('miss' in found) return { miss: found.miss };
    const executable = found.kernel.executable;
    if (executable === null)
      return { miss: `${found.evidence}, but its interpreter cannot be told from its command line` };
    return {
      choice: { executable, foundBy: 'live-kernel', detail: `a live kernel: ${found.evidence}` },
      bySession: found.kernel.notebook === notebook,
      startedMs: found.kernel.startedMs,
    };
  }

  /**
   * Running kernels, shared by the captures of a burst. The lookup has its own bound, not the
   * first capture's budget: a nearly spent capture must not leave an empty answer for the rest.
   */
  private runningKernels(ctx: ResolveContext): Promise<LiveKernel[]> {
    const now = Date.now();
    if (ctx.signal.aborted) return Promise.resolve([]);
    if (this.liveKernels === null || now - this.liveKernels.at > LIVE_KERNEL_REUSE_MS) {
      const kernels = findLiveKernels({ env: this.opts.env, timeoutMs: LIVE_KERNEL_TIMEOUT_MS }).catch(
        (err: unknown) => {
          this.opts.log.warn(`interpreter: cannot list running kernels: ${describeExecFailure(err)}`);
          return [];
        },
      );
      this.liveKernels = { at: now, kernels };
    }
    return this.liveKernels.kernels;
  }

  /**
   * (3c) The notebook's own metadata: VS Code's interpreter hash or a display name naming one
   * of this machine's environments; a candidate whose Python is not language_info.version is
   * not the one that ran it.
   */
  private async fromMetadata(nb: NotebookInterpreterMetadata, ctx: ResolveContext): Promise<Attempt> {
    const named = nb.kernelDisplayName === null ? null : environmentNameOf(nb.kernelDisplayName);
    // Most notebooks say only "Python 3": nothing to match, so no listing of environments.
    if (nb.interpreterHash === null && named === null) return { miss: '' };
    const matches = metadataMatches(nb, await this.environments());
    const rejected: string[] = [];
    for (const match of matches) {
      const version = await this.versionOf(match.executable, match.candidate.prefix, ctx);
      if (nb.languageVersion !== null && version !== null && !sameVersion(nb.languageVersion, version)) {
        rejected.push(`${match.executable} is Python ${version}, not ${nb.languageVersion} as language_info says`);
        continue;
      }
      const checked =
        nb.languageVersion !== null && version !== null ? `; Python ${version} as language_info says` : '';
      return {
        choice: { executable: match.executable, foundBy: 'notebook-metadata', detail: `${match.evidence}${checked}` },
      };
    }
    if (rejected.length > 0) return { miss: rejected.join('; ') };
    const evidence = [
      nb.interpreterHash === null ? null : `interpreter hash ${nb.interpreterHash.slice(0, 12)}…`,
      named === null ? null : `display name '${nb.kernelDisplayName ?? ''}'`,
    ].filter((x) => x !== null);
    return { miss: `the notebook's ${evidence.join(' and ')} match no environment found on this machine` };
  }

  /** This machine's environments, listed once per burst of captures (a save and the models it wrote). */
  private environments(): Promise<InterpreterCandidate[]> {
    const now = Date.now();
    if (this.candidates === null || now - this.candidates.at > LIVE_KERNEL_REUSE_MS) {
      this.candidates = { at: now, list: interpreterCandidates(this.opts.projectRoot, this.opts.env) };
    }
    return this.candidates.list;
  }

  private async versionOf(executable: string, prefix: string, ctx: ResolveContext): Promise<string | null> {
    const stated = await pyvenvVersion(prefix);
    if (stated !== null) return stated;
    try {
      return (await this.opts.facts.get(executable, { timeoutMs: ctx.remainingMs(), signal: ctx.signal })).version;
    } catch {
      return null;
    }
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

  /** (4) The interpreter of the notebook or script that wrote the file. */
  private async fromLineage(source: LineageSource, ctx: ResolveContext): Promise<InterpreterChoice | null> {
    const lead = `${source.kind} ${source.sourcePath} wrote it (${source.reason})`;
    let misses: string[] = [];
    if (source.kind === 'notebook') {
      const attempt = await this.notebookInterpreter(
        source.sourcePath,
        {
          kernelName: source.kernelName,
          kernelLanguage: source.kernelLanguage,
          ...(source.notebookMetadata ?? { kernelDisplayName: null, interpreterHash: null, languageVersion: null }),
        },
        ctx,
      );
      if ('choice' in attempt) {
        return { ...attempt.choice, foundBy: 'lineage', detail: `${lead}; its interpreter: ${attempt.choice.detail}` };
      }
      misses = [attempt.miss];
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

  /** (5)–(8): project venv, VIRTUAL_ENV, CONDA_PREFIX, python3 on PATH. */
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
