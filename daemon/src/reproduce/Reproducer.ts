/**
 * Rebuilds a recorded Python environment in a fresh venv and says how it differs from the
 * record: find an interpreter of the recorded version, `python -m venv`, one `pip install
 * --no-deps` of every recorded pin the venv lacks (the record is the complete closure, so no
 * resolver is wanted), then read what the venv really holds and compare.
 */
import { mkdir, readdir, realpath, rm, rmdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EnvironmentInfo, PackageInfo } from '../../../shared/src/domain';
import { classifyPins, normalizeName, type Pin } from '../../../shared/src/environmentExport/pins';
import { MlsnapError } from '../../../shared/src/errors';
import type { TransferProgress } from '../../../shared/src/protocol';
import type { ReproduceDifference, ReproduceResult } from '../../../shared/src/reproduce';
import { ExecError, execBounded } from '../env/BoundedExec';
import { InterpreterFactsCache } from '../env/PythonInterpreter';
import { SitePackagesReader } from '../env/PythonPackages';
import { execLines, type LineExecResult } from './LineExec';
import { findPython } from './PythonFinder';

export interface ReproduceOptions {
  /** The folder to make the venv in: new, or empty. */
  dir: string;
  /**
   * A folder of wheels (and sdists) to install from; without indexUrl, the only source
   * (`--no-index`). With it or indexUrl, pip uses only what is asked here: no pip
   * configuration file and no PIP_* variable reaches it.
   */
  findLinks?: string;
  indexUrl?: string;
  signal: AbortSignal;
  onProgress?: (p: TransferProgress) => void;
  /** Environment of the interpreters and pip run (PATH, PYENV_ROOT, pip's own PIP_* settings). */
  processEnv: NodeJS.ProcessEnv;
  /**
   * The caller's PIP_* and proxy variables (the CLI forwards the shell's): the PIP_* ones reach
   * pip only when neither findLinks nor indexUrl is given; HTTP_PROXY, HTTPS_PROXY, NO_PROXY and
   * ALL_PROXY (either case) always. Any other variable here is ignored.
   */
  pipEnvironment?: Record<string, string>;
  log: { info(m: string): void; warn(m: string): void };
}

/** Each candidate interpreter is asked its version within this. */
const ASK_TIMEOUT_MS = 15_000;
const VENV_TIMEOUT_MS = 180_000;
/** One pip run of the whole closure may download gigabytes (torch): generous. */
const BATCH_PIP_TIMEOUT_MS = 60 * 60_000;
const SINGLE_PIP_TIMEOUT_MS = 20 * 60_000;
const UNINSTALL_TIMEOUT_MS = 5 * 60_000;
/** Batch runs that each drop one identified failure, before the rest go one by one. */
const MAX_BATCH_ATTEMPTS = 20;

/**
 * Variables that would send pip's installs (or Python's imports) somewhere other than the new
 * venv: kept out of every child so that what is installed and what is read are the venv's own.
 */
const REDIRECTING_VARIABLES = ['PYTHONPATH', 'PYTHONHOME', 'PIP_USER', 'PIP_TARGET', 'PIP_PREFIX', 'PIP_ROOT'];

const PROXY_VARIABLES = new Set(['http_proxy', 'https_proxy', 'no_proxy', 'all_proxy']);

function isPipVariable(key: string): boolean {
  return /^PIP_/i.test(key);
}

/**
 * The environment every child runs with. Given findLinks or indexUrl, pip must install from
 * those alone: a machine's pip.conf or PIP_FIND_LINKS would add wheels folders, indexes or
 * constraints nobody asked for, so no PIP_* variable is kept and PIP_CONFIG_FILE is the null
 * device (pip then reads no configuration file at all). Without them pip installs as the user
 * set it up: their configuration, and the caller's PIP_* variables on top.
 */
export function childEnvironment(
  opts: Pick<ReproduceOptions, 'processEnv' | 'findLinks' | 'indexUrl' | 'pipEnvironment'>,
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...opts.processEnv };
  const onlyWhatIsAsked = opts.findLinks !== undefined || opts.indexUrl !== undefined;
  if (onlyWhatIsAsked) {
    for (const key of Object.keys(out)) if (isPipVariable(key)) delete out[key];
    out['PIP_CONFIG_FILE'] = os.devNull;
  }
  for (const [key, value] of Object.entries(opts.pipEnvironment ?? {})) {
    if (typeof value !== 'string') continue;
    if (PROXY_VARIABLES.has(key.toLowerCase()) || (!onlyWhatIsAsked && isPipVariable(key))) out[key] = value;
  }
  for (const key of REDIRECTING_VARIABLES) delete out[key];
  return out;
}

