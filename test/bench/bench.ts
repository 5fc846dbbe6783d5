/**
 * `npm run bench`: the performance figures of the issue, each against a baseline measured in
 * the same run on the same machine. Prints every figure as it is measured, then a summary
 * table, also written to test-output/bench.json. Exits 0 when figures miss their targets (it
 * is a report) and 1 when a measurement itself crashed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeRandomFile } from '../support/tmp';
import { killDaemonSync, measureDaemonRss, type DaemonProcess } from './daemonRss';
import { measureRuns } from './runs';
import { measureNotebookDiff, measureSafetensorsHeaderDiff } from './diffs';
import { measureNewFile } from './newFile';
import { measureAgainstPeers, writeCheckpointTree } from './peers';
import { measureLineDiff } from './lineDiff';
import { measureNotebookLatency } from './notebookLatency';
import { printFailure, printFigure, printSummary, writeJson, type FailedFigure, type Figure } from './report';
import {
  killRemoteBenchSync,
  measureClone,
  measurePushNewFile,
  measurePushNothingNew,
  measurePushSmallFiles,
  startRemoteBench,
  stopRemoteBench,
  type RemoteBench,
} from './remotes';
import { buildTree, measureResnapshot, UNTRACKED_DIR } from './resnapshot';
import { canDropCaches, fmtMs, fmtSize, freeBytes, GiB, progress, sleep, syncAll, timed } from './util';

/** MLSNAP_BENCH_QUICK=1: a smoke run at a fraction of the sizes (figures not comparable to the targets). */
const QUICK = process.env['MLSNAP_BENCH_QUICK'] === '1';
const TRACKED_FILES = QUICK ? 2_000 : 20_000;
const TOTAL_FILES = QUICK ? 5_000 : 50_000;
const NEW_FILE_SIZE = QUICK ? 64 << 20 : GiB;
/** The remote figures (R1-R4), against one moto S3 server. */
const REMOTE_NEW_FILE_SIZE = QUICK ? 64 << 20 : GiB;
const REMOTE_SMALL_VERSIONS = QUICK ? 300 : 2_000;
const REMOTE_NOTHING_NEW_VERSIONS = QUICK ? 1_000 : 10_000;

/**
 * MLSNAP_BENCH_ONLY=local: only the local figures (1-11); =runs: only 7-8; =peers: only 9-11 (git,
 * git-lfs, restic, borg on the same files); =remotes: only the remote ones
 * (R1-R4, which need python3 -m moto.server and the AWS CLI); =R1,R3: only those remote
 * figures (R4 clones what R2 pushed, so R4 runs R2 too). Unset: everything.
 */
const ONLY = process.env['MLSNAP_BENCH_ONLY'] ?? '';
const REMOTE_IDS = ['R1', 'R2', 'R3', 'R4'];
const ONLY_IDS = ONLY.split(',')
  .map((s) => s.trim().toUpperCase())
  .filter((s) => s !== '');
if (!['', 'local', 'remotes', 'runs', 'peers'].includes(ONLY) && !ONLY_IDS.every((id) => REMOTE_IDS.includes(id))) {
  process.stderr.write(`MLSNAP_BENCH_ONLY is local, remotes or a list of ${REMOTE_IDS.join(',')}, not ${ONLY}\n`);
  process.exit(2);
}
const RUN_LOCAL = ONLY === '' || ONLY === 'local';
const RUN_RUNS = ONLY === '' || ONLY === 'local' || ONLY === 'runs';
const RUN_PEERS = ONLY === '' || ONLY === 'local' || ONLY === 'peers';
const wantRemote = (id: string): boolean =>
  ONLY === '' || ONLY === 'remotes' || ONLY_IDS.includes(id) || (id === 'R2' && ONLY_IDS.includes('R4'));
const RUN_REMOTES = REMOTE_IDS.some(wantRemote);

/** dist/ when bundled (dist/bench.js); the repository is its parent. */
const REPO = path.basename(__dirname) === 'dist' ? path.resolve(__dirname, '..') : path.resolve(__dirname, '..', '..');

