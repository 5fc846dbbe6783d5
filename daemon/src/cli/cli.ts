import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { diffToText } from '../../../shared/src/diffFormat';
import { toCondaYaml, toRequirements } from '../../../shared/src/environmentFormat';
import { EXIT_CODE, MlsnapError } from '../../../shared/src/errors';
import { parseRef } from '../../../shared/src/refs';
import { isAlive, readDaemonFile } from '../DaemonHome';
import { DaemonClient } from './DaemonClient';
import { runForeground } from './foreground';
import * as fmt from './format';

const USAGE = `mlsnap — history of notebooks and model files, with the environment that produced them

usage: mlsnap <command> [options]

  init [dir]                          create the store in dir (default: current folder) and watch it
  status [--json]                     the project's counts and watcher
  snapshot [paths..] [-m msg] [--json] record new versions now (all tracked files when no path)
  log [path] [--limit N] [--json]     versions, newest first
  show <ref> [--json]                 a version or snapshot with its environment and git state
  cat <ref>                           a version's bytes to stdout
  restore <ref> [--to path] [--json]  write a version back (unsnapshotted work is saved first)
  env <ref> [--format json|requirements|conda]
  diff <refA> [refB] [--json] [--metadata] [--execution-counts] [--bytes]
                                      typed diff: notebook cells, model tensors, metrics, environment
                                      (one ref: against the version before it)
  tag <ref> <name> [--json]           name a version; tagged versions survive gc
  gc --keep-last N [--dry-run] [--json]
  check [--json]                      rehash every blob, run SQLite integrity checks
  daemon start|stop|status|run        manage the background daemon (run: in the foreground)

A <ref> is path@N (N-th version, from 1), path@latest, path@<tag>, or a snapshot id prefix.
Options: --project DIR picks the project (default: the folder holding .mlsnap, searching upward).
Environment: MLSNAP_HOME (default ~/.mlsnap) holds daemon.json, daemon.log and projects.json.`;

interface Context {
  home: string;
  cwd: string;
  daemonScript: string;
  out: NodeJS.WritableStream;
}

type Flags = { metadata?: boolean; 'execution-counts'?: boolean; bytes?: boolean; json?: boolean; message?: string; limit?: string; to?: string; format?: string; 'keep-last'?: string; 'dry-run'?: boolean; project?: string; help?: boolean };

export async function main(argv: string[], ctx: Context): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        message: { type: 'string', short: 'm' },
        limit: { type: 'string' },
        to: { type: 'string' },
        format: { type: 'string' },
        'keep-last': { type: 'string' },
        'dry-run': { type: 'boolean' },
        project: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        metadata: { type: 'boolean' },
        'execution-counts': { type: 'boolean' },
        bytes: { type: 'boolean' },
      },
    });
  } catch (e) {
    process.stderr.write(`mlsnap: ${(e as Error).message}\n\n${USAGE}\n`);
    return EXIT_CODE['bad-request'];
  }
  const [command, ...args] = parsed.positionals;
  const flags = parsed.values as Flags;
  if (flags.help || command === undefined || command === 'help') {
    process.stdout.write(USAGE + '\n');
    return command === undefined && !flags.help ? EXIT_CODE['bad-request'] : 0;
  }
  try {
    return await run(command, args, flags, ctx);
  } catch (e) {
    if (e instanceof MlsnapError) {
      if (flags.json) process.stderr.write(JSON.stringify(e.toPayload()) + '\n');
      else process.stderr.write(`mlsnap: ${e.message}\n`);
      return EXIT_CODE[e.kind];
    }
    process.stderr.write(`mlsnap: ${(e as Error).message}\n`);
    return 1;
  }
}

