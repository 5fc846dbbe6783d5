import { setTimeout as sleep } from 'node:timers/promises';
import type { SnapshotResult } from '../../shared/src/protocol';
import { CliRunner, type OpKind, type OpResult } from './cliRunner';
import { describePlan, killMoment, planKill } from './killPlan';
import { FILES, writeTracked } from './content';
import type { Ledger } from './ledger';
import { createRng, type Rng } from './prng';

/** What one iteration's work phase did before and around its kill. */
export interface WorkOutcome {
  ops: OpResult[];
  /** How the kill was aimed, for the progress line. */
  aim: string;
  killAt: number;
  /** Kinds of the CLI calls running at the kill. */
  runningAtKill: Set<OpKind>;
  /** Kinds of the calls the kill broke (in flight at the kill, non-zero exit). */
  interrupted: Set<OpKind>;
  /** Calls that failed on their own, before any kill: each is a finding. */
  unexpected: OpResult[];
}

export interface WorkContext {
  root: string;
  cli: CliRunner;
  ledger: Ledger;
  rng: Rng;
  iteration: number;
  /** SIGKILLs the daemon(s); resolves once they are gone. */
  kill(): Promise<void>;
  /** The running daemon's API port, to tell when a call has reached it. */
  daemonPort(): number | null;
  /** The store's tmp/ (blob writes stage there). */
  stagingDir: string;
}

/**
 * Start everything at once — writes and `snapshot` calls, writes left to the watcher, `push`,
 * sometimes `gc --keep-last K` and a `tag` — and SIGKILL the daemon at a random moment
 * among them. Actors start nothing after the kill; the calls already running finish (or fail)
 * on their own, and only then is the store looked at.
 */
export async function runWorkPhase(ctx: WorkContext): Promise<WorkOutcome> {
  const stop = { now: false };
  const ops: OpResult[] = [];
  const record = (r: OpResult): OpResult => (ops.push(r), r);
  // Drawn up front, in a fixed order, and each actor draws from its own generator: the plan
  // depends on the seed, not on how the actors' turns interleave.
  const gc = ctx.rng.chance(0.35) ? { delay: ctx.rng.int(0, 3000), keepLast: ctx.rng.int(1, 4) } : null;
  const plan = {
    kill: planKill(ctx.rng, gc !== null),
    editor: createRng(ctx.rng.int(0, 0xffffffff)),
    pushDelay: ctx.rng.int(0, 2000),
    pushAgain: ctx.rng.chance(0.3),
    tag: ctx.rng.chance(0.3) ? { delay: ctx.rng.int(0, 3000), rng: createRng(ctx.rng.int(0, 0xffffffff)) } : null,
  };
  const moment = killMoment(ctx, plan.kill);
  const actors = [
    editor({ ...ctx, rng: plan.editor }, stop, record),
    pusher(ctx, stop, record, plan.pushDelay, plan.pushAgain),
    ...(gc ? [collector(ctx, stop, record, gc.delay, gc.keepLast)] : []),
    ...(plan.tag ? [tagger({ ...ctx, rng: plan.tag.rng }, stop, record, plan.tag.delay)] : []),
  ];
  await moment;
  stop.now = true;
  const killAt = Date.now();
  const runningAtKill = ctx.cli.running();
  await ctx.kill();
  await Promise.all(actors);
  const inFlight = (r: OpResult): boolean => r.startedAt <= killAt && r.endedAt >= killAt;
  return {
    ops,
    aim: describePlan(plan.kill),
    killAt,
    runningAtKill,
    interrupted: new Set(ops.filter((r) => inFlight(r) && r.status !== 0).map((r) => r.kind)),
    unexpected: ops.filter((r) => r.status !== 0 && r.endedAt < killAt && !taggedAwayByGc(r, ops)),
  };
}

/** A tag of a version this iteration's gc dropped first finds nothing to tag (exit 3): the ledger could not know yet. */
function taggedAwayByGc(r: OpResult, ops: readonly OpResult[]): boolean {
  return r.kind === 'tag' && r.status === 3 && ops.some((o) => o.kind === 'gc' && o.startedAt <= r.endedAt);
}

type Stop = { now: boolean };
type Recorder = (r: OpResult) => OpResult;

/**
 * Writes one to three files at a time; most rounds end with `snapshot` (of those files, or of
 * the whole project, sometimes with a message), the others leave the files to the watcher.
 */
async function editor(ctx: WorkContext, stop: Stop, record: Recorder): Promise<void> {
  while (!stop.now) {
    const count = ctx.rng.int(1, 3);
    const paths = [...new Set(Array.from({ length: count }, () => ctx.rng.pick(FILES)))];
    for (const rel of paths) writeTracked(ctx.root, rel, ctx.rng, ctx.ledger);
    if (!ctx.rng.chance(0.7)) {
      await sleep(ctx.rng.int(50, 700));
      continue;
    }
    const args = ['snapshot', ...(ctx.rng.chance(0.3) ? [] : paths), '--json'];
    if (ctx.rng.chance(0.2)) args.push('-m', `soak iteration ${ctx.iteration}`);
    const r = record(await ctx.cli.run('snapshot', args));
    acknowledge(ctx, r);
  }
}

/** Every version a `snapshot` exit 0 listed is acknowledged. */
export function acknowledge(ctx: Pick<WorkContext, 'ledger' | 'iteration'>, r: OpResult): void {
  const result = CliRunner.json<SnapshotResult>(r);
  for (const v of result?.snapshot?.versions ?? []) ctx.ledger.acknowledge(v, ctx.iteration, 'snapshot');
}

async function pusher(ctx: WorkContext, stop: Stop, record: Recorder, delay: number, again: boolean): Promise<void> {
  for (let round = 0; round < (again ? 2 : 1); round++) {
    await sleep(delay);
    if (stop.now) return;
    record(await ctx.cli.run('push', ['push', '--json']));
  }
}

/** A gc counts from the moment it starts: killed or not, it may have committed. */
async function collector(
  ctx: WorkContext,
  stop: Stop,
  record: Recorder,
  delay: number,
  keepLast: number,
): Promise<void> {
  await sleep(delay);
  if (stop.now) return;
  const r = record(await ctx.cli.run('gc', ['gc', '--keep-last', String(keepLast), '--json']));
  ctx.ledger.gcStarted(keepLast, r.startedAt, r.endedAt);
}

/** Tags one acknowledged version (a confirmed tag protects it from every later gc). */
async function tagger(ctx: WorkContext, stop: Stop, record: Recorder, delay: number): Promise<void> {
  await sleep(delay);
  const candidates = ctx.ledger.mustExist();
  if (stop.now || candidates.length === 0) return;
  const v = ctx.rng.pick(candidates);
  const r = record(await ctx.cli.run('tag', ['tag', v.uid, `soak-${ctx.iteration}`, '--json']));
  if (r.status === 0) ctx.ledger.tagConfirmed(v.uid, r.endedAt);
}