function progressOf(
  phase: TransferProgress['phase'],
  objectsDone: number,
  objectsTotal: number,
  message: string,
): TransferProgress {
  return { phase, objectsDone, objectsTotal, bytesDone: 0, bytesTotal: 0, bytesPerSecond: 0, secondsLeft: 0, message };
}

function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ').trim();
}

/** Refuse a target that holds anything, or is a file; a missing one is fine (it is made later). */
async function checkTarget(dir: string): Promise<void> {
  let st;
  try {
    st = await stat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new MlsnapError('io', `cannot use ${dir}: ${(err as Error).message}`, dir);
  }
  if (!st.isDirectory()) {
    throw new MlsnapError(
      'bad-request',
      `${dir} is a file, not a folder: choose a new or empty folder for the venv`,
      dir,
    );
  }
  const entries = await readdir(dir);
  if (entries.length > 0) {
    throw new MlsnapError(
      'bad-request',
      `${dir} is not empty (${entries.length} entries): reproduce into a new or empty folder, or empty this one first`,
      dir,
    );
  }
}

async function checkFindLinks(findLinks: string): Promise<string> {
  const dir = path.resolve(findLinks);
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) {
    throw new MlsnapError(
      'bad-request',
      `find-links ${dir} is not a folder: give the folder that holds the wheels`,
      dir,
    );
  }
  return dir;
}

/** A child that did not give a result: the caller's cancel is rethrown as such (reproduce() types it); the rest are io errors. */
function childFailure(err: unknown, what: string, signal: AbortSignal): never {
  if (signal.aborted) signal.throwIfAborted();
  if (err instanceof ExecError && err.reason === 'aborted') signal.throwIfAborted();
  throw new MlsnapError('io', `${what}: ${err instanceof Error ? err.message : String(err)}`);
}

/** What pip said a failing requirement failed with: the pin it names and pip's words. */
interface PipFailure {
  pin: Pin;
  reason: string;
}

function errorLines(result: LineExecResult): string[] {
  return result.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('ERROR:'))
    .map((l) => l.slice('ERROR:'.length).trim());
}

