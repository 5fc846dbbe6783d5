import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkAfterRestart, brief, readBackNew, type CheckContext } from './checks';
import { CliRunner, type OpKind } from './cliRunner';
import { defaultConfig } from '../../shared/src/domain';
import { FILES, writeTracked } from './content';
import { daemonsOf, killDaemons, recordedPort } from './daemons';
import { Ledger } from './ledger';
import { createRng, iterationSeed } from './prng';
import { runWorkPhase } from './workload';

export interface CampaignOptions {
  iterations: number;
  seed: number;
  /** Progress lines (one per iteration) and the summary. */
  print(line: string): void;
  /** Percent of the remote's data `remote check` hashes after each kill (all of it at the end). */
  remoteDataSubset?: number;
  /**
   * Called after each kill, before the restart and the checks, with the daemon dead: the
   * checks' own test damages the store here to see that they fail (checksCanFail.test.ts).
   */
  tamper?: (t: { root: string; ledger: Ledger; iteration: number }) => void;
}

export interface Failure {
  iteration: number;
  message: string;
}

export interface CampaignSummary {
  seed: number;
  iterations: number;
  kills: number;
  /** Kills that broke at least one call of that kind; `none`: the kill broke no call (the watcher, or idle). */
  killsDuring: Record<Phase, number>;
  /** Kills that came while at least one call of that kind was running (broken or not: the CLI may retry); `none`: no call was. */
  killsWhileRunning: Record<Phase, number>;
  /** Kills that found a blob write in flight (a file in the store's tmp/), whoever made it. */
  killsDuringBlobWrite: number;
  /** Versions `snapshot` acknowledged, and all versions acknowledged (with those `log` listed: the watcher's). */
  versionsBySnapshot: number;
  versionsAcknowledged: number;
  /** Acknowledged versions compared with the log, summed over every check. */
  versionsCompared: number;
  /** `mlsnap cat` read-backs of acknowledged versions. */
  versionsReadBack: number;
  gcRuns: number;
  pushesOk: number;
  /** Blob files no row named after a restart (a kill between a blob's write and its row's commit, or a gc's commit and its deletes), summed. */
  orphansAfterRestart: number;
  failures: Failure[];
  seconds: number;
  /** The folders of a failed campaign, kept for a look. */
  keptAt?: string;
}

/** Phases a kill is classified by: the kinds of call the work phase makes, or none of them. */
const PHASES = ['snapshot', 'push', 'gc', 'tag', 'none'] as const;
type Phase = (typeof PHASES)[number];

function isPhase(kind: OpKind): kind is OpKind & Phase {
  return (PHASES as readonly string[]).includes(kind);
}

/**
 * The crash campaign: one project with a folder remote, under its own MLSNAP_HOME; each
 * iteration runs snapshots, pushes, gc and the watcher at once, SIGKILLs the daemon at a
 * random moment, restarts it and checks everything acknowledged so far (see checks.ts).
 */
export async function runCampaign(opts: CampaignOptions): Promise<CampaignSummary> {
  const started = Date.now();
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mlsnap-soak-')));
  const dirs = { home: path.join(base, 'home'), root: path.join(base, 'project'), remote: path.join(base, 'remote') };
  fs.mkdirSync(dirs.root, { recursive: true });
  const env = { ...process.env, MLSNAP_HOME: dirs.home, MLSNAP_LOG_LEVEL: process.env.MLSNAP_LOG_LEVEL ?? 'warn' };
  const cli = new CliRunner(dirs.root, env);
  const ledger = new Ledger();
  const summary = emptySummary(opts);
  let iteration = -1;
  const fail = (message: string): void => {
    summary.failures.push({ iteration, message });
    opts.print(`  FAIL (seed ${opts.seed}, iteration ${iteration}): ${message}`);
  };
  try {
    await setUp(cli, dirs, ledger, opts.seed);
    for (iteration = 0; iteration < opts.iterations; iteration++) {
      await runIteration({ cli, dirs, ledger, summary, iteration, opts, fail });
    }
    iteration = opts.iterations;
    await finalChecks(
      { root: dirs.root, home: dirs.home, cli, ledger, iteration, remoteDataSubset: 100, fail },
      summary,
    );
  } catch (e) {
    fail(`the campaign stopped: ${(e as Error).stack ?? String(e)}`);
  } finally {
    await tearDown(cli, dirs.home);
  }
  summary.versionsAcknowledged = ledger.acked.size;
  summary.versionsBySnapshot = [...ledger.acked.values()].filter((v) => v.via === 'snapshot').length;
  summary.gcRuns = ledger.gcCount;
  summary.seconds = Math.round((Date.now() - started) / 1000);
  if (summary.failures.length > 0) summary.keptAt = base;
  else fs.rmSync(base, { recursive: true, force: true });
  return summary;
}

