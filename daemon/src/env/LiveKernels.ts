import { realpathSync } from 'node:fs';
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { asRecord } from '../../../shared/src/check';
import { parseJsonObject } from './JsonObject';
import { findOnPath, isFile } from './PythonLocations';

/** A Jupyter kernel process running on this machine (Linux: found in /proc). */
export interface LiveKernel {
  pid: number;
  /** /proc/<pid>/cmdline */
  argv: string[];
  /**
   * The interpreter it runs: argv[0] when absolute (not /proc/<pid>/exe: a venv's bin/python is a
   * symlink to the base interpreter, and resolving it would lose the venv); a bare name looked up
   * on the PATH of the kernel's own environment; a relative one resolved against its cwd.
   * null when not determinable.
   */
  executable: string | null;
  /** /proc/<pid>/cwd target */
  cwd: string | null;
  /** The -f / --f= / --f / connection file argument, absolute. */
  connectionFile: string | null;
  /** Process start time (ms since epoch), to the 10 ms of the kernel's clock ticks; 0 when /proc/stat has no btime. */
  startedMs: number;
  /** Absolute notebook path when a Jupyter server's session says this kernel serves it. */
  notebook?: string;
  /** The server URL that said so (never with its token). */
  server?: string;
}

export interface LiveKernelOptions {
  /** For HOME, JUPYTER_RUNTIME_DIR, XDG_DATA_HOME, JUPYTER_DATA_DIR: where Jupyter servers leave their info files. */
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Bound on the whole lookup including HTTP requests to servers (default 1500 ms). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 1500;
/** At most this many processes are looked at; a machine with more is not searched further. */
const MAX_PIDS = 4096;
const READ_BATCH = 64;
/** Linux's USER_HZ: the unit of /proc/<pid>/stat times (sysconf is out of reach from Node). */
const CLOCK_TICKS_PER_SECOND = 100;
const MAX_RUNTIME_DIRS = 8;
const MAX_SERVER_FILES_PER_DIR = 32;
const MAX_SERVER_FILE_BYTES = 64 * 1024;
const MAX_SESSIONS_BYTES = 4 * 1024 * 1024;

/** Modules that run an IPython kernel when started with `python -m`. */
const IPYKERNEL_MODULES = new Set(['ipykernel_launcher', 'ipykernel', 'ipykernel.kernelapp']);
const SERVER_INFO_FILE = /^(?:jpserver|nbserver)-\d+\.json$/;
const KERNEL_CONNECTION_FILE = /^kernel-.*\.json$/;

/**
 * Whether a command line is a Jupyter kernel's, and the connection file argument as written.
 * A kernel is `python [options] -m ipykernel_launcher|ipykernel ...` (or the launcher script),
 * or any command with a `-f`/`--f` argument named `kernel-*.json` (how Jupyter starts other kernels).
 */
export function parseKernelArgv(argv: readonly string[]): { connectionFileArg: string | null } | null {
  const python = pythonTarget(argv);
  const isIpykernel =
    python !== null &&
    (python.module !== null
      ? IPYKERNEL_MODULES.has(python.module)
      : path.basename(python.script) === 'ipykernel_launcher.py');
  if (python !== null && isIpykernel) {
    // `python -m ipykernel install --user` installs a kernelspec; it is no kernel.
    if (python.module === 'ipykernel' && python.rest[0] === 'install') return null;
    return { connectionFileArg: connectionFileArg(python.rest) };
  }
  const arg = connectionFileArg(argv.slice(1));
  if (arg !== null && KERNEL_CONNECTION_FILE.test(path.basename(arg))) return { connectionFileArg: arg };
  return null;
}

/** What a Python command line runs: `-m module` or a script, with the arguments after it; null for `-c` and the like. */
function pythonTarget(
  argv: readonly string[],
): { module: string; script?: never; rest: string[] } | { module: null; script: string; rest: string[] } | null {
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      const script = argv[i + 1];
      return script === undefined ? null : { module: null, script, rest: argv.slice(i + 2) };
    }
    if (!arg.startsWith('-') || arg === '-') return { module: null, script: arg, rest: argv.slice(i + 1) };
    if (arg.startsWith('--')) {
      if (arg === '--check-hash-based-pycs') i++;
      continue;
    }
    // A cluster of short options (`-Es`, `-Xfrozen_modules=off`, `-mipykernel`).
    for (let j = 1; j < arg.length; j++) {
      const option = arg[j];
      if (option === 'c') return null;
      if (option === 'm') {
        const attached = arg.slice(j + 1);
        if (attached !== '') return { module: attached, rest: argv.slice(i + 1) };
        const module = argv[i + 1];
        return module === undefined ? null : { module, rest: argv.slice(i + 2) };
      }
      if (option === 'W' || option === 'X') {
        if (j === arg.length - 1) i++;
        break;
      }
    }
  }
  return null;
}