/** The name part of a requirement pip echoes back: `torch==1.13.0a0+git`, `foo[bar]>=1`, `x @ url`. */
function requirementName(requirement: string): string {
  return normalizeName(requirement.replace(/^['"]/, '').split(/[\s=<>!~;@[(,'"]/)[0] ?? '');
}

function mentions(line: string, name: string): boolean {
  const normalized = line.toLowerCase().replace(/[-_.]+/g, '-');
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // A whole name: not part of a longer one (`torch` in `torch-audio`), but a file name's `torch-2.2.0` counts.
  return new RegExp(`(^|[^a-z0-9-])${escaped}($|[^a-z0-9-]|-\\d)`).test(normalized);
}

/** The one pin pip's errors blame, or null when they name none or several. */
export function identifyPipFailure(stderr: string, pending: readonly Pin[]): PipFailure | null {
  const errors = errorLines({ code: 1, stderr, stdoutTail: [] });
  const byName = new Map(pending.map((p) => [normalizeName(p.name), p]));
  const specific = [
    /Could not find a version that satisfies the requirement (\S+)/,
    /No matching distribution found for (\S+)/,
    /Invalid requirement: (\S+)/,
    /Cannot install (\S+) because/,
    /Failed building wheel for (\S+)/,
    /Failed to build (\S+)/,
  ];
  for (const line of errors) {
    for (const re of specific) {
      const m = re.exec(line);
      const pin = m?.[1] === undefined ? undefined : byName.get(requirementName(m[1]));
      if (pin !== undefined) return { pin, reason: `pip: ${line}` };
    }
  }
  // Any other ERROR line that names exactly one of the requirements.
  for (const line of errors) {
    const named = pending.filter((p) => mentions(line, normalizeName(p.name)));
    if (named.length === 1 && named[0] !== undefined) return { pin: named[0], reason: `pip: ${line}` };
  }
  return null;
}

/** pip's own words for a failed single install: its first ERROR line, else the end of stderr. */
function pipReason(result: LineExecResult): string {
  const first = errorLines(result)[0];
  if (first !== undefined) return `pip: ${first}`;
  const tail = lastLines(result.stderr, 3);
  return tail !== ''
    ? `pip exited with code ${String(result.code)}: ${tail}`
    : `pip exited with code ${String(result.code)}`;
}

class Run {
  private readonly env: NodeJS.ProcessEnv;
  private readonly facts: InterpreterFactsCache;
  readonly commands: string[][] = [];
  /** Why a package (normalised name) is not as recorded: the pin's classification, or pip's error. */
  readonly reasons = new Map<string, string>();

  constructor(
    private readonly opts: ReproduceOptions,
    private readonly dir: string,
    private readonly findLinks: string | undefined,
  ) {
    this.env = childEnvironment(opts);
    this.facts = new InterpreterFactsCache(this.env);
  }

  get venvPython(): string {
    return path.join(this.dir, 'bin', 'python');
  }

  private progress(p: TransferProgress): void {
    try {
      this.opts.onProgress?.(p);
    } catch {
      // A listener's failure is not the reproduction's.
    }
  }

  async findInterpreter(version: string) {
    this.progress(progressOf('python', 0, 0, `looking for Python ${version}`));
    let found;
    try {
      found = await findPython(version, {
        env: this.env,
        facts: this.facts,
        signal: this.opts.signal,
        timeoutMs: ASK_TIMEOUT_MS,
      });
    } catch (err) {
      childFailure(err, `cannot look for Python ${version}`, this.opts.signal);
    }
    if ('miss' in found) throw new MlsnapError('not-found', found.miss);
    if (found.exactVersion) this.opts.log.info(`reproduce: Python ${version} is ${found.executable} (${found.how})`);
    else {
      this.opts.log.warn(
        `reproduce: no Python ${version} here; using ${found.version} from ${found.executable} (${found.how})`,
      );
    }
    return found;
  }

  async makeVenv(python: string): Promise<void> {
    this.progress(progressOf('venv', 0, 1, `${python} -m venv ${this.dir}`));
    let result;
    try {
      result = await execBounded(python, ['-m', 'venv', this.dir], {
        timeoutMs: VENV_TIMEOUT_MS,
        signal: this.opts.signal,
        cwd: os.tmpdir(),
        env: this.env,
        maxStdoutBytes: 256 * 1024,
      });
    } catch (err) {
      childFailure(err, `${python} -m venv ${this.dir} failed`, this.opts.signal);
    }
    if (result.code !== 0) {
      const why = lastLines(result.stderr, 4) || lastLines(result.stdout.toString('utf8'), 4);
      throw new MlsnapError(
        'io',
        `${python} -m venv ${this.dir} failed (exit ${String(result.code)})${why ? `: ${why}` : ''}`,
        this.dir,
      );
    }
    this.progress(progressOf('venv', 1, 1, `made ${this.dir}`));
  }

  /** The distributions installed in the venv itself (not the base interpreter's, nor PYTHONPATH's), by normalised name. */
  async readVenv(): Promise<Map<string, PackageInfo>> {
    let facts;
    try {
      facts = await this.facts.get(this.venvPython, { timeoutMs: ASK_TIMEOUT_MS, signal: this.opts.signal });
    } catch (err) {
      childFailure(err, `cannot ask the new venv's ${this.venvPython}`, this.opts.signal);
    }
    const prefixes = new Set([this.dir, await realpath(this.dir).catch(() => this.dir), facts.prefix]);
    const inside = (location: string): boolean =>
      [...prefixes].some((p) => location === p || location.startsWith(p + path.sep));
    // A fresh reader: its per-folder cache keys on mtime, and an install within the same tick must not be missed.
    const packages = await new SitePackagesReader().read(facts.path);
    return new Map(packages.filter((p) => inside(p.location)).map((p) => [normalizeName(p.name), p]));
  }

  private pipArgv(pins: readonly Pin[]): string[] {
    const { indexUrl } = this.opts;
    const noIndex = this.findLinks !== undefined && indexUrl === undefined;
    const source: string[] = [];
    if (noIndex) source.push('--no-index');
    if (this.findLinks !== undefined) source.push('--find-links', this.findLinks);
    if (indexUrl !== undefined) source.push('--index-url', indexUrl);
    // Under --no-index pip ignores every index; naming extra ones there would only mislead.
    const extras = noIndex ? [] : [...new Set(pins.flatMap((p) => (p.extraIndexUrl ? [p.extraIndexUrl] : [])))];
    return [
      this.venvPython,
      '-m',
      'pip',
      'install',
      '--no-deps',
      '--no-input',
      '--disable-pip-version-check',
      '--no-warn-script-location',
      ...source,
      ...extras.flatMap((url) => ['--extra-index-url', url]),
      // Nothing after this is an option, whatever a requirement starts with.
      '--',
      ...pins.map((p) => p.requirement),
    ];
  }

  /** One pip run; null when it ran out of time (the caller records that). */
  private async pip(pins: readonly Pin[], timeoutMs: number): Promise<LineExecResult | null> {
    const argv = this.pipArgv(pins);
    this.commands.push(argv);
    this.opts.log.info(`reproduce: ${argv.join(' ')}`);
    const total = pins.length;
    let done = 0;
    this.progress(progressOf('install', 0, total, `installing ${total} package${total === 1 ? '' : 's'}`));
    try {
      const [file, ...args] = argv;
      return await execLines(file ?? this.venvPython, args, {
        timeoutMs,
        signal: this.opts.signal,
        cwd: os.tmpdir(),
        env: this.env,
        onLine: (line) => {
          if (line.trim() === '') return;
          if (/^\s*(Processing|Collecting)\s/.test(line)) done = Math.min(total, done + 1);
          this.progress(progressOf('install', done, total, line.trim()));
        },
      });
    } catch (err) {
      if (err instanceof ExecError && err.reason === 'timeout' && !this.opts.signal.aborted) return null;
      childFailure(err, 'pip could not run', this.opts.signal);
    }
  }

  /**
   * Install the pins in one pip run. A failure pip pins on one requirement drops that one (its
   * error kept as the reason) and the rest run again; one it pins on none sends the rest one by one.
   */
  async install(pins: readonly Pin[]): Promise<void> {
    let pending = [...pins];
    for (let attempt = 0; pending.length > 0 && attempt < MAX_BATCH_ATTEMPTS; attempt++) {
      const result = await this.pip(pending, BATCH_PIP_TIMEOUT_MS);
      if (result === null) return this.timedOut(pending, BATCH_PIP_TIMEOUT_MS);
      if (result.code === 0) return;
      const failure = identifyPipFailure(result.stderr, pending);
      if (failure === null) {
        this.opts.log.warn(
          `reproduce: pip failed without naming one package (${pipReason(result)}); installing one by one`,
        );
        break;
      }
      this.opts.log.warn(`reproduce: ${failure.pin.requirement} left out: ${failure.reason}`);
      this.reasons.set(normalizeName(failure.pin.name), failure.reason);
      pending = pending.filter((p) => p !== failure.pin);
    }
    for (const pin of pending) {
      const result = await this.pip([pin], SINGLE_PIP_TIMEOUT_MS);
      if (result === null) {
        this.timedOut([pin], SINGLE_PIP_TIMEOUT_MS);
        continue;
      }
      if (result.code === 0) continue;
      const reason = pipReason(result);
      this.opts.log.warn(`reproduce: ${pin.requirement} failed: ${reason}`);
      this.reasons.set(normalizeName(pin.name), reason);
    }
  }

  private timedOut(pins: readonly Pin[], timeoutMs: number): void {
    const reason = `pip did not finish within ${Math.round(timeoutMs / 60_000)} minutes`;
    this.opts.log.warn(`reproduce: ${reason}`);
    for (const pin of pins) {
      if (!this.reasons.has(normalizeName(pin.name))) this.reasons.set(normalizeName(pin.name), reason);
    }
  }

  /**
   * `python -m venv` seeds pip (and setuptools up to 3.11) whatever the record had: a record
   * from a venv without them (`uv venv`, `--without-pip`) would never be identical. Whatever
   * the fresh venv had that the record lacks is uninstalled, once the installs are done (they
   * need pip), pip itself last.
   */
  async removeSeeded(fresh: ReadonlyMap<string, PackageInfo>, pins: readonly Pin[]): Promise<void> {
    const recorded = new Set(pins.map((p) => normalizeName(p.name)));
    const seeded = [...fresh.keys()].filter((key) => !recorded.has(key));
    if (seeded.length === 0 || !fresh.has('pip')) return;
    const ordered = [...seeded.filter((k) => k !== 'pip'), ...seeded.filter((k) => k === 'pip')];
    const names = ordered.map((key) => fresh.get(key)?.name ?? key);
    const argv = [
      this.venvPython,
      '-m',
      'pip',
      'uninstall',
      '-y',
      '--no-input',
      '--disable-pip-version-check',
      '--',
      ...names,
    ];
    this.commands.push(argv);
    this.opts.log.info(`reproduce: ${argv.join(' ')}`);
    this.progress(
      progressOf('install', 0, 0, `removing ${names.join(', ')}: the venv brought them, the record has none`),
    );
    let result;
    try {
      const [file, ...args] = argv;
      result = await execLines(file ?? this.venvPython, args, {
        timeoutMs: UNINSTALL_TIMEOUT_MS,
        signal: this.opts.signal,
        cwd: os.tmpdir(),
        env: this.env,
      });
    } catch (err) {
      if (!(err instanceof ExecError && err.reason === 'timeout' && !this.opts.signal.aborted))
        childFailure(err, 'pip uninstall could not run', this.opts.signal);
      result = null;
    }
    if (result?.code === 0) return;
    const reason =
      result === null
        ? `pip uninstall did not finish within ${Math.round(UNINSTALL_TIMEOUT_MS / 60_000)} minutes`
        : `could not uninstall it: ${pipReason(result)}`;
    this.opts.log.warn(`reproduce: ${names.join(', ')}: ${reason}`);
    for (const key of ordered) this.reasons.set(key, reason);
  }

  async verify(pins: readonly Pin[]): Promise<{ matching: number; differences: ReproduceDifference[] }> {
    this.progress(progressOf('verify', 0, pins.length, `reading what ${this.dir} holds`));
    const installed = await this.readVenv();
    const differences: ReproduceDifference[] = [];
    let matching = 0;
    const recorded = new Set<string>();
    for (const pin of pins) {
      const key = normalizeName(pin.name);
      recorded.add(key);
      const have = installed.get(key);
      const reason = this.reasons.get(key);
      const withReason = reason === undefined ? {} : { reason };
      if (have === undefined) {
        differences.push({ name: pin.name, status: 'missing', recorded: pin.version, ...withReason });
      } else if (have.version.trim() !== pin.version.trim()) {
        differences.push({
          name: pin.name,
          status: 'different',
          recorded: pin.version,
          installed: have.version,
          ...withReason,
        });
      } else {
        matching++;
      }
    }
    for (const [key, pkg] of installed) {
      if (recorded.has(key)) continue;
      const reason = this.reasons.get(key);
      differences.push({
        name: pkg.name,
        status: 'extra',
        installed: pkg.version,
        ...(reason === undefined ? {} : { reason }),
      });
    }
    differences.sort((a, b) => {
      const x = normalizeName(a.name);
      const y = normalizeName(b.name);
      return x < y ? -1 : x > y ? 1 : 0;
    });
    this.progress(
      progressOf('verify', pins.length, pins.length, `${matching} of ${pins.length} packages match the record`),
    );
    return { matching, differences };
  }
}

/**
 * What reproduce() made, so that a failed or cancelled run takes it away again and a retry
 * into the same folder is not refused as not empty.
 */
interface Made {
  /** `dir`, when this run created it; `top`: the outermost folder it created for that (a parent, or dir itself). */
  created: { dir: string; top: string } | null;
  /** `dir` existed (empty): the entries it held before the venv was made there (none, normally). */
  existing: { dir: string; before: ReadonlySet<string> } | null;
}

/** Best effort: what is left is said in the log, and the run's own error is what the caller gets. */
async function removeWhatWasMade(made: Made, log: ReproduceOptions['log']): Promise<void> {
  // Retries: a child killed a moment ago may still be finishing a write inside.
  const removal = { recursive: true, force: true, maxRetries: 5, retryDelay: 100 } as const;
  try {
    if (made.created !== null) {
      const { dir, top } = made.created;
      await rm(dir, removal);
      // The parents it created for dir, innermost first, each only if empty.
      for (let p = path.dirname(dir); p !== top && p.startsWith(top + path.sep); p = path.dirname(p)) {
        await rmdir(p).catch(() => undefined);
      }
      if (top !== dir) await rmdir(top).catch(() => undefined);
    } else if (made.existing !== null) {
      const { dir, before } = made.existing;
      for (const entry of await readdir(dir)) {
        if (!before.has(entry)) await rm(path.join(dir, entry), removal);
      }
    }
  } catch (err) {
    const where = made.created?.dir ?? made.existing?.dir ?? '';
    log.warn(`reproduce: could not remove what was made in ${where}: ${(err as Error).message}`);
  }
}

/** The caller's cancel, typed: its own MlsnapError when it gave one as the reason. */
function cancelledError(signal: AbortSignal, dir: string): MlsnapError {
  const reason: unknown = signal.reason;
  if (reason instanceof MlsnapError) return reason;
  return new MlsnapError('conflict', `reproduce into ${dir} was cancelled`, dir);
}

function isAbortError(err: unknown): boolean {
  return (err instanceof Error && err.name === 'AbortError') || (err instanceof ExecError && err.reason === 'aborted');
}

/**
 * Make a venv in `opts.dir` (new or empty) from an interpreter of the recorded version, install
 * the recorded packages in it and report how it differs from the record. Throws MlsnapError
 * 'bad-request' for a folder that is not empty, a record without an interpreter version or a
 * find-links that is not a folder; 'not-found' when no Python of that major.minor is here;
 * 'io' when the venv cannot be made; 'conflict' when `signal` is cancelled (before the call
 * too), after killing what runs. A run that fails or is cancelled once the venv is begun
 * removes what it made: `dir` itself if it created it, else only what it put inside.
 */
export async function reproduce(env: EnvironmentInfo, opts: ReproduceOptions): Promise<ReproduceResult> {
  const dir = path.resolve(opts.dir);
  const made: Made = { created: null, existing: null };
  try {
    return await reproduceInto(env, opts, dir, made);
  } catch (err) {
    await removeWhatWasMade(made, opts.log);
    if (opts.signal.aborted || isAbortError(err)) throw cancelledError(opts.signal, dir);
    throw err;
  }
}

async function reproduceInto(
  env: EnvironmentInfo,
  opts: ReproduceOptions,
  dir: string,
  made: Made,
): Promise<ReproduceResult> {
  opts.signal.throwIfAborted();
  const recordedPython = env.interpreter?.version.trim() ?? '';
  if (env.interpreter === null || recordedPython === '') {
    const why =
      env.interpreter === null ? 'names no Python interpreter' : `has no version for ${env.interpreter.executable}`;
    throw new MlsnapError(
      'bad-request',
      `the recorded environment ${why}${env.incompleteReason ? ` (${env.incompleteReason})` : ''}: there is no Python version to rebuild; record the file again with its interpreter found`,
    );
  }
  const findLinks = opts.findLinks === undefined ? undefined : await checkFindLinks(opts.findLinks);
  await checkTarget(dir);

  const run = new Run(opts, dir, findLinks);
  const python = await run.findInterpreter(recordedPython);
  opts.signal.throwIfAborted();
  const top = await mkdir(dir, { recursive: true });
  if (top !== undefined) made.created = { dir, top };
  else {
    // Made by someone else while the interpreter was looked for: it must still be empty.
    await checkTarget(dir);
    made.existing = { dir, before: new Set(await readdir(dir)) };
  }
  await run.makeVenv(python.executable);

  const pins = classifyPins(env);
  const fresh = await run.readVenv();
  const needed = pins.filter((p) => fresh.get(normalizeName(p.name))?.version.trim() !== p.version.trim());
  const installable: Pin[] = [];
  for (const pin of needed) {
    if (pin.problem === null) installable.push(pin);
    else run.reasons.set(normalizeName(pin.name), `${pin.problem.reason} ${pin.problem.instead}`);
  }
  if (installable.length > 0 && !fresh.has('pip')) {
    const reason = `the new venv has no pip (${python.executable} -m venv made it without ensurepip)`;
    opts.log.warn(`reproduce: ${reason}`);
    for (const pin of installable) run.reasons.set(normalizeName(pin.name), reason);
  } else if (installable.length > 0) {
    await run.install(installable);
  }
  opts.signal.throwIfAborted();
  await run.removeSeeded(fresh, pins);
  opts.signal.throwIfAborted();

  const { matching, differences } = await run.verify(pins);
  const identical = differences.length === 0;
  opts.log.info(
    `reproduce: ${dir}: ${identical ? 'identical to the record' : `${differences.length} difference(s)`}, ${matching} of ${pins.length} packages match`,
  );
  return { dir, recordedPython, python, identical, matching, differences, commands: run.commands };
}
