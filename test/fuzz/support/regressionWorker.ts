/**
 * Runs inputs through one fuzz target inside a worker thread, for regressions.test.ts: a worker
 * can be stopped in the middle of a hang and has its own heap limit, so a regression that comes
 * back fails its test instead of stalling or killing the test run.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { FuzzTarget } from '../harness';

export interface WorkerJob {
  target: string;
  files: string[];
}

export type WorkerMessage =
  { type: 'start'; file: string } | { type: 'done'; file: string; ms: number; rssGrowthMb: number; error?: string };

function post(m: WorkerMessage): void {
  parentPort?.postMessage(m);
}

async function run(job: WorkerJob): Promise<void> {
  // Loaded through tsx's require hook (the worker has no ESM loader for TypeScript).
  const load = createRequire(__filename);
  const target = load(path.join(__dirname, '..', 'targets', `${job.target}.fuzz.ts`)) as FuzzTarget;
  for (const file of job.files) {
    const data = fs.readFileSync(file);
    post({ type: 'start', file });
    const rss = process.memoryUsage().rss;
    const t0 = performance.now();
    let error: string | undefined;
    try {
      await target.fuzz(data);
    } catch (err) {
      error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    }
    const rssGrowthMb = (process.memoryUsage().rss - rss) / 2 ** 20;
    const done: WorkerMessage = { type: 'done', file, ms: performance.now() - t0, rssGrowthMb };
    post(error === undefined ? done : { ...done, error });
  }
}

void run(workerData as WorkerJob);