async function run(command: string, args: string[], flags: Flags, ctx: Context): Promise<number> {
  const print = (human: string, json: unknown): void => {
    ctx.out.write(flags.json ? JSON.stringify(json, null, 2) + '\n' : human + '\n');
  };
  if (command === 'daemon') return daemonCommand(args[0], flags, ctx, print);
  const client = (): Promise<DaemonClient> => DaemonClient.ensureRunning(ctx.home, ctx.daemonScript);

  if (command === 'init') {
    const dir = path.resolve(ctx.cwd, args[0] ?? '.');
    const info = await (await client()).call('project/init', { root: dir });
    print(`initialized ${info.storeDir}\n${fmt.projectBlock(info)}`, info);
    return 0;
  }
  const root = findProjectRoot(flags.project ? path.resolve(ctx.cwd, flags.project) : ctx.cwd);
  const rel = (p: string): string => toProjectPath(root, ctx.cwd, p);
  const ref = (r: string | undefined): string => toProjectRef(root, ctx.cwd, need(r, 'a <ref>'));
  const c = await client();

  switch (command) {
    case 'status': {
      const info = await c.call('project/status', { root });
      print(fmt.projectBlock(info), info);
      return 0;
    }
    case 'snapshot': {
      const r = await c.call('snapshot/create', { root, paths: args.map(rel), ...(flags.message ? { message: flags.message } : {}), trigger: 'manual' });
      const human = r.snapshot ? fmt.snapshotBlock(r.snapshot) : `nothing changed (${r.skipped.length} files looked at)`;
      print(human, r);
      return 0;
    }
    case 'log': {
      const limit = flags.limit === undefined ? undefined : Number(flags.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new MlsnapError('bad-request', `--limit must be a positive integer, not ${flags.limit}`);
      const versions = await c.call('version/log', { root, ...(args[0] ? { path: rel(args[0]) } : {}), ...(limit === undefined ? {} : { limit }) });
      print(versions.length === 0 ? 'no versions yet' : versions.map(fmt.versionLine).join('\n'), versions);
      return 0;
    }
    case 'show': {
      const r = await c.call('ref/show', { root, ref: ref(args[0]) });
      print(fmt.showBlock(r), r);
      return 0;
    }
    case 'cat': {
      const stream = await c.content(root, ref(args[0]));
      try {
        await pipeline(stream, ctx.out);
      } catch (e) {
        // `mlsnap cat x | head` closes the pipe early: that is not an error.
        if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
      }
      return 0;
    }
    case 'restore': {
      const to = flags.to === undefined ? undefined : path.resolve(ctx.cwd, flags.to);
      const r = await c.call('version/restore', { root, ref: ref(args[0]), ...(to ? { to } : {}) });
      const saved = r.savedFirst
        ? `\nsaved the current contents first as ${r.savedFirst.path}@${r.savedFirst.seq}`
        : r.movedAside
          ? `\nthe current contents could not be recorded, so they were moved to ${r.movedAside}`
          : '';
      print(`restored ${r.restored.path}@${r.restored.seq} to ${r.path}${saved}`, r);
      return 0;
    }
    case 'env': {
      const env = await c.call('environment/get', { root, ref: ref(args[0]) });
      const format = flags.format ?? (flags.json ? 'json' : 'text');
      if (format === 'json') ctx.out.write(JSON.stringify(env, null, 2) + '\n');
      else if (format === 'requirements') ctx.out.write(toRequirements(env));
      else if (format === 'conda') ctx.out.write(toCondaYaml(env));
      else if (format === 'text') ctx.out.write(fmt.environmentBlock(env) + '\n');
      else throw new MlsnapError('bad-request', `--format must be json, requirements or conda, not ${format}`);
      return 0;
    }
    case 'diff': {
      const before = ref(args[0]);
      const after = args[1] === undefined ? undefined : ref(args[1]);
      const d = await c.call('diff/versions', {
        root,
        before,
        ...(after === undefined ? {} : { after }),
        showMetadata: flags.metadata === true,
        showExecutionCounts: flags['execution-counts'] === true,
        compareBytes: flags.bytes === true,
      });
      print(diffToText(d).trimEnd(), d);
      return 0;
    }
    case 'tag': {
      const v = await c.call('version/tag', { root, ref: ref(args[0]), name: need(args[1], 'a tag name') });
      print(`tagged ${v.path}@${v.seq} as ${v.tags.join(', ')}`, v);
      return 0;
    }
    case 'gc': {
      const keepLast = Number(need(flags['keep-last'], '--keep-last N'));
      const r = await c.call('store/gc', { root, keepLast, dryRun: flags['dry-run'] === true });
      print(fmt.gcBlock(r), r);
      return 0;
    }
    case 'check': {
      const r = await c.call('store/check', { root });
      print(fmt.checkBlock(r), r);
      return r.ok ? 0 : 10;
    }
    default:
      throw new MlsnapError('bad-request', `unknown command "${command}"; see \`mlsnap --help\``);
  }
}

async function daemonCommand(sub: string | undefined, flags: Flags, ctx: Context, print: (h: string, j: unknown) => void): Promise<number> {
  switch (sub) {
    case 'start': {
      const c = await DaemonClient.ensureRunning(ctx.home, ctx.daemonScript);
      print(`daemon running (pid ${c.pid})`, { running: true, pid: c.pid });
      return 0;
    }
    case 'status': {
      const c = await DaemonClient.connect(ctx.home);
      if (!c) {
        print('daemon not running; start it with `mlsnap daemon start`', { running: false });
        return 3;
      }
      const s = await c.call('daemon/status', {});
      print(`daemon running (pid ${s.pid}, version ${s.version}, since ${fmt.when(s.startedAt)})\n${s.projects.map(fmt.projectBlock).join('\n')}`, { running: true, ...s });
      return 0;
    }
    case 'stop': {
      const c = await DaemonClient.connect(ctx.home);
      if (!c) {
        print('daemon not running', { running: false });
        return 0;
      }
      await c.call('daemon/shutdown', {});
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && (isAlive(c.pid) || readDaemonFile(ctx.home) !== null)) await new Promise((r) => setTimeout(r, 50));
      if (isAlive(c.pid)) {
        throw new MlsnapError('daemon-unavailable', `the daemon (pid ${c.pid}) did not stop within 15 s; see ${path.join(ctx.home, 'daemon.log')}, or \`kill ${c.pid}\``);
      }
      print(`daemon stopped (pid ${c.pid})`, { running: false, pid: c.pid });
      return 0;
    }
    case 'run': {
      // Foreground: the daemon runs in this process until Ctrl-C.
      return runForeground(ctx.home, flags.project === undefined ? undefined : path.resolve(ctx.cwd, flags.project));
    }
    default:
      throw new MlsnapError('bad-request', 'usage: mlsnap daemon start|stop|status|run');
  }
}