/** Bench data lives on the main disk: os.tmpdir() when it is the repository's file system, else .cache/bench. */
function benchBase(): { base: string; note: string } {
  const tmp = os.tmpdir();
  if (fs.statSync(tmp).dev === fs.statSync(REPO).dev)
    return { base: tmp, note: `${tmp} (same file system as ${REPO})` };
  const base = path.join(REPO, '.cache', 'bench');
  fs.mkdirSync(base, { recursive: true });
  return { base, note: `${base} (${tmp} is another file system)` };
}

type Attempt = (id: string, name: string, fn: () => Promise<Figure | Figure[]>) => Promise<void>;

/**
 * Figures 9-11: first records timed against git, git-lfs, restic and borg on the same files:
 * 5,000 and 20,000 new 4 KiB checkpoint files (target: ≤ 2× git, the fastest), and a new
 * 1 GiB model file (where mlsnap was already ahead of all of them).
 */
async function peerFigures(dir: string, attempt: Attempt): Promise<void> {
  const small = QUICK ? [500, 2_000] : [5_000, 20_000];
  // The target is git (≤ 2×). restic and borg pack small files into a few large pack
  // files, one write each; mlsnap keeps one file per blob (any tool can read it): within 4×.
  const limits = { git: 2, 'git-lfs': 2, restic: 4, borg: 4 };
  for (const [i, count] of small.entries()) {
    const id = String(9 + i);
    const src = path.join(dir, `peers-${count}`, 'src');
    progress(`writing ${count.toLocaleString('en')} new 4 KiB checkpoint files…`);
    writeCheckpointTree(src, count, 4096, count);
    syncAll();
    await attempt(
      id,
      `first record of ${count.toLocaleString('en')} new 4 KiB files vs git, git-lfs, restic, borg`,
      () =>
        measureAgainstPeers({
          id,
          what: `${count.toLocaleString('en')} new 4 KiB files`,
          src,
          scratch: path.join(dir, `peers-${count}`, 'scratch'),
          runs: count > 10_000 ? 2 : 3,
          lfsPatterns: ['*.pt'],
          limits,
        }),
    );
    fs.rmSync(path.join(dir, `peers-${count}`), { recursive: true, force: true });
  }
  const src = path.join(dir, 'peers-gib', 'src');
  fs.mkdirSync(src, { recursive: true });
  writeRandomFile(path.join(src, 'model.safetensors'), NEW_FILE_SIZE, 13);
  syncAll();
  await attempt('11', `first record of a new ${fmtSize(NEW_FILE_SIZE)} file vs git, git-lfs, restic, borg`, () =>
    measureAgainstPeers({
      id: '11',
      what: `a new ${fmtSize(NEW_FILE_SIZE)} model file`,
      src,
      scratch: path.join(dir, 'peers-gib', 'scratch'),
      runs: 3,
      lfsPatterns: ['*.safetensors'],
      limits,
    }),
  );
  fs.rmSync(path.join(dir, 'peers-gib'), { recursive: true, force: true });
}