/** The connection file argument (`-f X`, `-f=X`, `--f X`, `--f=X`, `--IPKernelApp.connection_file=X`); the last one wins, as with argparse. */
function connectionFileArg(args: readonly string[]): string | null {
  let found: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const isConnectionOption = name === '-f' || name === '--f' || /^--(?:\w+\.)?connection_file$/.test(name);
    if (!isConnectionOption) continue;
    if (eq !== -1) {
      found = arg.slice(eq + 1);
    } else if (i + 1 < args.length) {
      found = args[i + 1] ?? null;
      i++;
    }
  }
  return found === '' ? null : found;
}

function isEnvSet(value: string | undefined): boolean {
  return value !== undefined && !['no', 'n', 'false', 'off', '0', '0.0'].includes(value.toLowerCase());
}

/** Jupyter's runtime dirs for an environment, as jupyter_core computes them on Linux (platformdirs variant when asked for). */
function runtimeDirsOf(env: NodeJS.ProcessEnv): string[] {
  if (env.JUPYTER_RUNTIME_DIR) return [path.resolve(env.JUPYTER_RUNTIME_DIR)];
  const home = env.HOME || os.homedir();
  const xdgData = env.XDG_DATA_HOME || path.join(home, '.local', 'share');
  if (isEnvSet(env.JUPYTER_PLATFORM_DIRS)) {
    const uid = process.getuid?.() ?? 0;
    const runtime = path.join(env.XDG_RUNTIME_DIR || `/run/user/${uid}`, 'jupyter');
    return [env.JUPYTER_DATA_DIR ? path.join(env.JUPYTER_DATA_DIR, 'runtime') : runtime];
  }
  const dataDir = env.JUPYTER_DATA_DIR || path.join(xdgData, 'jupyter');
  return [path.resolve(dataDir, 'runtime')];
}

function parseEnviron(buf: Buffer): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const entry of buf.toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** /proc/<pid>/stat: ppid (field 4) and starttime (field 22, clock ticks since boot). */
function parseProcStat(text: string): { ppid: number; startTicks: number } | null {
  // Field 2 is the command name in parentheses, which may itself hold spaces and parentheses.
  const close = text.lastIndexOf(')');
  if (close === -1) return null;
  const fields = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 (state).
  const ppid = Number(fields[4 - 3]);
  const startTicks = Number(fields[22 - 3]);
  if (!Number.isFinite(ppid) || !Number.isFinite(startTicks)) return null;
  return { ppid, startTicks };
}

async function bootTimeSeconds(): Promise<number | null> {
  try {
    const match = /^btime\s+(\d+)\s*$/m.exec(await readFile('/proc/stat', 'utf8'));
    return match?.[1] === undefined ? null : Number(match[1]);
  } catch {
    return null;
  }
}

async function interpreterOf(
  argv0: string,
  cwd: string | null,
  environ: () => Promise<NodeJS.ProcessEnv | null>,
): Promise<string | null> {
  if (argv0 === '') return null;
  if (path.isAbsolute(argv0)) return path.normalize(argv0);
  if (argv0.includes('/')) return cwd === null ? null : path.resolve(cwd, argv0);
  const env = await environ();
  if (env?.PATH === undefined) return null;
  // execvp takes relative PATH entries (and empty ones: the current directory) from the process's cwd.
  const dirs = env.PATH.split(':')
    .map((d) => (path.isAbsolute(d) ? d : cwd === null ? null : path.resolve(cwd, d)))
    .filter((d): d is string => d !== null);
  return findOnPath(argv0, { PATH: dirs.join(path.delimiter) });
}

/**
 * Where the kernel takes its connection file from, as ipykernel does: a bare name is looked for
 * in the cwd and otherwise lives in the runtime dir of the kernel's environment.
 */
