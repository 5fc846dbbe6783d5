/**
 * Every input the fuzzer (`npm run fuzz`) found a crash, hang or memory blow-up with, kept under
 * test/fuzz/regressions/<target>/, goes through its target again: it must return or be rejected
 * as invalid-file (the target's own check), within a time and a memory bound. Each target's
 * seeds (the fixtures) go through too, so a target that stops accepting valid files is caught.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FuzzTarget } from './harness';
import type { WorkerJob, WorkerMessage } from './support/regressionWorker';
import { tempDir } from '../support/tmp';

/** The fuzzer's hang limit (scripts/fuzz.mjs): an input slower than this is a finding. */
const TIME_LIMIT_MS = 5000;
/** Heap a worker may use; past it the worker is stopped (ERR_WORKER_OUT_OF_MEMORY). */
const HEAP_LIMIT_MB = 512;
/** Resident memory one input may add (native buffers are outside the heap limit). */
const RSS_GROWTH_LIMIT_MB = 512;
/** Loading a target (TypeScript compiled on the fly) before its first input. */
const STARTUP_MS = 20_000;

const targetsDir = path.join(__dirname, 'targets');
const regressionsDir = path.join(__dirname, 'regressions');
const targets = fs
  .readdirSync(targetsDir)
  .filter((f) => f.endsWith('.fuzz.ts'))
  .map((f) => f.slice(0, -'.fuzz.ts'.length))
  .sort();

function regressionFiles(target: string): string[] {
  const dir = path.join(regressionsDir, target);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => !f.startsWith('.') && !f.endsWith('.md'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** The target's seeds, written out so the worker reads every input the same way. */
let seedsDir: string | null = null;

async function seedFiles(target: string): Promise<string[]> {
  const t = (await import(path.join(targetsDir, `${target}.fuzz.ts`))) as FuzzTarget;
  seedsDir ??= tempDir('fuzz-seeds');
  const dir = path.join(seedsDir, target);
  fs.mkdirSync(dir);
  return (await t.seeds()).map((s, i) => {
    const file = path.join(dir, `seed-${i}`);
    fs.writeFileSync(file, s);
    return file;
  });
}

interface Outcome {
  results: Extract<WorkerMessage, { type: 'done' }>[];
  /** Why the worker stopped early, naming the input it was on. */
  failure?: string;
}

function runInWorker(job: WorkerJob): Promise<Outcome> {
  return new Promise((resolve) => {
    // Workers do not inherit the test runner's TypeScript loader: tsx's require hook loads it.
    const entry = path.join(__dirname, 'support', 'regressionWorker.ts');
    const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(entry)});`, {
      eval: true,
      workerData: job,
      // The main thread's stack (Node's default --stack-size is 984 KiB), where the daemon parses:
      // a worker's default of 4 MiB would let stack overflows pass.
      resourceLimits: { maxOldGenerationSizeMb: HEAP_LIMIT_MB, stackSizeMb: 1 },
    });
    const results: Outcome['results'] = [];
    let current = '(loading the target)';
    let timer: NodeJS.Timeout;
    const finish = (failure?: string): void => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(failure === undefined ? { results } : { results, failure });
    };
    const arm = (ms: number): void => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(`${current}: still running after ${ms} ms (a hang)`), ms);
    };
    arm(STARTUP_MS);
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'start') {
        current = m.file;
        arm(TIME_LIMIT_MS * 2);
        return;
      }
      results.push(m);
      if (results.length === job.files.length) finish();
    });
    worker.on('error', (err) => finish(`${current}: ${err.message}`));
    worker.on('exit', (code) => finish(results.length === job.files.length ? undefined : `worker exited ${code}`));
  });
}

function problems(outcome: Outcome): string[] {
  const out = outcome.failure === undefined ? [] : [outcome.failure];
  for (const r of outcome.results) {
    const name = path.basename(r.file);
    if (r.error !== undefined) out.push(`${name}: ${r.error}`);
    if (r.ms > TIME_LIMIT_MS) out.push(`${name}: took ${Math.round(r.ms)} ms (limit ${TIME_LIMIT_MS})`);
    if (r.rssGrowthMb > RSS_GROWTH_LIMIT_MB)
      out.push(`${name}: grew resident memory by ${Math.round(r.rssGrowthMb)} MiB (limit ${RSS_GROWTH_LIMIT_MB})`);
  }
  return out;
}

describe('fuzz regressions and seeds', { concurrency: 4 }, () => {
  for (const target of targets) {
    test(`${target}: regressions and seeds return or are rejected as invalid-file, in time`, async () => {
      const files = [...regressionFiles(target), ...(await seedFiles(target))];
      const outcome = await runInWorker({ target, files });
      assert.deepEqual(problems(outcome), []);
    });
  }

  test('every regression folder names a fuzz target', () => {
    const folders = fs.existsSync(regressionsDir) ? fs.readdirSync(regressionsDir) : [];
    assert.deepEqual(
      folders.filter((f) => !targets.includes(f) && !f.endsWith('.md')),
      [],
    );
  });
});