async function main(): Promise<number> {
  const figures: Figure[] = [];
  const failures: FailedFigure[] = [];
  const startedAt = new Date().toISOString();
  const { base, note: baseNote } = benchBase();
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(base, 'mlsnap-bench-')));
  let daemon: DaemonProcess | null = null;
  let remote: RemoteBench | null = null;
  let cleaned = false;
  const cleanup = (): void => {
    if (cleaned) return;
    cleaned = true;
    killDaemonSync(daemon);
    killRemoteBenchSync(remote);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stdout.write(`\n${sig}: stopping the daemon and removing ${dir}\n`);
      cleanup();
      process.exit(130);
    });
  }

  const attempt = async (id: string, name: string, fn: () => Promise<Figure | Figure[]>): Promise<void> => {
    progress(`figure ${id}: ${name}`);
    try {
      const r = await fn();
      for (const f of Array.isArray(r) ? r : [r]) {
        figures.push(f);
        printFigure(f);
      }
    } catch (e) {
      const failure = { id, name, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
      failures.push(failure);
      printFailure(failure);
    }
  };

  const free = freeBytes(dir);
  const drop = canDropCaches();
  const bigSize = QUICK ? 2 * NEW_FILE_SIZE : free > 20 * GiB ? 5 * GiB : 2 * GiB;
  const bigNote =
    bigSize === 5 * GiB || QUICK
      ? null
      : `only ${(free / GiB).toFixed(1)} GiB free: phase (b) used a 2 GiB file instead of 5 GiB`;
  progress(
    `mlsnap bench: node ${process.version}, ${os.cpus().length} cores, data in ${dir} (under ${baseNote}), ${(free / GiB).toFixed(1)} GiB free`,
  );
  if (QUICK)
    progress('QUICK smoke run (MLSNAP_BENCH_QUICK=1): sizes are reduced, figures are not comparable to the targets');
  progress(`page cache ${drop ? 'can' : 'cannot'} be dropped (echo 3 > /proc/sys/vm/drop_caches)`);

  try {
    if (RUN_LOCAL) {
      // Figure 1: a new 1 GiB incompressible file.
      const gibFile = path.join(dir, 'src', 'model.safetensors');
      fs.mkdirSync(path.dirname(gibFile), { recursive: true });
      progress(`writing a ${fmtSize(NEW_FILE_SIZE)} incompressible .safetensors…`);
      writeRandomFile(gibFile, NEW_FILE_SIZE, 7);
      syncAll();
      // The disk here is bursty (one 1 GiB copy takes 0.5 s or 1.5 s): 5 rotating runs, not 3.
      const runs = 5;
      if (drop) {
        await attempt('1', `new ${fmtSize(NEW_FILE_SIZE)} file vs cp + sync, cold page cache`, () =>
          measureNewFile({
            id: '1',
            src: gibFile,
            workDir: path.join(dir, 'f1'),
            cache: 'cold',
            runs,
            size: NEW_FILE_SIZE,
          }),
        );
      }
      await attempt(drop ? '1b' : '1', `new ${fmtSize(NEW_FILE_SIZE)} file vs cp + sync, warm page cache`, () =>
        measureNewFile({
          id: drop ? '1b' : '1',
          src: gibFile,
          workDir: path.join(dir, 'f1'),
          cache: 'warm',
          runs,
          size: NEW_FILE_SIZE,
        }),
      );

      // The 50,000-file tree for figure 4, whose 20,000 tracked files figure 2 then re-snapshots.
      const tree = path.join(dir, 'tree');
      progress(
        `writing ${TOTAL_FILES.toLocaleString('en')} files (${TRACKED_FILES.toLocaleString('en')} tracked metrics*.json, the rest untracked .png)…`,
      );
      const built = await timed(() => buildTree(tree, TRACKED_FILES, TOTAL_FILES - TRACKED_FILES));
      fs.mkdirSync(path.join(tree, 'models'));
      progress(`  written in ${fmtMs(built.ms)}`);
      const bigFile = path.join(dir, 'big', `weights-${fmtSize(bigSize).replace(' ', '')}.safetensors`);
      fs.mkdirSync(path.dirname(bigFile), { recursive: true });
      progress(`writing a ${fmtSize(bigSize)} incompressible .safetensors (outside the project until phase b)…`);
      writeRandomFile(bigFile, bigSize, 11);
      syncAll();
      await sleep(1200); // past the racy window of every file

      let initMs: number | null = null;
      await attempt('4', 'peak daemon RSS', () =>
        measureDaemonRss({
          daemonJs: path.join(REPO, 'dist', 'daemon.js'),
          home: path.join(dir, 'home'),
          root: tree,
          totalFiles: TOTAL_FILES,
          trackedFiles: TRACKED_FILES,
          bigFile,
          bigSize,
          bigNote,
          gibFile,
          gibSize: NEW_FILE_SIZE,
          onStarted: (d) => (daemon = d),
          onInitDone: (ms) => (initMs = ms),
        }),
      );
      daemon = null;

      // Figure 2 on the pure 20,000-file tree (the daemon's store already holds their fingerprints).
      progress('removing the untracked files and big models from the tree…');
      for (const sub of [UNTRACKED_DIR, 'models']) fs.rmSync(path.join(tree, sub), { recursive: true, force: true });
      fs.rmSync(bigFile, { force: true });
      syncAll();
      const initialNote =
        initMs !== null
          ? `the untimed initial snapshot of the ${TRACKED_FILES.toLocaleString('en')} files was done by the daemon in figure 4 (a): ${fmtMs(initMs)}`
          : `the daemon did not finish the initial snapshot: the open below includes it`;
      await attempt('2', `re-snapshot of ${TRACKED_FILES.toLocaleString('en')} unchanged files`, () =>
        measureResnapshot({ root: tree, expectedFiles: TRACKED_FILES, runs: 5, initialNote }),
      );
      fs.rmSync(path.join(dir, 'tree'), { recursive: true, force: true });
      fs.rmSync(path.join(dir, 'src'), { recursive: true, force: true });

      await attempt('3', 'notebook write → committed version latency', () =>
        measureNotebookLatency({
          root: path.join(dir, 'nb'),
          iterations: QUICK ? 10 : 50,
          settleMs: 100,
          bytes: 1_000_000,
        }),
      );
      await attempt('5', 'notebook diff of two 20 MB notebooks', () => measureNotebookDiff({ runs: QUICK ? 2 : 5 }));
      await attempt('12', 'line diff: ours vs the diff package', () =>
        Promise.resolve(measureLineDiff({ samples: QUICK ? 3 : 7 })),
      );
      await attempt('6', 'safetensors diff from headers only', () =>
        measureSafetensorsHeaderDiff({ dir: path.join(dir, 'st'), size: GiB }),
      );
    }

    if (RUN_RUNS) {
      await attempt('7', 'runs table and chart data', () =>
        measureRuns({
          dir: path.join(dir, 'runs'),
          runs: QUICK ? 100 : 1_000,
          metrics: 50,
          steps: QUICK ? 1_000 : 10_000,
          samples: QUICK ? 3 : 7,
        }),
      );
    }

    if (RUN_PEERS) await peerFigures(dir, attempt);

    if (RUN_REMOTES) {
      progress('remote figures: starting moto (python3 -m moto.server)…');
      try {
        remote = await startRemoteBench({ dir: path.join(dir, 'remotes'), repo: REPO });
      } catch (e) {
        failures.push({
          id: 'R',
          name: 'remote figures setup (moto, aws)',
          error: e instanceof Error ? (e.stack ?? e.message) : String(e),
        });
        printFailure(failures[failures.length - 1] as FailedFigure);
      }
      const rb = remote;
      if (rb !== null) {
        try {
          if (wantRemote('R1'))
            await attempt('R1', `push of a new ${fmtSize(REMOTE_NEW_FILE_SIZE)} file vs aws s3 cp (moto)`, () =>
              measurePushNewFile(rb, { id: 'R1', size: REMOTE_NEW_FILE_SIZE, runs: 3 }),
            );
          if (wantRemote('R2'))
            await attempt(
              'R2',
              `push of ${REMOTE_SMALL_VERSIONS.toLocaleString('en')} small versions vs aws s3 sync (moto)`,
              () => measurePushSmallFiles(rb, { id: 'R2', count: REMOTE_SMALL_VERSIONS, runs: 3 }),
            );
          if (wantRemote('R3'))
            await attempt(
              'R3',
              `push with nothing new, ${REMOTE_NOTHING_NEW_VERSIONS.toLocaleString('en')} versions (moto)`,
              () => measurePushNothingNew(rb, { id: 'R3', count: REMOTE_NOTHING_NEW_VERSIONS, runs: 5 }),
            );
          if (wantRemote('R4'))
            await attempt('R4', 'clone of the small-versions project vs aws s3 sync down (moto)', () =>
              measureClone(rb, { id: 'R4', runs: 3 }),
            );
        } finally {
          progress('stopping the daemon of the remote figures and moto…');
          await stopRemoteBench(rb);
          remote = null;
        }
      }
    }
  } catch (e) {
    failures.push({ id: 'setup', name: 'bench setup', error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    printFailure(failures[failures.length - 1] as FailedFigure);
  } finally {
    progress(`removing ${dir}…`);
    cleanup();
  }

  printSummary(figures, failures);
  const out = path.join(REPO, 'test-output', 'bench.json');
  writeJson(out, {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      node: process.version,
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      kernel: os.release(),
      memoryBytes: os.totalmem(),
    },
    dataDir: baseNote,
    pageCacheDroppable: drop,
    quick: QUICK,
    only: ONLY === '' ? 'all' : ONLY,
    figures,
    failures,
  });
  progress(`wrote ${path.relative(REPO, out)}`);
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