async function connectionFileOf(
  arg: string | null,
  cwd: string | null,
  environ: () => Promise<NodeJS.ProcessEnv | null>,
  fallbackEnv: NodeJS.ProcessEnv,
): Promise<string | null> {
  if (arg === null) return null;
  if (path.isAbsolute(arg)) return path.normalize(arg);
  if (arg.includes('/')) return cwd === null ? null : path.resolve(cwd, arg);
  if (cwd !== null && (await isFile(path.join(cwd, arg)))) return path.join(cwd, arg);
  const [dir] = runtimeDirsOf((await environ()) ?? fallbackEnv);
  return dir === undefined ? null : path.join(dir, arg);
}

interface FoundProcess {
  kernel: LiveKernel;
  ppid: number;
}

async function inspectProcess(
  pid: number,
  uid: number | undefined,
  bootMs: number | null,
  fallbackEnv: NodeJS.ProcessEnv,
): Promise<FoundProcess | null> {
  const procDir = `/proc/${pid}`;
  let cmdline: Buffer;
  try {
    cmdline = await readFile(`${procDir}/cmdline`);
  } catch {
    return null;
  }
  // Cheap filter before any parsing: every form we accept mentions "kernel".
  if (!cmdline.includes('kernel')) return null;
  const argv = cmdline.toString('utf8').split('\0');
  if (argv.at(-1) === '') argv.pop();
  const parsed = parseKernelArgv(argv);
  if (parsed === null) return null;
  try {
    if (uid !== undefined && (await stat(procDir)).uid !== uid) return null;
    const procStat = parseProcStat(await readFile(`${procDir}/stat`, 'utf8'));
    if (procStat === null) return null;
    const cwd = await readlink(`${procDir}/cwd`).catch(() => null);
    let environ: Promise<NodeJS.ProcessEnv | null> | null = null;
    const readEnviron = (): Promise<NodeJS.ProcessEnv | null> =>
      (environ ??= readFile(`${procDir}/environ`).then(parseEnviron, () => null));
    const kernel: LiveKernel = {
      pid,
      argv,
      executable: await interpreterOf(argv[0] ?? '', cwd, readEnviron),
      cwd,
      connectionFile: await connectionFileOf(parsed.connectionFileArg, cwd, readEnviron, fallbackEnv),
      startedMs: bootMs === null ? 0 : bootMs + (procStat.startTicks * 1000) / CLOCK_TICKS_PER_SECOND,
    };
    return { kernel, ppid: procStat.ppid };
  } catch {
    // The process ended while we looked, or is not ours to read.
    return null;
  }
}

/** A wrapper (`conda run`, a launcher script) shows the kernel's arguments too: keep the innermost process. */
function dropWrappers(found: readonly FoundProcess[]): LiveKernel[] {
  const byFile = new Map<string, Set<number>>();
  for (const { kernel } of found) {
    if (kernel.connectionFile === null) continue;
    const pids = byFile.get(kernel.connectionFile) ?? new Set<number>();
    pids.add(kernel.pid);
    byFile.set(kernel.connectionFile, pids);
  }
  const parents = new Set<number>();
  for (const { kernel, ppid } of found) {
    if (kernel.connectionFile !== null && byFile.get(kernel.connectionFile)?.has(ppid)) parents.add(ppid);
  }
  return found.map((f) => f.kernel).filter((k) => !parents.has(k.pid));
}

/** Adds the kernel processes to `into` batch by batch, so that a lookup cut short keeps what it found. */
async function scanKernels(env: NodeJS.ProcessEnv, signal: AbortSignal, into: FoundProcess[]): Promise<void> {
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return;
  }
  const pids = names
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .slice(0, MAX_PIDS);
  const uid = process.getuid?.();
  const btime = await bootTimeSeconds();
  const bootMs = btime === null ? null : btime * 1000;
  for (let i = 0; i < pids.length && !signal.aborted; i += READ_BATCH) {
    const batch = await Promise.all(pids.slice(i, i + READ_BATCH).map((pid) => inspectProcess(pid, uid, bootMs, env)));
    for (const f of batch) if (f !== null) into.push(f);
  }
}

