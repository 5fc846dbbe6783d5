import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openProject } from '../support/project';
import { makeFigure, type Figure } from './report';
import { assert, fmtMs, median, progress, sh, syncAll } from './util';

/**
 * The tools users would pick instead, timed on the same files in the same run: `git add -A &&
 * git commit`, the same with git-lfs tracking the files, `restic backup` and `borg create`,
 * each followed by `sync` (as mlsnap's side is) so every side pays for its own writeback.
 * mlsnap's side is a manual snapshot of every file through the real pipeline (Project, with
 * the watcher and environment capture) on a fresh store.
 */
export type Peer = 'git' | 'git-lfs' | 'restic' | 'borg';
export const PEERS: readonly Peer[] = ['git', 'git-lfs', 'restic', 'borg'];

const APT = 'apt-get install -y git git-lfs restic borgbackup';
const PEER_BINARIES: Record<Peer, string> = { git: 'git', 'git-lfs': 'git-lfs', restic: 'restic', borg: 'borg' };

function have(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
}

/** Install the peers with apt-get on first use when root; else say exactly what to install. */
export function ensurePeers(): void {
  const missing = PEERS.filter((p) => !have(PEER_BINARIES[p]));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0)
    throw new Error(`the peer tools ${missing.join(', ')} are missing; install them with \`sudo ${APT}\``);
  progress(`installing ${missing.join(', ')} (${APT})…`);
  const r = spawnSync('sh', ['-c', `DEBIAN_FRONTEND=noninteractive ${APT}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`\`${APT}\` failed: ${r.stderr.trim().slice(-500)}`);
}

const PEER_ENV = {
  ...process.env,
  RESTIC_PASSWORD: 'mlsnap-bench',
  BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK: 'yes',
  BORG_RELOCATED_REPO_ACCESS_IS_OK: 'yes',
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@example.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@example.invalid',
};

function run(cmd: string, cwd: string): void {
  const r = spawnSync('sh', ['-c', cmd], { cwd, env: PEER_ENV, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0)
    throw new Error(`\`${cmd}\` in ${cwd} exited ${String(r.status)}: ${r.stderr.trim().slice(-500)}`);
}

/** Set up (untimed) and return the timed command of one peer recording `work` for the first time. */
function peerCommand(peer: Peer, work: string, repo: string, patterns: readonly string[]): string {
  switch (peer) {
    case 'git':
      run('git init -q', work);
      return 'git add -A && git commit -q -m first && sync';
    case 'git-lfs':
      run('git init -q && git lfs install --local >/dev/null', work);
      for (const p of patterns) run(`git lfs track '${p}' >/dev/null`, work);
      run('git add .gitattributes && git commit -q -m lfs', work);
      return 'git add -A && git commit -q -m first && sync';
    case 'restic':
      run(`restic init -q --repo '${repo}'`, work);
      return `restic -q --repo '${repo}' backup . && sync`;
    case 'borg':
      run(`borg init -e none '${repo}'`, work);
      return `borg create '${repo}::first' . && sync`;
  }
}

/** One timed first record by a peer of a copy of `src` (hard links: no copy cost, same bytes). */
function timePeer(peer: Peer, src: string, scratch: string, patterns: readonly string[]): number {
  const work = path.join(scratch, `${peer}-work`);
  const repo = path.join(scratch, `${peer}-repo`);
  sh(`cp -al '${src}' '${work}'`);
  syncAll();
  try {
    const cmd = peerCommand(peer, work, repo, patterns);
    syncAll();
    const t0 = performance.now();
    run(cmd, work);
    return performance.now() - t0;
  } finally {
    removeTree(work);
    removeTree(repo);
    syncAll();
  }
}

/** `rm -rf`, retried: git-lfs may still be closing files under .git when git returns (ENOTEMPTY seen). */
function removeTree(dir: string): void {
  for (let attempt = 1; ; attempt++) {
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      return;
    } catch (e) {
      if (attempt >= 5) throw e;
      spawnSync('sleep', ['1']);
    }
  }
}

