import { realpath } from 'node:fs/promises';
import type {
  CondaInfo,
  EnvironmentInfo,
  GitState,
  GpuInfo,
  InterpreterInfo,
  LineageLink,
  LockfileRef,
  MachineInfo,
  PackageInfo,
  ProjectConfig,
} from '../../../shared/src/domain';
import { describeExecFailure, ExecError } from './BoundedExec';
import { CondaMetaReader } from './CondaPackages';
import { GitProbe } from './GitProbe';
import type { InterpreterHints } from './InterpreterHints';
import { InterpreterResolver, type InterpreterChoice, type ResolveContext } from './InterpreterResolver';
import { LockfileCollector } from './Lockfiles';
import { MachineProbe } from './MachineProbe';
import { InterpreterFactsCache } from './PythonInterpreter';
import { canonicalExecutable } from './PythonLocations';
import { SitePackagesReader } from './PythonPackages';
import type { BlobSink, ProbeLog } from './ProbeTypes';

export type { BlobSink, ProbeLog } from './ProbeTypes';

export interface EnvironmentProbeOptions {
  projectRoot: string;
  config: Pick<ProjectConfig, 'interpreter' | 'envTimeoutMs'>;
  blobs: BlobSink;
  log: ProbeLog;
  /** Environment of the processes we start and of the lookups (PATH, JUPYTER_PATH, ...); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** What the editor and `mlsnap run` said about which interpreter runs a file. */
  hints?: InterpreterHints;
}

/**
 * The pieces of one capture as they arrive. On timeout the capture returns a copy of whatever is
 * here; the work still running may go on filling this object, which nobody reads any more.
 */
class CaptureProgress {
  interpreter: InterpreterInfo | null = null;
  packages: PackageInfo[] = [];
  conda: CondaInfo | null = null;
  gpus: GpuInfo[] = [];
  gpuNote: string | undefined = 'nvidia-smi did not answer before the capture deadline';
  lockfiles: LockfileRef[] = [];
  lineage: LineageLink | null = null;
  runId: string | undefined;
  readonly problems: string[] = [];
  /** What is running now, named in the timeout reason. */
  readonly steps = new Set<string>();

  constructor(
    private readonly machine: MachineInfo,
    private readonly envVarNames: string[],
  ) {}

  async step<T>(name: string, work: () => Promise<T>): Promise<T> {
    this.steps.add(name);
    try {
      return await work();
    } finally {
      this.steps.delete(name);
    }
  }

  snapshot(): { environment: EnvironmentInfo; lineage: LineageLink | null; runId?: string } {
    const environment: EnvironmentInfo = {
      interpreter: this.interpreter === null ? null : { ...this.interpreter },
      // Copies: the objects come from per-directory caches that later captures reuse.
      packages: this.packages.map((p) => ({ ...p })),
      conda:
        this.conda === null
          ? null
          : { prefix: this.conda.prefix, packages: this.conda.packages.map((p) => ({ ...p })) },
      machine: { ...this.machine },
      gpus: [...this.gpus],
      lockfiles: [...this.lockfiles],
      envVarNames: [...this.envVarNames],
      complete: this.problems.length === 0,
    };
    if (this.gpuNote !== undefined) environment.gpuNote = this.gpuNote;
    if (this.problems.length > 0) environment.incompleteReason = this.problems.join('; ');
    return { environment, lineage: this.lineage, ...(this.runId !== undefined ? { runId: this.runId } : {}) };
  }
}

/** Names of the variables only: values hold tokens and passwords and are never recorded. */
function envVarNames(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((k) => env[k] !== undefined)
    .sort();
}

/**
 * Captures the environment a tracked file was produced in: the interpreter (found per file kind),
 * its packages read from disk, conda packages, machine, GPUs, lockfiles and env var names.
 * Environment problems never throw: they are logged and make the result `complete: false`.
 */
export class EnvironmentProbe {
  private readonly env: NodeJS.ProcessEnv;
  private readonly facts: InterpreterFactsCache;
  private readonly sitePackages = new SitePackagesReader();
  private readonly conda = new CondaMetaReader();
  private readonly machine: MachineProbe;
  private readonly lockfiles: LockfileCollector;
  private readonly resolver: InterpreterResolver;
  private readonly git: GitProbe;

  constructor(private readonly opts: EnvironmentProbeOptions) {
    this.env = opts.env ?? process.env;
    this.facts = new InterpreterFactsCache(this.env);
    this.machine = new MachineProbe(this.env);
    this.lockfiles = new LockfileCollector(opts.projectRoot, opts.blobs, opts.log);
    this.resolver = new InterpreterResolver({
      projectRoot: opts.projectRoot,
      env: this.env,
      facts: this.facts,
      packages: this.sitePackages,
      log: opts.log,
      ...(opts.hints !== undefined ? { hints: opts.hints } : {}),
    });
    this.git = new GitProbe(opts.projectRoot, this.env, opts.config.envTimeoutMs, opts.blobs, opts.log);
  }