interface ServerInfo {
  url: string;
  token: string;
  rootDir: string | null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live servers that left info files (`jpserver-<pid>.json`, `nbserver-<pid>.json`) in a runtime dir. */
async function serversIn(dir: string, uid: number | undefined): Promise<ServerInfo[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => SERVER_INFO_FILE.test(n)).slice(0, MAX_SERVER_FILES_PER_DIR);
  } catch {
    return [];
  }
  const servers: ServerInfo[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const st = await stat(file);
      // Someone else's file could point us (and a token) anywhere.
      if (!st.isFile() || st.size > MAX_SERVER_FILE_BYTES || (uid !== undefined && st.uid !== uid)) continue;
      const info = parseJsonObject(await readFile(file, 'utf8'));
      if (info === null || typeof info.url !== 'string' || typeof info.pid !== 'number') continue;
      if (!isAlive(info.pid)) continue;
      const root = typeof info.root_dir === 'string' ? info.root_dir : info.notebook_dir;
      servers.push({
        url: info.url,
        token: typeof info.token === 'string' ? info.token : '',
        rootDir: typeof root === 'string' && root !== '' ? path.resolve(root) : null,
      });
    } catch {
      // Gone or unreadable: skip it.
    }
  }
  return servers;
}

/** The server's base URL without credentials, query or token, ending in '/'; null for what fetch cannot reach. */
function baseUrl(url: string): URL | null {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    return null;
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') return null;
  base.username = '';
  base.password = '';
  base.search = '';
  base.hash = '';
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return base;
}

async function readCapped(res: Response, maxBytes: number): Promise<string | null> {
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A server's sessions as (kernel id, notebook path relative to its root). */
async function sessionsOf(
  base: URL,
  token: string,
  signal: AbortSignal,
): Promise<{ kernelId: string; path: string }[]> {
  const res = await fetch(new URL('api/sessions', base), {
    headers: token === '' ? {} : { Authorization: `token ${token}` },
    redirect: 'error',
    signal,
  });
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    return [];
  }
  const text = await readCapped(res, MAX_SESSIONS_BYTES);
  if (text === null) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const sessions: { kernelId: string; path: string }[] = [];
  for (const item of parsed) {
    const session = asRecord(item);
    const kernelId = asRecord(session?.kernel)?.id;
    // `path` since notebook 5; `notebook.path` before.
    const notebookPath = session?.path ?? asRecord(session?.notebook)?.path;
    if (typeof kernelId === 'string' && typeof notebookPath === 'string' && notebookPath !== '') {
      sessions.push({ kernelId, path: notebookPath });
    }
  }
  return sessions;
}

/**
 * Ask the live Jupyter servers which notebook each kernel serves. Servers are looked for in the
 * runtime dir of `env`, and in the folders of the kernels' connection files (a server keeps its
 * info file next to its kernels' connection files, wherever its own environment put them).
 */
async function attachSessions(env: NodeJS.ProcessEnv, kernels: readonly LiveKernel[], signal: AbortSignal) {
  const dirs = new Set(runtimeDirsOf(env));
  for (const k of kernels) {
    if (k.connectionFile !== null) dirs.add(path.dirname(k.connectionFile));
  }
  const uid = process.getuid?.();
  const servers = (await Promise.all([...dirs].slice(0, MAX_RUNTIME_DIRS).map((d) => serversIn(d, uid)))).flat();
  const byConnectionFile = new Map<string, LiveKernel[]>();
  for (const k of kernels) {
    if (k.connectionFile === null) continue;
    const name = path.basename(k.connectionFile);
    byConnectionFile.set(name, [...(byConnectionFile.get(name) ?? []), k]);
  }
  const seen = new Set<string>();
  await Promise.all(
    servers.map(async (server) => {
      const base = baseUrl(server.url);
      if (base === null || seen.has(base.href)) return;
      seen.add(base.href);
      let sessions;
      try {
        sessions = await sessionsOf(base, server.token, signal);
      } catch {
        return; // Not answering, refusing, or out of time: it tells us nothing.
      }
      if (signal.aborted || server.rootDir === null) return;
      for (const session of sessions) {
        // jupyter_server names a kernel's connection file after its id, in its runtime dir.
        for (const k of byConnectionFile.get(`kernel-${session.kernelId}.json`) ?? []) {
          if (k.notebook !== undefined) continue;
          k.notebook = path.resolve(server.rootDir, ...session.path.split('/'));
          k.server = base.href;
        }
      }
    }),
  );
}

/**
 * The Jupyter kernels running as the current user on this machine, with the notebook each serves
 * where a Jupyter server's session says so. Linux only (an empty list elsewhere). Never throws:
 * what could not be read is left out, and at the time limit it returns what it has found.
 */