function listFiles(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...listFiles(root, r));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/** mlsnap's first record of a copy of `src`: a fresh project, one warm-up file, then one snapshot of every file + sync. */
async function timeMlsnap(src: string, scratch: string): Promise<number> {
  const work = path.join(scratch, 'mlsnap-work');
  sh(`cp -al '${src}' '${work}'`);
  const rels = listFiles(work);
  fs.writeFileSync(path.join(work, 'warmup.bin'), Buffer.from('warm'));
  // Nothing is tracked by pattern: neither the first scan nor the watcher may take the files first.
  const project = await openProject(work, { settleMs: 100, include: ['**/*.bench-untracked'] });
  try {
    await project.snapshot(['warmup.bin'], 'manual', null);
    syncAll();
    const t0 = performance.now();
    const r = await project.snapshot(rels, 'manual', null);
    syncAll();
    const ms = performance.now() - t0;
    const recorded = project.info().versions - 1;
    assert(
      recorded === rels.length,
      `mlsnap recorded ${recorded} of ${rels.length} files (${r.skipped.length} skipped)`,
    );
    return ms;
  } finally {
    await project.close();
    removeTree(work);
    syncAll();
  }
}

export interface PeerRun {
  id: string;
  what: string;
  /** The files to record, already written. */
  src: string;
  scratch: string;
  runs: number;
  /** Patterns git-lfs tracks. */
  lfsPatterns: readonly string[];
  /** Target ratio of mlsnap to each peer. */
  limits: Readonly<Record<Peer, number>>;
}

/** Every side `runs` times in rotating order; one figure per peer: mlsnap's median over the peer's. */
export async function measureAgainstPeers(o: PeerRun): Promise<Figure[]> {
  ensurePeers();
  fs.mkdirSync(o.scratch, { recursive: true });
  const sides = ['mlsnap', ...PEERS] as const;
  const samples = new Map<string, number[]>(sides.map((s) => [s, []]));
  for (let i = 0; i < o.runs; i++) {
    const order = [...sides.slice(i % sides.length), ...sides.slice(0, i % sides.length)];
    for (const side of order) {
      const ms =
        side === 'mlsnap' ? await timeMlsnap(o.src, o.scratch) : timePeer(side, o.src, o.scratch, o.lfsPatterns);
      samples.get(side)?.push(ms);
      progress(`  run ${i + 1}/${o.runs} ${side}: ${fmtMs(ms)}`);
    }
  }
  const ours = median(samples.get('mlsnap') ?? []);
  return PEERS.map((peer, k) =>
    makeFigure({
      id: `${o.id}${'abcd'[k] ?? ''}`,
      name: `first record of ${o.what}: mlsnap vs ${peer}`,
      method: `median of ${o.runs} rotating runs; mlsnap: Project.snapshot of every file on a fresh store (real pipeline, environment capture) + sync; ${peer}: ${peerLabel(peer)} + sync`,
      value: ours,
      baseline: median(samples.get(peer) ?? []),
      baselineLabel: peerLabel(peer),
      unit: 'ms',
      target: { kind: 'ratio', limit: o.limits[peer] },
      details: Object.fromEntries(samples),
      notes: [],
    }),
  );
}

function peerLabel(peer: Peer): string {
  switch (peer) {
    case 'git':
      return '`git add -A && git commit`';
    case 'git-lfs':
      return '`git add -A && git commit` with git-lfs tracking the files';
    case 'restic':
      return '`restic backup`';
    case 'borg':
      return '`borg create` (unencrypted)';
  }
}

/** `count` distinct incompressible files of `size` bytes under ckpt/run<k>/ (100 per folder), as checkpoint folders are. */
export function writeCheckpointTree(root: string, count: number, size: number, seed: number): void {
  for (let i = 0; i < count; i++) {
    const dir = path.join(root, 'ckpt', `run${Math.floor(i / 100)}`);
    if (i % 100 === 0) fs.mkdirSync(dir, { recursive: true });
    const b = Buffer.allocUnsafe(size);
    let x = (seed * 0x9e3779b1 + i * 0x85ebca6b) >>> 0 || 1;
    for (let j = 0; j + 4 <= size; j += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      b.writeUInt32LE(x >>> 0, j);
    }
    fs.writeFileSync(path.join(dir, `step${i}.pt`), b);
  }
}
