// Coverage-guided fuzzing of every file parser with Jazzer.js (libFuzzer under the hood).
//
//   npm run fuzz                                   every target, 60 s each
//   MLSNAP_FUZZ_SECONDS=300 npm run fuzz           longer
//   MLSNAP_FUZZ_ONLY=onnx,zip npm run fuzz         some targets (names: test/fuzz/targets/<name>.fuzz.ts)
//   MLSNAP_FUZZ_PARALLEL=2 npm run fuzz            targets side by side (one core each)
//
// Targets are bundled with esbuild into dist/fuzz/ (Jazzer.js instruments plain JavaScript as it
// is loaded), each corpus starts from the committed fixtures (written to a temporary folder: no
// corpus is committed), and every crash, hang (5 s per input) or memory blow-up (2 GiB RSS) is
// saved under test/fuzz/findings/<target>/ (git-ignored). A target that finds something is run
// again for the time left, so one shallow bug does not hide the rest. The minimized input of a
// finding becomes a regression test: test/fuzz/regressions/<target>/ (see regressions.test.ts).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';
import { fuzzerAddonLaunch } from '../test/fuzz/support/nativeCompat.mjs';

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const targetsDir = path.join(repo, 'test', 'fuzz', 'targets');
const outDir = path.join(repo, 'dist', 'fuzz');
const findingsDir = path.join(repo, 'test', 'fuzz', 'findings');
const require = createRequire(import.meta.url);

const seconds = positiveInt('MLSNAP_FUZZ_SECONDS', 60);
const parallel = positiveInt('MLSNAP_FUZZ_PARALLEL', 1);
/** A hang: one input running longer than this. */
const TIMEOUT_MS = 5000;
/** A memory blow-up: the process (Node heap and native buffers) growing past this. */
const RSS_LIMIT_MB = 2048;
/** Runs of one target after findings, at most: each rediscovery of a known bug costs one. */
const MAX_RESTARTS = 8;

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, not ${raw}`);
  return n;
}

function selectedTargets() {
  const all = fs
    .readdirSync(targetsDir)
    .filter((f) => f.endsWith('.fuzz.ts'))
    .map((f) => f.slice(0, -'.fuzz.ts'.length))
    .sort();
  const only = (process.env.MLSNAP_FUZZ_ONLY ?? '').split(',').filter(Boolean);
  const unknown = only.filter((n) => !all.includes(n));
  if (unknown.length > 0) throw new Error(`no fuzz target named ${unknown.join(', ')} (have: ${all.join(', ')})`);
  return only.length > 0 ? all.filter((n) => only.includes(n)) : all;
}

/**
 * CommonJS bundles, native modules left to node_modules as in scripts/build.mjs. yaml and
 * protobufjs stay there too: Jazzer.js does not instrument node_modules, and instrumenting them
 * cost the metrics targets 90% of their speed for coverage of code that is not ours.
 */
async function bundle(names) {
  await esbuild.build({
    entryPoints: Object.fromEntries(names.map((n) => [`${n}.fuzz`, path.join(targetsDir, `${n}.fuzz.ts`)])),
    outdir: outDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    external: ['better-sqlite3', 'zstd-napi', '@parcel/watcher', '@napi-rs/blake-hash', 'vscode', 'yaml', 'protobufjs'],
    logLevel: 'warning',
  });
}

/** A fresh corpus folder holding the target's seeds. */
async function seedCorpus(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mlsnap-fuzz-${name}-`));
  const target = require(path.join(outDir, `${name}.fuzz.js`));
  const seeds = await target.seeds();
  seeds.forEach((s, i) => fs.writeFileSync(path.join(dir, `seed-${i}`), s));
  return { dir, count: seeds.length, maxLen: Math.max(4096, ...seeds.map((s) => s.length)) };
}

/** The figures libFuzzer prints: executions (#N / Done N runs), coverage (cov: N) and findings. */
function parseOutput(text) {
  const execs = [...text.matchAll(/stat::number_of_executed_units: (\d+)/g)].map((m) => Number(m[1]));
  const progress = [...text.matchAll(/^#(\d+)\s/gm)].map((m) => Number(m[1]));
  const cov = [...text.matchAll(/\bcov: (\d+)/g)].map((m) => Number(m[1]));
  const artifacts = [...text.matchAll(/Test unit written to (\S+)/g)].map((m) => m[1]);
  const kind = /ALARM: working on the last Unit for|-timeout/.test(text)
    ? 'timeout'
    : /out-of-memory|rss limit|heap out of memory/i.test(text)
      ? 'memory'
      : 'crash';
  const message = firstErrorLine(text);
  return {
    execs: execs.at(-1) ?? progress.at(-1) ?? 0,
    edges: cov.at(-1) ?? null,
    artifacts,
    finding: artifacts.length > 0 ? { kind, message } : null,
  };
}

function firstErrorLine(text) {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => /Uncaught Exception|==\d+== ERROR|FATAL ERROR|ALARM|out-of-memory/.test(l));
  if (at < 0) return '';
  return lines
    .slice(at, at + 3)
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' | ')
    .slice(0, 300);
}

