import * as fs from 'node:fs';
import * as path from 'node:path';
import { openProject } from '../support/project';
import { makeFigure, type Figure } from './report';
import { assert, bareStatWalk, fmtMs, gc, median, progress, sleep, timed } from './util';

/** Folder (under the tree root) holding the tracked metrics files. */
export const TRACKED_DIR = 'runs';
/** Folder holding untracked data files (only while the daemon's 50,000-file project needs them). */
export const UNTRACKED_DIR = 'data';

/**
 * `tracked` small, distinct metrics*.json files in runs/g<NN>/exp<N>/ (100 per folder), and
 * `untracked` small .png files in data/shard<NN>/part<N>/ that the default include patterns skip.
 */
export function buildTree(root: string, tracked: number, untracked: number): void {
  const write = (dir: string, count: number, name: (i: number) => string, body: (n: number) => string): void => {
    for (let n = 0; n < count; n++) {
      const leaf = Math.floor(n / 100);
      const folder = path.join(root, dir, `g${String(Math.floor(leaf / 10)).padStart(2, '0')}`, `d${leaf % 10}`);
      if (n % 100 === 0) fs.mkdirSync(folder, { recursive: true });
      fs.writeFileSync(path.join(folder, name(n % 100)), body(n));
    }
  };
  write(
    TRACKED_DIR,
    tracked,
    (i) => `metrics-${i}.json`,
    (n) =>
      JSON.stringify({
        run: n,
        epoch: n % 97,
        loss: 1 / (1 + (n % 1013)),
        accuracy: ((n * 7919) % 10007) / 10007,
        lr: 3e-4,
        notes: 'x'.repeat(n % 200),
      }),
  );
  const png = Buffer.alloc(512);
  write(
    UNTRACKED_DIR,
    untracked,
    (i) => `img-${i}.png`,
    (n) => {
      png.writeUInt32LE(n, 0);
      return png.toString('latin1');
    },
  );
}

/**
 * Re-snapshot of an unchanged tree (all tracked files, nothing changed, nothing recorded)
 * against a bare readdir + statSync walk of the same tree (skipping .mlsnap, as the project does).
 */
export async function measureResnapshot(opts: {
  root: string;
  expectedFiles: number;
  runs: number;
  initialNote: string;
}): Promise<Figure> {
  const notes = [opts.initialNote];
  progress(`opening the ${opts.expectedFiles.toLocaleString('en')}-file project in-process (reconcile)…`);
  const open = await timed(() => openProject(opts.root, { settleMs: 100 }));
  const project = open.value;
  try {
    const counts = project.store.counts();
    // Files snapshotted earlier and since removed from disk (figure 4's big models) stay known to the store.
    assert(
      counts.trackedFiles >= opts.expectedFiles,
      `the store tracks ${opts.expectedFiles} files (it has ${counts.trackedFiles})`,
    );
    notes.push(`openProject (watcher start + reconcile of the stored tree) took ${fmtMs(open.ms)}`);
    progress(`  opened in ${fmtMs(open.ms)}; warm-up re-snapshot…`);
    const warm = await timed(() => project.snapshot(undefined, 'manual', null));
    assert(
      warm.value.snapshot === null,
      `warm-up re-snapshot recorded nothing (it recorded ${warm.value.snapshot?.versions.length ?? 0})`,
    );
    notes.push(`warm-up re-snapshot ${fmtMs(warm.ms)}`);

    const skip = new Set(['.mlsnap']);
    const ours: number[] = [];
    const walk: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      const order = i % 2 === 0 ? (['walk', 'ours'] as const) : (['ours', 'walk'] as const);
      for (const side of order) {
        gc();
        await sleep(50);
        if (side === 'walk') {
          const r = await timed(() => bareStatWalk(opts.root, skip));
          assert(r.value === opts.expectedFiles, `the bare walk saw ${opts.expectedFiles} files (it saw ${r.value})`);
          walk.push(r.ms);
        } else {
          const r = await timed(() => project.snapshot(undefined, 'manual', null));
          assert(
            r.value.snapshot === null,
            `an unchanged re-snapshot recorded nothing (it recorded ${r.value.snapshot?.versions.length ?? 0})`,
          );
          const unchanged = r.value.skipped.filter((s) => s.reason === 'unchanged').length;
          assert(
            unchanged === opts.expectedFiles,
            `all ${opts.expectedFiles} files were skipped as unchanged (${unchanged} were)`,
          );
          ours.push(r.ms);
        }
      }
      progress(
        `  run ${i + 1}/${opts.runs}: snapshot ${fmtMs(ours[i] as number)}, bare walk ${fmtMs(walk[i] as number)}`,
      );
    }
    const plain: number[] = [];
    for (let i = 0; i < 5; i++) plain.push((await timed(() => bareStatWalk(opts.root, skip, false))).ms);
    notes.push(
      `the baseline stats with { bigint: true } (nanosecond mtimes, as the fingerprint needs); the same walk with plain statSync: median ${fmtMs(median(plain))}`,
    );
    const fps: number[] = [];
    for (let i = 0; i < 5; i++) fps.push((await timed(() => project.store.allFingerprints())).ms);
    notes.push(
      `breakdown: store.allFingerprints() alone (one SQLite query, ${opts.expectedFiles.toLocaleString('en')} rows to a Map) median ${fmtMs(median(fps))}`,
    );
    notes.push(`samples ours [${ours.map(fmtMs).join(', ')}], walk [${walk.map(fmtMs).join(', ')}]`);
    return makeFigure({
      id: '2',
      name: `re-snapshot of ${opts.expectedFiles.toLocaleString('en')} unchanged files vs bare stat walk`,
      method: `project.snapshot(undefined, 'manual') on an unchanged tree (asserted: records nothing, every file "unchanged"); median of ${opts.runs}, alternating with the walk`,
      value: median(ours),
      baseline: median(walk),
      baselineLabel: 'readdirSync(withFileTypes) + statSync(bigint) walk',
      unit: 'ms',
      target: { kind: 'ratio', limit: 2 },
      details: {
        oursMs: ours,
        walkMs: walk,
        plainStatWalkMs: plain,
        allFingerprintsMs: fps,
        openMs: open.ms,
        warmupMs: warm.ms,
      },
      notes,
    });
  } finally {
    await project.close();
  }
}
