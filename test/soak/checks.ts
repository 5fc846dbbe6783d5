import * as path from 'node:path';
import type { VersionInfo } from '../../shared/src/domain';
import type { CheckResult, RemoteCheckResult } from '../../shared/src/protocol';
import { CliRunner, type OpResult } from './cliRunner';
import { blake3 } from './content';
import { daemonsOf } from './daemons';
import type { AckedVersion, Ledger } from './ledger';
import { compareBlobFiles, type BlobFileReport } from './storeFiles';
import { acknowledge } from './workload';

export interface CheckContext {
  root: string;
  home: string;
  cli: CliRunner;
  ledger: Ledger;
  iteration: number;
  /** Percent of the remote's data objects `remote check` downloads and hashes. */
  remoteDataSubset: number;
  fail(message: string): void;
}

/** A keep-last no file reaches: the gc drops no version, only blobs nothing points at (and orphan files). */
const SWEEP_KEEP_LAST = 1_000_000_000;

/**
 * After a kill: restart, then every check the campaign makes. Returns how many acknowledged
 * versions were compared with the log, how many were read back through `mlsnap cat`, and how
 * many blob files no row named after the restart (each explained, then swept).
 */
export async function checkAfterRestart(
  ctx: CheckContext,
): Promise<{ compared: number; readBack: number; orphans: number }> {
  await restart(ctx);
  // None of these writes: side by side they overlap their CLIs' start-up. What must exist is
  // known only once the log was seen (it bounds what each gc could drop), so cat comes after.
  const [{ compared, readBack }] = await Promise.all([
    compareWithLog(ctx).then(async (n) => ({ compared: n, readBack: await readBackNew(ctx, 2) })),
    runChecks(ctx),
  ]);
  // Only a store with files no row names has anything to sweep (a CLI call saved otherwise).
  const orphans = checkBlobFiles(ctx, 'after the restart', false).filesWithoutRow.length;
  if (orphans > 0) await sweep(ctx);
  const daemons = daemonsOf(ctx.home);
  if (daemons.length !== 1)
    ctx.fail(`${daemons.length} daemons serve one home after the restart (pids ${daemons.join(', ')})`);
  return { compared, readBack, orphans };
}

/**
 * Any CLI call starts the daemon; `snapshot` also waits for the restart's rescan (it queues
 * behind it), so the store is idle when it returns, and what it records is acknowledged too.
 */
async function restart(ctx: CheckContext): Promise<void> {
  const r = await ctx.cli.run('snapshot', ['snapshot', '--json']);
  if (r.status !== 0) {
    ctx.fail(`the first snapshot after the restart exited ${r.status}: ${brief(r)}`);
    return;
  }
  acknowledge(ctx, r);
}

/** Every version the store lists, compared with what was acknowledged and with what was written. */
async function compareWithLog(ctx: CheckContext): Promise<number> {
  const r = await ctx.cli.run('other', ['log', '--limit', '1000000000', '--json']);
  const log = CliRunner.json<VersionInfo[]>(r);
  if (log === null) {
    ctx.fail(`log exited ${r.status}: ${brief(r)}`);
    return 0;
  }
  for (const v of log) ctx.ledger.see(v);
  const byUid = new Map(log.map((v) => [v.uid, v]));
  let compared = 0;
  for (const a of ctx.ledger.mustExist()) {
    compared++;
    const v = byUid.get(a.uid);
    if (v === undefined) reportOnce(ctx, a, 'is gone, and no gc started so far could have dropped it');
    else if (v.path !== a.path || v.seq !== a.seq || v.blob !== a.blob)
      reportOnce(ctx, a, `now reads ${v.path}@${v.seq} with blob ${v.blob.slice(0, 16)}`);
  }
  // Listed is committed: from now on the watcher's versions must survive kills as well.
  for (const v of log) {
    if (!ctx.ledger.wasWritten(v.path, v.blob))
      ctx.fail(`${v.path}@${v.seq} (${v.uid}, ${v.trigger}) holds bytes ${v.blob.slice(0, 16)} never written there`);
    ctx.ledger.acknowledge(v, ctx.iteration, 'log');
  }
  return compared;
}

/**
 * `mlsnap cat` of each version `snapshot` acknowledged and not read back yet, or with `all` of
 * every one that must exist (the others stay covered meanwhile: the log compares their blob
 * hash with the one written, and `check` rehashes every blob). `limit` calls at a time.
 */
