import * as fs from 'node:fs';
import * as path from 'node:path';
import { ingestFile } from '../../daemon/src/project/WorkingFiles';
import { ContentStore } from '../../daemon/src/store/blobs/ContentStore';
import { LocalBackend } from '../../daemon/src/store/blobs/LocalBackend';
import { openProject } from '../support/project';
import { makeFigure, type Figure } from './report';
import { assert, dropCaches, fmtMs, fmtSize, median, progress, sh, syncAll, warmFile } from './util';

export type CacheState = 'cold' | 'warm';

/** Put the machine in the same state before either side: dirty pages flushed, source cached or not. */
function prepare(src: string, cache: CacheState): void {
  if (cache === 'cold') {
    dropCaches();
  } else {
    warmFile(src);
    syncAll();
  }
}

/** `cp src dst && sync`, timed, as one shell command (the durable-copy floor on ext4). */
function cpSide(src: string, dir: string, cache: CacheState): number {
  fs.mkdirSync(dir, { recursive: true });
  const dst = path.join(dir, path.basename(src));
  prepare(src, cache);
  const t0 = performance.now();
  sh(`cp '${src}' '${dst}' && sync`);
  const ms = performance.now() - t0;
  assert(fs.statSync(dst).size === fs.statSync(src).size, 'cp copied the whole file');
  fs.rmSync(dir, { recursive: true, force: true });
  syncAll();
  return ms;
}

/**
 * Project.snapshot([file], 'manual') on a fresh store (so the blob is new), then the same `sync`
 * as the cp side. The project is opened with the real watcher and environment capture, and one
 * small model file is snapshotted first so the interpreter facts are cached, as in a running daemon.
 */
async function oursSide(src: string, dir: string, cache: CacheState): Promise<{ total: number; snapshotOnly: number }> {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'warmup.pt'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff)));
  // Nothing is tracked by pattern: neither reconcile nor the watcher may take the file first.
  const project = await openProject(dir, { settleMs: 100, include: ['**/*.bench-untracked'] });
  try {
    const warm = await project.snapshot(['warmup.pt'], 'manual', null);
    assert(warm.snapshot !== null, 'warm-up snapshot recorded');
    const rel = path.basename(src);
    fs.linkSync(src, path.join(dir, rel));
    prepare(src, cache);
    const t0 = performance.now();
    const r = await project.snapshot([rel], 'manual', null);
    const t1 = performance.now();
    syncAll();
    const t2 = performance.now();
    const v = r.snapshot?.versions.find((x) => x.path === rel);
    assert(
      v !== undefined && v.size === fs.statSync(src).size,
      `the snapshot recorded ${rel} whole (${JSON.stringify(r.skipped)})`,
    );
    return { total: t2 - t0, snapshotOnly: t1 - t0 };
  } finally {
    await project.close();
    fs.rmSync(dir, { recursive: true, force: true });
    syncAll();
  }
}

/** ingestFile alone (no SQLite, no environment) into a fresh store, then `sync`: a breakdown. */
async function ingestSide(src: string, dir: string, cache: CacheState): Promise<number> {
  const backend = new LocalBackend(dir);
  const blobs = new ContentStore(backend, { scratchDir: backend.tmpDir });
  try {
    prepare(src, cache);
    const t0 = performance.now();
    const r = await ingestFile(blobs, src, { compress: false });
    syncAll();
    const ms = performance.now() - t0;
    assert(r.created && r.size === fs.statSync(src).size, 'ingestFile stored the whole file as a new blob');
    return ms;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    syncAll();
  }
}

export async function measureNewFile(opts: {
  id: string;
  src: string;
  workDir: string;
  cache: CacheState;
  runs: number;
  size: number;
}): Promise<Figure> {
  const cp: number[] = [];
  const ours: number[] = [];
  const oursSnapshotOnly: number[] = [];
  const ingest: number[] = [];
  const sides = ['cp', 'ours', 'ingest'] as const;
  for (let i = 0; i < opts.runs; i++) {
    // Rotate the order, so no side always runs first or after the same neighbour.
    const order = sides.map((_, k) => sides[(k + i) % sides.length] as (typeof sides)[number]);
    for (const side of order) {
      if (side === 'ingest') {
        const ms = await ingestSide(opts.src, path.join(opts.workDir, `blobs-${opts.cache}-${i}`), opts.cache);
        ingest.push(ms);
        progress(`  ${opts.cache} run ${i + 1}/${opts.runs}: ingestFile alone + sync ${fmtMs(ms)}`);
      } else if (side === 'cp') {
        const ms = cpSide(opts.src, path.join(opts.workDir, `cp-${opts.cache}-${i}`), opts.cache);
        cp.push(ms);
        progress(`  ${opts.cache} run ${i + 1}/${opts.runs}: cp + sync ${fmtMs(ms)}`);
      } else {
        const r = await oursSide(opts.src, path.join(opts.workDir, `proj-${opts.cache}-${i}`), opts.cache);
        ours.push(r.total);
        oursSnapshotOnly.push(r.snapshotOnly);
        progress(
          `  ${opts.cache} run ${i + 1}/${opts.runs}: Project.snapshot ${fmtMs(r.snapshotOnly)}, + sync ${fmtMs(r.total)}`,
        );
      }
    }
  }
  const value = median(ours);
  const baseline = median(cp);
  const mbps = (ms: number): string => `${(opts.size / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
  return makeFigure({
    id: opts.id,
    name: `new ${fmtSize(opts.size)} .safetensors snapshot vs cp+sync (${opts.cache} cache)`,
    method:
      `Project.snapshot(['model.safetensors'], 'manual') on a fresh store (real watcher + environment capture, ` +
      `interpreter warmed), then \`sync\`; median of ${opts.runs}, in rotating order with \`cp src dst && sync\`; ` +
      (opts.cache === 'cold'
        ? 'page cache dropped before every run of either side'
        : 'source in page cache, dirty pages synced before every run'),
    value,
    baseline,
    baselineLabel: 'cp + sync',
    unit: 'ms',
    target: { kind: 'ratio', limit: 1.3 },
    details: {
      oursMs: ours,
      oursSnapshotOnlyMs: oursSnapshotOnly,
      ingestFileSyncMs: ingest,
      cpSyncMs: cp,
      cache: opts.cache,
      bytes: opts.size,
    },
    notes: [
      `ours ${mbps(value)} (snapshot alone ${fmtMs(median(oursSnapshotOnly))}), cp+sync ${mbps(baseline)}`,
      `breakdown: ingestFile alone (read + BLAKE3 + write + fsync, no SQLite/environment) + sync: median ${fmtMs(median(ingest))} = ${(median(ingest) / baseline).toFixed(2)}× cp+sync`,
      `best of each side (less disk noise): ours ${fmtMs(Math.min(...ours))} / cp+sync ${fmtMs(Math.min(...cp))} = ${(Math.min(...ours) / Math.min(...cp)).toFixed(2)}×`,
      `samples ours [${ours.map(fmtMs).join(', ')}], ingestFile [${ingest.map(fmtMs).join(', ')}], cp+sync [${cp.map(fmtMs).join(', ')}]`,
    ],
  });
}