function runJazzer(name, corpus, budgetS, launch, logFile) {
  const dir = path.join(findingsDir, name);
  fs.mkdirSync(dir, { recursive: true });
  const args = [
    ...launch.nodeArgs,
    // Past the RSS limit libFuzzer reports the input; the heap cap makes V8 fail before it.
    `--max-old-space-size=${RSS_LIMIT_MB}`,
    require.resolve('@jazzer.js/core/dist/cli.js'),
    path.join(outDir, `${name}.fuzz.js`),
    corpus.dir,
    `--timeout=${TIMEOUT_MS}`,
    '--',
    `-max_total_time=${budgetS}`,
    `-max_len=${corpus.maxLen}`,
    `-rss_limit_mb=${RSS_LIMIT_MB}`,
    `-artifact_prefix=${dir}${path.sep}`,
    '-print_final_stats=1',
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repo, env: { ...process.env, ...launch.env } });
    const out = fs.createWriteStream(logFile, { flags: 'a' });
    let text = '';
    const keep = (chunk) => {
      out.write(chunk);
      text += chunk;
      // Only the tail matters for the figures; the log file keeps everything.
      if (text.length > 4_000_000) text = text.slice(-2_000_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (code, signal) => {
      out.end();
      resolve({ code, signal, ...parseOutput(text) });
    });
  });
}

async function fuzzTarget(name, launch) {
  const corpus = await seedCorpus(name);
  const logFile = path.join(findingsDir, `${name}.log`);
  fs.mkdirSync(findingsDir, { recursive: true });
  fs.writeFileSync(logFile, '');
  const deadline = Date.now() + seconds * 1000;
  const result = { name, seeds: corpus.count, execs: 0, edges: null, runs: 0, findings: [] };
  for (let left = seconds; left > 0 && result.runs <= MAX_RESTARTS; left = Math.round((deadline - Date.now()) / 1000)) {
    const run = await runJazzer(name, corpus, left, launch, logFile);
    result.runs++;
    result.execs += run.execs;
    // Each rerun starts from the same corpus, so the most edges any run saw is the target's.
    if (run.edges !== null) result.edges = Math.max(result.edges ?? 0, run.edges);
    if (run.finding) result.findings.push({ ...run.finding, files: run.artifacts.map((a) => path.relative(repo, a)) });
    else if (run.code !== 0)
      result.findings.push({ kind: 'error', message: `jazzer exited ${run.code ?? run.signal}`, files: [] });
    if (!run.finding) break;
  }
  result.corpus = fs.readdirSync(corpus.dir).length;
  fs.rmSync(corpus.dir, { recursive: true, force: true });
  report(result);
  return result;
}

function report(r) {
  const found = r.findings.length === 0 ? 'no findings' : `${r.findings.length} finding(s)`;
  console.log(
    `${r.name}: ${r.execs.toLocaleString('en-US')} executions, ${r.edges ?? '?'} coverage edges, ` +
      `corpus ${r.seeds} seeds → ${r.corpus} inputs, ${found}`,
  );
  for (const f of r.findings)
    console.log(`  ${f.kind}: ${f.message || '(see the log)'}${f.files.length ? ` → ${f.files.join(', ')}` : ''}`);
}

async function main() {
  const names = selectedTargets();
  fs.rmSync(outDir, { recursive: true, force: true });
  await bundle(names);
  const launch = fuzzerAddonLaunch(repo, path.join(repo, '.cache', 'fuzz'));
  console.log(`fuzzing ${names.join(', ')}: ${seconds} s each, ${parallel} at a time (${launch.note})`);
  const queue = [...names];
  const results = [];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift())
      results.push(await fuzzTarget(name, launch));
  };
  await Promise.all(Array.from({ length: Math.min(parallel, names.length) }, worker));
  results.sort((a, b) => a.name.localeCompare(b.name));
  fs.writeFileSync(path.join(findingsDir, 'summary.json'), `${JSON.stringify(results, null, 2)}\n`);
  const total = results.reduce((n, r) => n + r.findings.length, 0);
  const execs = results.reduce((n, r) => n + r.execs, 0);
  console.log(`\n${results.length} targets, ${execs.toLocaleString('en-US')} executions, ${total} finding(s)`);
  console.log(`logs and findings: ${path.relative(repo, findingsDir)}/ (summary.json)`);
  process.exit(total > 0 ? 1 : 0);
}

await main();