type Dirs = { home: string; root: string; remote: string };

/**
 * A quiet time before the watcher records a file (default 300 ms). Longer than a CLI call takes
 * to start, so most explicit snapshots record their files themselves (and acknowledge them);
 * files written without one are still recorded by the watcher on its own.
 */
const SETTLE_MS = 1500;

/** The project with every file written once, initialized (which starts the daemon) and given its remote. */
async function setUp(cli: CliRunner, dirs: Dirs, ledger: Ledger, seed: number): Promise<void> {
  const rng = createRng(seed);
  for (const rel of FILES) writeTracked(dirs.root, rel, rng, ledger);
  // init keeps a config.json it finds.
  fs.mkdirSync(path.join(dirs.root, '.mlsnap'));
  fs.writeFileSync(
    path.join(dirs.root, '.mlsnap', 'config.json'),
    JSON.stringify({ ...defaultConfig(), settleMs: SETTLE_MS }, null, 2),
  );
  for (const args of [
    ['init', '--json'],
    ['remote', 'add', 'team', path.join(dirs.remote, 'team'), '--create', '--json'],
  ]) {
    const r = await cli.run('other', args);
    if (r.status !== 0) throw new Error(`mlsnap ${args.join(' ')} exited ${r.status}: ${brief(r)}`);
  }
}

interface IterationContext {
  cli: CliRunner;
  dirs: Dirs;
  ledger: Ledger;
  summary: CampaignSummary;
  iteration: number;
  opts: CampaignOptions;
  fail(message: string): void;
}

async function runIteration(c: IterationContext): Promise<void> {
  const t0 = Date.now();
  const work = await runWorkPhase({
    root: c.dirs.root,
    cli: c.cli,
    ledger: c.ledger,
    rng: createRng(iterationSeed(c.opts.seed, c.iteration)),
    iteration: c.iteration,
    kill: async () => {
      // Blob writes stage in tmp/: files there at the kill mean one was in flight (the watcher's too).
      const staging = fs.readdirSync(path.join(c.dirs.root, '.mlsnap', 'tmp')).length > 0;
      if ((await killDaemons(c.dirs.home)).length === 0) return;
      c.summary.kills++;
      if (staging) c.summary.killsDuringBlobWrite++;
    },
    daemonPort: () => recordedPort(c.dirs.home),
    stagingDir: path.join(c.dirs.root, '.mlsnap', 'tmp'),
  });
  if (process.env.MLSNAP_SOAK_DEBUG === '1')
    for (const r of work.ops)
      c.opts.print(
        `  ${r.startedAt - t0}..${r.endedAt - t0} ms: ${r.args.join(' ')} -> ${r.status} ${r.status === 0 ? '' : brief(r)}`,
      );
  for (const r of work.unexpected) c.fail(`${r.args.join(' ')} exited ${r.status} before the kill: ${brief(r)}`);
  for (const kind of work.interrupted) if (isPhase(kind)) c.summary.killsDuring[kind]++;
  if (work.interrupted.size === 0) c.summary.killsDuring.none++;
  for (const kind of work.runningAtKill) if (isPhase(kind)) c.summary.killsWhileRunning[kind]++;
  if (![...work.runningAtKill].some(isPhase)) c.summary.killsWhileRunning.none++;
  c.summary.pushesOk += work.ops.filter((r) => r.kind === 'push' && r.status === 0).length;
  c.opts.tamper?.({ root: c.dirs.root, ledger: c.ledger, iteration: c.iteration });
  const t1 = Date.now();
  const checked = await checkAfterRestart(checkContext(c));
  c.summary.versionsCompared += checked.compared;
  c.summary.versionsReadBack += checked.readBack;
  c.summary.orphansAfterRestart += checked.orphans;
  const broke = [...work.interrupted].join('+') || 'no call';
  c.opts.print(
    `iteration ${c.iteration}: killed at ${work.killAt - t0} ms (aimed ${work.aim}, broke ${broke}); ${work.ops.length} calls, ` +
      `${c.ledger.acked.size} acknowledged, ${checked.compared} compared, ${checked.readBack} read back, ` +
      `${((t1 - t0) / 1000).toFixed(1)} s work + ${((Date.now() - t1) / 1000).toFixed(1)} s checks`,
  );
}