export async function readBackNew(ctx: CheckContext, limit: number, all = false): Promise<number> {
  const todo = ctx.ledger.mustExist().filter((a) => all || (a.via === 'snapshot' && !a.readBack));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < todo.length) await readBack(ctx, todo[next++] as AckedVersion);
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return todo.length;
}

async function readBack(ctx: CheckContext, a: AckedVersion): Promise<void> {
  if (!ctx.ledger.wasWritten(a.path, a.blob)) {
    reportOnce(ctx, a, `was acknowledged with blob ${a.blob.slice(0, 16)}, which was never written there`);
    return;
  }
  const r = await ctx.cli.run('other', ['cat', a.uid]);
  if (r.status !== 0) reportOnce(ctx, a, `cannot be read: cat exited ${r.status}: ${brief(r)}`);
  else if (blake3(r.stdout) !== a.blob)
    reportOnce(ctx, a, `reads back ${r.stdout.length} bytes that are not the ones written`);
  else a.readBack = true;
}

/** `mlsnap check` of the store and `mlsnap remote check` of the folder remote, side by side. */
async function runChecks(ctx: CheckContext): Promise<void> {
  const [local, remote] = await Promise.all([
    ctx.cli.run('check', ['check', '--json']),
    ctx.cli.run('check', ['remote', 'check', '--read-data-subset', String(ctx.remoteDataSubset), '--json']),
  ]);
  const l = CliRunner.json<CheckResult>(local);
  if (l === null || !l.ok) ctx.fail(`check exited ${local.status}: ${brief(local)}`);
  const rc = CliRunner.json<RemoteCheckResult>(remote);
  if (rc === null || !rc.ok) ctx.fail(`remote check exited ${remote.status}: ${brief(remote)}`);
}

/**
 * The blob files against the rows. A row without its file is always a failure. Files no row
 * names are allowed right after a restart, when each is explained: content the campaign wrote
 * (a snapshot killed between storing a blob and committing its row) or a blob that had a row
 * (a gc killed between its commit and its deletes); after the sweep there must be none.
 */
function checkBlobFiles(ctx: CheckContext, when: string, strict: boolean): BlobFileReport {
  const report = compareBlobFiles(path.join(ctx.root, '.mlsnap'));
  for (const h of report.rowsWithoutFile) ctx.fail(`${when}: blob ${h.slice(0, 16)} has a row but no file (dangling)`);
  for (const f of report.strayFiles) ctx.fail(`${when}: unexpected file blobs/${f}`);
  for (const f of report.tempFiles) ctx.fail(`${when}: tmp/${f} was left by the daemon`);
  for (const h of report.filesWithoutRow) {
    const explained = ctx.ledger.wasWrittenAnywhere(h) || ctx.ledger.rowHashes.has(h);
    if (strict || !explained)
      ctx.fail(
        `${when}: blob file ${h.slice(0, 16)} has no row${explained ? '' : ' and holds no content ever written'}`,
      );
  }
  for (const h of report.rowHashes) ctx.ledger.rowHashes.add(h);
  return report;
}

/** gc frees what no row names (the design's answer to files left by a kill): after it, none may be left. */
async function sweep(ctx: CheckContext): Promise<void> {
  const r = await ctx.cli.run('other', ['gc', '--keep-last', String(SWEEP_KEEP_LAST), '--json']);
  if (r.status !== 0) {
    ctx.fail(`the sweeping gc exited ${r.status}: ${brief(r)}`);
    return;
  }
  checkBlobFiles(ctx, 'after the sweeping gc', true);
}

function reportOnce(ctx: CheckContext, a: AckedVersion, what: string): void {
  if (ctx.ledger.reported.has(a.uid)) return;
  ctx.ledger.reported.add(a.uid);
  ctx.fail(`acknowledged version ${a.path}@${a.seq} (${a.uid}, iteration ${a.iteration}) ${what}`);
}

/** The gist of a failed call, for a failure message. */
export function brief(r: OpResult): string {
  const text = (r.stderr.trim() || r.stdout.toString('utf8').trim()).replace(/\s+/g, ' ');
  return text.length > 400 ? `${text.slice(0, 400)}…` : text || '(no output)';
}