  /** Environment for the tracked file `relPath` (project-relative posix) whose mtime is fileMtimeMs. */
  async capture(
    relPath: string,
    fileMtimeMs: number,
  ): Promise<{ environment: EnvironmentInfo; lineage: LineageLink | null; runId?: string }> {
    const timeoutMs = this.opts.config.envTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    const abort = new AbortController();
    const ctx: ResolveContext = { signal: abort.signal, remainingMs: () => Math.max(1, deadline - Date.now()) };
    const progress = new CaptureProgress(this.machine.machine(), envVarNames(this.env));
    // Known at once, so a capture that times out (or fails) still says which run wrote the file.
    progress.runId = this.resolver.runOf(relPath, fileMtimeMs)?.runId;

    const work = Promise.all([
      this.captureInterpreter(relPath, fileMtimeMs, progress, ctx),
      this.captureGpus(progress),
      progress.step('storing lockfiles', async () => {
        progress.lockfiles = await this.lockfiles.collect();
      }),
    ])
      .catch((err: unknown) => this.fail(progress, `environment capture failed: ${describeExecFailure(err)}`))
      .then(() => 'done' as const);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([work, timeout]).finally(() => clearTimeout(timer));
    if (outcome === 'timeout') {
      const running = [...progress.steps].join(', ') || 'finishing';
      progress.problems.push(`timed out after ${timeoutMs} ms while ${running}`);
      this.opts.log.warn(`environment of ${relPath}: timed out after ${timeoutMs} ms while ${running}`);
      // What is still running ends on the abort (children are killed); `work` cannot reject.
      abort.abort();
    }
    return progress.snapshot();
  }

  /** Git state of the project, or null when it is not in a git work tree or git is missing. */
  async captureGit(): Promise<GitState | null> {
    try {
      return await this.git.capture();
    } catch (err) {
      this.opts.log.warn(`git: ${describeExecFailure(err)}`);
      return null;
    }
  }

  private async captureGpus(progress: CaptureProgress): Promise<void> {
    await progress.step('running nvidia-smi', async () => {
      const report = await this.machine.gpus();
      progress.gpus = report.gpus;
      progress.gpuNote = report.note;
    });
  }

  private async captureInterpreter(
    relPath: string,
    fileMtimeMs: number,
    progress: CaptureProgress,
    ctx: ResolveContext,
  ): Promise<void> {
    let resolved;
    try {
      resolved = await progress.step('finding the interpreter', () =>
        this.resolver.resolve(relPath, fileMtimeMs, this.opts.config.interpreter, ctx),
      );
    } catch (err) {
      if (ctx.signal.aborted) return;
      this.fail(progress, `cannot find the interpreter: ${describeExecFailure(err)}`);
      return;
    }
    progress.lineage = resolved.lineage;
    progress.runId = resolved.runId ?? progress.runId;
    if (resolved.choice === null) {
      this.fail(
        progress,
        'no Python interpreter found (no configured interpreter, kernelspec, venv or python3 on PATH)',
      );
      return;
    }
    await this.describeInterpreter(resolved.choice, progress, ctx);
  }

  /** Ask the chosen interpreter about itself, then read its packages from disk. */
  private async describeInterpreter(
    choice: InterpreterChoice,
    progress: CaptureProgress,
    ctx: ResolveContext,
  ): Promise<void> {
    // Until it answers, the result names the interpreter with version and prefix unknown ('').
    progress.interpreter = {
      ...choice,
      executable: await canonicalExecutable(choice.executable),
      version: '',
      prefix: '',
    };
    let facts;
    try {
      facts = await progress.step(`running ${choice.executable} (${choice.foundBy})`, () =>
        this.facts.get(choice.executable, { timeoutMs: ctx.remainingMs(), signal: ctx.signal }),
      );
    } catch (err) {
      if (ctx.signal.aborted) return; // the timeout is reported by capture()
      const timedOut = err instanceof ExecError && err.reason === 'timeout';
      this.fail(
        progress,
        `interpreter ${choice.executable} ${timedOut ? 'timed out' : 'failed'}: ${describeExecFailure(err)}`,
      );
      return;
    }
    progress.interpreter = {
      ...choice,
      ...(await this.reportedExecutable(choice, facts.executable)),
      version: facts.version,
      prefix: facts.prefix,
    };
    await progress.step('reading installed packages', async () => {
      progress.packages = await this.sitePackages.read(facts.path);
      progress.conda = await this.conda.read(facts.prefix);
    });
  }

  /**
   * The path to record. When what we ran is a wrapper (a pyenv shim is a shell script), the
   * interpreter's own sys.executable says what really ran, so that is recorded instead.
   */
  private async reportedExecutable(
    choice: InterpreterChoice,
    sysExecutable: string,
  ): Promise<{ executable: string; detail: string }> {
    const ran = await canonicalExecutable(choice.executable);
    if (sysExecutable === '') return { executable: ran, detail: choice.detail };
    const [ranReal, sysReal] = await Promise.all([
      realpath(choice.executable).catch(() => choice.executable),
      realpath(sysExecutable).catch(() => sysExecutable),
    ]);
    if (ranReal === sysReal) return { executable: ran, detail: choice.detail };
    const executable = await canonicalExecutable(sysExecutable);
    return { executable, detail: `${choice.detail}; ${choice.executable} is a wrapper that runs ${executable}` };
  }

  private fail(progress: CaptureProgress, reason: string): void {
    progress.problems.push(reason);
    this.opts.log.warn(`environment: ${reason}`);
  }
}