function need(v: string | undefined, what: string): string {
  if (v === undefined || v === '') throw new MlsnapError('bad-request', `missing ${what}; see \`mlsnap --help\``);
  return v;
}

/** The nearest folder at or above `start` that holds an mlsnap store. */
export function findProjectRoot(start: string): string {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, '.mlsnap', 'config.json'))) return fs.realpathSync(dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new MlsnapError('not-initialized', `no mlsnap project in ${start} or above it; run \`mlsnap init\` in the project folder`, start);
    dir = parent;
  }
}

/** A path typed by the user (relative to cwd) as a project-relative posix path. */
export function toProjectPath(root: string, cwd: string, p: string): string {
  const abs = path.resolve(cwd, p);
  const real = resolveExistingPrefix(abs);
  const rel = path.relative(root, real);
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) throw new MlsnapError('bad-request', `${p} is outside the project ${root}`, p);
  return rel.split(path.sep).join('/');
}

/** realpath of the longest existing prefix, so /tmp → /private/tmp style links still match. */
function resolveExistingPrefix(abs: string): string {
  let head = abs;
  const tail: string[] = [];
  while (!fs.existsSync(head)) {
    const parent = path.dirname(head);
    if (parent === head) return abs;
    tail.unshift(path.basename(head));
    head = parent;
  }
  return path.join(fs.realpathSync(head), ...tail);
}

export function toProjectRef(root: string, cwd: string, r: string): string {
  let parsed;
  try {
    parsed = parseRef(r);
  } catch (e) {
    throw new MlsnapError('bad-request', (e as Error).message);
  }
  if (parsed.kind === 'snapshot') return r;
  const at = r.lastIndexOf('@');
  return `${toProjectPath(root, cwd, r.slice(0, at))}${r.slice(at)}`;
}