function checkContext(c: IterationContext): CheckContext {
  return {
    root: c.dirs.root,
    home: c.dirs.home,
    cli: c.cli,
    ledger: c.ledger,
    iteration: c.iteration,
    remoteDataSubset: c.opts.remoteDataSubset ?? 10,
    fail: c.fail,
  };
}

/** At the end: every acknowledged version that must exist read back once more, and all the remote's data hashed. */
async function finalChecks(ctx: CheckContext, summary: CampaignSummary): Promise<void> {
  summary.versionsReadBack += await readBackNew(ctx, 2, true);
  const r = await ctx.cli.run('check', ['remote', 'check', '--read-data-subset', '100', '--json']);
  if (r.status !== 0) ctx.fail(`the final remote check exited ${r.status}: ${brief(r)}`);
}

/** Stop the daemon (gracefully; killed if it will not go), so none outlives the campaign's folders. */
async function tearDown(cli: CliRunner, home: string): Promise<void> {
  await cli.run('other', ['daemon', 'stop']);
  if (daemonsOf(home).length > 0) await killDaemons(home);
}

function emptySummary(opts: CampaignOptions): CampaignSummary {
  return {
    seed: opts.seed,
    iterations: opts.iterations,
    kills: 0,
    killsDuring: Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>,
    killsWhileRunning: Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>,
    killsDuringBlobWrite: 0,
    versionsBySnapshot: 0,
    versionsAcknowledged: 0,
    versionsCompared: 0,
    versionsReadBack: 0,
    gcRuns: 0,
    pushesOk: 0,
    orphansAfterRestart: 0,
    failures: [],
    seconds: 0,
  };
}

/** The summary as printed by `npm run soak` and the short test. */
export function formatSummary(s: CampaignSummary): string {
  const tally = (counts: Record<Phase, number>): string =>
    PHASES.filter((p) => counts[p] > 0)
      .map((p) => `${p} ${counts[p]}`)
      .join(', ');
  const during = tally(s.killsDuring);
  const lines = [
    `soak: seed ${s.seed}, ${s.iterations} iterations in ${s.seconds} s`,
    `  kills: ${s.kills} (broke a call of: ${during || 'nothing'}; ${s.killsDuringBlobWrite} with a blob write in flight)`,
    `  kills while a call of this kind was running: ${tally(s.killsWhileRunning) || 'nothing'}`,
    `  versions: ${s.versionsAcknowledged} acknowledged (${s.versionsBySnapshot} by snapshot, the rest listed by log), ${s.versionsCompared} comparisons with the log, ${s.versionsReadBack} read back byte for byte`,
    `  gc runs started: ${s.gcRuns}; pushes completed: ${s.pushesOk}; blob files without a row after restarts: ${s.orphansAfterRestart} (all explained and swept, or listed below)`,
    `  failures: ${s.failures.length}`,
    ...s.failures.map((f) => `    iteration ${f.iteration}: ${f.message}`),
  ];
  if (s.failures.length > 0) {
    lines.push(
      `  reproduce: MLSNAP_SOAK_SEED=${s.seed} MLSNAP_SOAK_ITERATIONS=${Math.min(s.iterations, Math.max(...s.failures.map((f) => f.iteration)) + 1)} npm run soak`,
    );
    if (s.keptAt) lines.push(`  kept for a look: ${s.keptAt}`);
  }
  return lines.join('\n');
}