export async function findLiveKernels(opts: LiveKernelOptions): Promise<LiveKernel[]> {
  if (process.platform !== 'linux') return [];
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  const timer = setTimeout(stop, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  opts.signal?.addEventListener('abort', stop, { once: true });
  if (opts.signal?.aborted) stop();
  const found: FoundProcess[] = [];
  const lookup = async (): Promise<void> => {
    await scanKernels(opts.env, controller.signal, found);
    const kernels = dropWrappers(found);
    if (kernels.length > 0 && !controller.signal.aborted) await attachSessions(opts.env, kernels, controller.signal);
  };
  const deadline = new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve()));
  try {
    await Promise.race([lookup(), deadline]);
  } catch {
    // Whatever failed is left out.
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', stop);
    // Ends requests still in flight; the lookup may go on a moment, on objects no longer returned.
    stop();
  }
  return dropWrappers(found).map((k) => ({ ...k, argv: [...k.argv] }));
}

/** Compares paths as given and with symlinks resolved (/proc reports a cwd's real path). */
class PathMatcher {
  private readonly real = new Map<string, string>();

  same(a: string, b: string): boolean {
    return path.resolve(a) === path.resolve(b) || this.realpath(a) === this.realpath(b);
  }

  private realpath(p: string): string {
    const abs = path.resolve(p);
    let real = this.real.get(abs);
    if (real === undefined) {
      try {
        real = realpathSync.native(abs);
      } catch {
        real = abs;
      }
      this.real.set(abs, real);
    }
    return real;
  }
}

function newest(kernels: readonly LiveKernel[]): LiveKernel {
  return kernels.reduce((a, b) =>
    b.startedMs > a.startedMs || (b.startedMs === a.startedMs && b.pid > a.pid) ? b : a,
  );
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function describeKernel(k: LiveKernel): string {
  const started = k.startedMs > 0 ? `, started ${new Date(k.startedMs).toISOString()}` : '';
  return `pid ${k.pid} (${k.executable ?? k.argv[0] ?? '?'}${started})`;
}

/**
 * The kernel serving `notebookAbs`: a server session naming it wins; else the kernels whose cwd is
 * the notebook's folder (Jupyter and VS Code start kernels there) and that no session ties to
 * another notebook, the newest when there are several. Returns the choice and one sentence of
 * evidence, or why there is none.
 */
export function kernelForNotebook(
  notebookAbs: string,
  kernels: readonly LiveKernel[],
): { kernel: LiveKernel; evidence: string } | { miss: string } {
  const paths = new PathMatcher();
  const bySession = kernels.filter((k) => k.notebook !== undefined && paths.same(k.notebook, notebookAbs));
  if (bySession.length > 0) {
    const kernel = newest(bySession);
    const others = bySession.length > 1 ? ` (the newest of ${bySession.length} kernels with such a session)` : '';
    return {
      kernel,
      evidence: `Jupyter server ${kernel.server ?? '?'} has a session for ${notebookAbs} whose kernel is ${describeKernel(kernel)}${others}`,
    };
  }
  const dir = path.dirname(path.resolve(notebookAbs));
  const inDir = kernels.filter((k) => k.cwd !== null && paths.same(k.cwd, dir));
  const free = inDir.filter((k) => k.notebook === undefined);
  const busy = inDir.length - free.length;
  const leftOut =
    busy === 0
      ? ''
      : ` (leaving out ${plural(busy, 'kernel', 'kernels')} there that server sessions tie to other notebooks)`;
  if (free.length === 1 && free[0] !== undefined) {
    return {
      kernel: free[0],
      evidence: `kernel ${describeKernel(free[0])} is the only running Jupyter kernel whose working directory is ${dir}, the notebook's folder${leftOut}`,
    };
  }
  if (free.length > 1) {
    const kernel = newest(free);
    return {
      kernel,
      evidence: `${free.length} running Jupyter kernels have ${dir}, the notebook's folder, as working directory${leftOut} (pids ${free.map((k) => k.pid).join(', ')}); the newest, ${describeKernel(kernel)}, was taken`,
    };
  }
  if (kernels.length === 0) return { miss: 'no Jupyter kernel is running' };
  const inFolder =
    busy === 0
      ? `none with ${dir} as working directory`
      : `${busy === 1 ? 'the one' : `the ${busy}`} in ${dir} serving other notebooks by their servers' sessions`;
  return {
    miss: `${plural(kernels.length, 'Jupyter kernel is', 'Jupyter kernels are')} running, ${inFolder}, and no Jupyter server session names ${notebookAbs}`,
  };
}
