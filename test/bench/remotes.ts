/**
 * The remote figures: `mlsnap push` / `mlsnap clone` (the real CLI, with its daemon) against
 * the AWS CLI doing the same transfer to the same moto S3 server, started once for the run.
 * Both sides are whole CLI invocations timed from spawn to exit, so each pays its own start
 * (Node for mlsnap, Python for `aws`); each side gets fresh buckets, and the order of the sides
 * alternates between runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProjectInfo } from '../../shared/src/domain';
import type { CloneResult, PushResult } from '../../shared/src/protocol';
import { moto, MOTO_ENV, stopStorageServers } from '../support/storageServers';
import { makeFigure, type Figure } from './report';
import { assert, fmtMs, fmtSize, freeBytes, GiB, median, MiB, progress, syncAll, warmFile } from './util';

export interface RemoteBench {
  /** Everything of this part lives here: projects, clones, the aws side's download folders. */
  dir: string;
  /** MLSNAP_HOME of the daemon the CLI starts. */
  home: string;
  /** moto's URL, ending with `/`. */
  endpoint: string;
  env: NodeJS.ProcessEnv;
  mlsnapBin: string;
  motoChild: ChildProcess;
  motoStartMs: number;
  /** Set by measurePushSmallFiles: what measureClone clones (mlsnap) and syncs down (aws). */
  cloneSource: { mlsnapUrl: string; awsUrl: string; files: number; bytes: number } | null;
}

export async function startRemoteBench(opts: { dir: string; repo: string }): Promise<RemoteBench> {
  fs.mkdirSync(opts.dir, { recursive: true });
  const home = path.join(opts.dir, 'home');
  fs.mkdirSync(home, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, ...MOTO_ENV, MLSNAP_HOME: home, AWS_EC2_METADATA_DISABLED: 'true' };
  // Only moto's credentials: no profile of this machine may pick another account or endpoint.
  for (const k of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_PROFILE', 'AWS_ENDPOINT_URL']) delete env[k];
  const server = await moto();
  const version = await runProc('aws', ['--version'], { cwd: opts.dir, env });
  if (version.code !== 0) throw new Error(`the AWS CLI is needed on PATH (\`aws --version\`: ${failureText(version)})`);
  progress(
    `moto at ${server.url} (started in ${fmtMs(server.startedMs)}); ${(version.stdout + version.stderr).trim()}`,
  );
  return {
    dir: opts.dir,
    home,
    endpoint: server.url,
    env,
    mlsnapBin: path.join(opts.repo, 'bin', 'mlsnap'),
    motoChild: server.child,
    motoStartMs: server.startedMs,
    cloneSource: null,
  };
}

/** `mlsnap daemon stop`, then moto; the folder is removed by the caller's cleanup. */
export async function stopRemoteBench(rb: RemoteBench): Promise<void> {
  const r = await mlsnap(rb, ['daemon', 'stop'], rb.dir);
  if (r.code !== 0) progress(`mlsnap daemon stop failed: ${failureText(r)}`);
  await stopStorageServers();
  fs.rmSync(rb.dir, { recursive: true, force: true });
}

/** For the exit and signal handlers: kill the daemon (from its daemon.json) and moto, synchronously. */
export function killRemoteBenchSync(rb: RemoteBench | null): void {
  if (rb === null) return;
  try {
    const info = JSON.parse(fs.readFileSync(path.join(rb.home, 'daemon.json'), 'utf8')) as { pid?: number };
    if (typeof info.pid === 'number') process.kill(info.pid, 'SIGKILL');
  } catch {
    // no daemon, or already gone
  }
  if (rb.motoChild.exitCode === null && rb.motoChild.signalCode === null) rb.motoChild.kill('SIGKILL');
}

// ---------------------------------------------------------------------------------------------
// Processes

interface Ran {
  cmd: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Spawn and wait, asynchronously: moto is our child and logs every request to a pipe this
 * process must keep draining (a spawnSync here would block it once that pipe fills).
 */
function runProc(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Ran> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const line = `${cmd} ${args.join(' ')}`;
    child.once('error', (e) =>
      resolve({
        cmd: line,
        code: -1,
        signal: null,
        stdout,
        stderr: `${stderr}${e.message}`,
        ms: performance.now() - t0,
      }),
    );
    child.once('close', (code, signal) =>
      resolve({ cmd: line, code, signal, stdout, stderr, ms: performance.now() - t0 }),
    );
  });
}

function failureText(r: Ran): string {
  const out = [r.stderr.trim(), r.stdout.trim()].filter((s) => s !== '').join('\n--- stdout:\n');
  return `\`${r.cmd}\` exited ${r.code ?? r.signal ?? '?'}:\n${out.slice(-6000)}`;
}

function mlsnap(rb: RemoteBench, args: string[], cwd: string): Promise<Ran> {
  return runProc(process.execPath, [rb.mlsnapBin, ...args], { cwd, env: rb.env });
}

/** The daemon log's tail, for an error report. */
function daemonLogTail(rb: RemoteBench, bytes = 4000): string {
  try {
    return fs.readFileSync(path.join(rb.home, 'daemon.log'), 'utf8').slice(-bytes).trim();
  } catch {
    return '(no daemon.log)';
  }
}

/** Run `mlsnap <args> --json`; throws with its whole output and the daemon log's tail when it fails. */
async function mlsnapJson<T>(rb: RemoteBench, args: string[], cwd: string): Promise<{ ms: number; value: T }> {
  const r = await mlsnap(rb, [...args, '--json'], cwd);
  if (r.code !== 0) throw new Error(`${failureText(r)}\n--- daemon.log (tail):\n${daemonLogTail(rb)}`);
  try {
    return { ms: r.ms, value: JSON.parse(r.stdout) as T };
  } catch {
    throw new Error(`\`${r.cmd}\` printed no JSON:\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(-2000)}`);
  }
}

/** Run `aws <args> --endpoint-url <moto>`; throws with its output when it fails. */
async function aws(rb: RemoteBench, args: string[], cwd = rb.dir): Promise<Ran> {
  const r = await runProc('aws', [...args, '--endpoint-url', rb.endpoint], { cwd, env: rb.env });
  if (r.code !== 0) throw new Error(failureText(r));
  return r;
}

/** Lines the AWS CLI prints per object moved (`upload: a to s3://…`, `download: …`). */
function countLines(text: string, prefix: string): number {
  return text.split('\n').filter((l) => l.startsWith(prefix)).length;
}

async function dropBucket(rb: RemoteBench, bucket: string): Promise<void> {
  await aws(rb, ['s3', 'rb', `s3://${bucket}`, '--force']);
}

// ---------------------------------------------------------------------------------------------
// Data

/** `size` bytes from the CSPRNG: nothing for either side to compress or deduplicate. */
function writeCsprngFile(file: string, size: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  const buf = Buffer.allocUnsafe(Math.min(size, 8 * MiB));
  try {
    let written = 0;
    while (written < size) {
      const n = Math.min(buf.length, size - written);
      crypto.randomFillSync(buf, 0, n);
      fs.writeSync(fd, buf, 0, n);
      written += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** `count` random files of min..max bytes (sizes from a fixed seed) under `root/data/dNN/`; their total size. */
function writeSmallFiles(root: string, count: number, min: number, max: number, seed: number): number {
  let x = seed >>> 0 || 1;
  let total = 0;
  const dirs = Math.max(1, Math.ceil(count / 500));
  for (let d = 0; d < dirs; d++)
    fs.mkdirSync(path.join(root, 'data', `d${String(d).padStart(2, '0')}`), { recursive: true });
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const size = min + ((x >>> 0) % (max - min + 1));
    const dir = `d${String(i % dirs).padStart(2, '0')}`;
    fs.writeFileSync(
      path.join(root, 'data', dir, `w${String(i).padStart(5, '0')}.safetensors`),
      crypto.randomBytes(size),
    );
    total += size;
  }
  return total;
}

function countFiles(dir: string, skip: ReadonlySet<string> = new Set()): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop() as string;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!skip.has(e.name)) stack.push(p);
      } else if (e.isFile()) {
        files++;
        bytes += fs.statSync(p).size;
      }
    }
  }
  return { files, bytes };
}

/** Read every file of at least `min` bytes under `dir` (the store's blobs), so neither side reads from disk. */
function warmTree(dir: string, min = 0): void {
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop() as string;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile() && fs.statSync(p).size >= min) warmFile(p);
    }
  }
}

/**
 * `mlsnap init` in `root` (it records the files already there), then `mlsnap snapshot`, and
 * check that the project holds `versions` versions before anything is pushed.
 */
async function initProject(rb: RemoteBench, root: string, versions: number): Promise<{ initMs: number }> {
  const init = await mlsnapJson<ProjectInfo>(rb, ['init'], root);
  await mlsnapJson(rb, ['snapshot'], root);
  const st = await mlsnapJson<ProjectInfo>(rb, ['status'], root);
  assert(
    st.value.versions === versions,
    `${root} holds ${versions} versions after init + snapshot (it holds ${st.value.versions})`,
  );
  return { initMs: init.ms };
}

async function addRemote(rb: RemoteBench, root: string, name: string, bucket: string): Promise<string> {
  const url = `s3://${bucket}/team`;
  await mlsnapJson(rb, ['remote', 'add', name, url, '--endpoint', rb.endpoint, '--create'], root);
  return url;
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function samples(xs: readonly number[]): string {
  return `[${xs.map(secs).join(', ')}]`;
}

// ---------------------------------------------------------------------------------------------
// R1: push of one new large file vs `aws s3 cp`

/** The size figure R1 can afford here: source + store copy + moto's copy (twice, while it joins parts) + 2 GiB. */
function affordableSize(rb: RemoteBench, wanted: number): { size: number; note: string | null } {
  const free = Math.min(freeBytes(rb.dir), freeBytes(os.tmpdir()));
  const need = (s: number): number => 5 * s + 2 * GiB;
  if (free >= need(wanted)) return { size: wanted, note: null };
  const size = Math.max(64 * MiB, Math.floor((free - 2 * GiB) / 5 / (64 * MiB)) * 64 * MiB);
  return {
    size,
    note: `only ${(free / GiB).toFixed(1)} GiB free (need ${(need(wanted) / GiB).toFixed(1)} GiB for ${fmtSize(wanted)}): used ${fmtSize(size)} instead`,
  };
}

export async function measurePushNewFile(
  rb: RemoteBench,
  opts: { id: string; size: number; runs: number },
): Promise<Figure> {
  const { size, note } = affordableSize(rb, opts.size);
  if (note !== null) progress(`  NOTE: ${note}`);
  const root = path.join(rb.dir, 'r1');
  const file = path.join(root, 'model.safetensors');
  progress(`  writing a ${fmtSize(size)} random .safetensors…`);
  writeCsprngFile(file, size);
  syncAll();
  const { initMs } = await initProject(rb, root, 1);
  progress(`  mlsnap init (stores it) ${fmtMs(initMs)}`);

  const ours: number[] = [];
  const oursPushSeconds: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const order = i % 2 === 0 ? (['mlsnap', 'aws'] as const) : (['aws', 'mlsnap'] as const);
    for (const side of order) {
      if (side === 'mlsnap') {
        const bucket = `bench-r1-m${i}`;
        await addRemote(rb, root, `m${i}`, bucket);
        warmTree(path.join(root, '.mlsnap'), MiB);
        syncAll();
        const r = await mlsnapJson<PushResult>(rb, ['push', '--remote', `m${i}`], root);
        assert(
          r.value.pushed && r.value.versions === 1 && r.value.bytesSent === size,
          `mlsnap push sent the whole file (${JSON.stringify(r.value)})`,
        );
        ours.push(r.ms);
        oursPushSeconds.push(r.value.seconds);
        progress(
          `  run ${i + 1}/${opts.runs}: mlsnap push ${secs(r.ms)} (daemon's own ${r.value.seconds.toFixed(2)} s)`,
        );
        await mlsnapJson(rb, ['remote', 'remove', `m${i}`], root);
        await dropBucket(rb, bucket);
      } else {
        const bucket = `bench-r1-a${i}`;
        await aws(rb, ['s3', 'mb', `s3://${bucket}`]);
        warmFile(file);
        syncAll();
        const r = await aws(rb, ['s3', 'cp', '--no-progress', file, `s3://${bucket}/team/model.safetensors`]);
        const ls = await aws(rb, ['s3', 'ls', `s3://${bucket}/team/model.safetensors`]);
        assert(ls.stdout.includes(String(size)), `aws s3 cp stored the whole file (${ls.stdout.trim()})`);
        base.push(r.ms);
        progress(`  run ${i + 1}/${opts.runs}: aws s3 cp ${secs(r.ms)}`);
        await dropBucket(rb, bucket);
      }
    }
  }
  const value = median(ours);
  const baseline = median(base);
  const mbps = (ms: number): string => `${(size / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
  return makeFigure({
    id: opts.id,
    name: `push of a new ${fmtSize(size)} file vs aws s3 cp`,
    method:
      `\`mlsnap push --remote <new bucket> --json\` (CLI spawn to exit; the daemon already running, the file already ` +
      `in the store) vs \`aws s3 cp --no-progress\` of the same file to another bucket of the same moto; ` +
      `median of ${opts.runs}, sides alternating, page cache warm on both`,
    value,
    baseline,
    baselineLabel: 'aws s3 cp',
    unit: 'ms',
    target: { kind: 'ratio', limit: 1.2 },
    details: { bytes: size, mlsnapMs: ours, mlsnapDaemonSeconds: oursPushSeconds, awsMs: base, initMs },
    notes: [
      ...(note !== null ? [note] : []),
      `mlsnap ${secs(value)} (${mbps(value)}), aws ${secs(baseline)} (${mbps(baseline)}); the daemon's own push time (PushResult.seconds): median ${median(oursPushSeconds).toFixed(2)} s`,
      `samples mlsnap ${samples(ours)}, aws ${samples(base)}`,
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// R2: push of many small new versions vs `aws s3 sync`

export async function measurePushSmallFiles(
  rb: RemoteBench,
  opts: { id: string; count: number; runs: number },
): Promise<Figure> {
  const root = path.join(rb.dir, 'r2');
  progress(`  writing ${opts.count.toLocaleString('en')} random files of 4-64 KiB…`);
  const bytes = writeSmallFiles(root, opts.count, 4 * 1024, 64 * 1024, 2024);
  syncAll();
  const { initMs } = await initProject(rb, root, opts.count);
  progress(
    `  ${fmtSize(bytes)} in all; mlsnap init (records ${opts.count.toLocaleString('en')} versions) ${fmtMs(initMs)}`,
  );
  const data = path.join(root, 'data');

  const ours: number[] = [];
  const oursPushSeconds: number[] = [];
  const base: number[] = [];
  let kept: { mlsnapUrl: string; awsUrl: string } | null = null;
  for (let i = 0; i < opts.runs; i++) {
    const order = i % 2 === 0 ? (['mlsnap', 'aws'] as const) : (['aws', 'mlsnap'] as const);
    let mlsnapUrl = '';
    let awsUrl = '';
    for (const side of order) {
      if (side === 'mlsnap') {
        const bucket = `bench-r2-m${i}`;
        mlsnapUrl = await addRemote(rb, root, `s${i}`, bucket);
        warmTree(path.join(root, '.mlsnap'));
        syncAll();
        const r = await mlsnapJson<PushResult>(rb, ['push', '--remote', `s${i}`], root);
        assert(
          r.value.pushed &&
            r.value.versions === opts.count &&
            r.value.objects === opts.count &&
            r.value.bytesSent === bytes,
          `mlsnap push sent every version (${JSON.stringify(r.value)})`,
        );
        ours.push(r.ms);
        oursPushSeconds.push(r.value.seconds);
        progress(
          `  run ${i + 1}/${opts.runs}: mlsnap push ${secs(r.ms)} (daemon's own ${r.value.seconds.toFixed(2)} s)`,
        );
      } else {
        const bucket = `bench-r2-a${i}`;
        awsUrl = `s3://${bucket}/team`;
        await aws(rb, ['s3', 'mb', `s3://${bucket}`]);
        warmTree(data);
        syncAll();
        const r = await aws(rb, ['s3', 'sync', '--no-progress', data, awsUrl]);
        const uploaded = countLines(r.stdout, 'upload:');
        assert(uploaded === opts.count, `aws s3 sync uploaded every file (${uploaded} of ${opts.count})`);
        base.push(r.ms);
        progress(`  run ${i + 1}/${opts.runs}: aws s3 sync ${secs(r.ms)}`);
      }
    }
    // The first run's buckets stay for the clone figure; the others go (moto keeps objects in memory).
    if (kept === null) kept = { mlsnapUrl, awsUrl };
    else {
      await mlsnapJson(rb, ['remote', 'remove', `s${i}`], root);
      await dropBucket(rb, `bench-r2-m${i}`);
      await dropBucket(rb, `bench-r2-a${i}`);
    }
  }
  if (kept !== null) rb.cloneSource = { ...kept, files: opts.count, bytes };
  const value = median(ours);
  const baseline = median(base);
  return makeFigure({
    id: opts.id,
    name: `push of ${opts.count.toLocaleString('en')} new small versions vs aws s3 sync`,
    method:
      `${opts.count.toLocaleString('en')} random .safetensors of 4-64 KiB (${fmtSize(bytes)}), one version each: ` +
      `\`mlsnap push --remote <new bucket> --json\` (CLI spawn to exit) vs \`aws s3 sync --no-progress\` of the same ` +
      `folder to another bucket of the same moto; median of ${opts.runs}, sides alternating, page cache warm`,
    value,
    baseline,
    baselineLabel: 'aws s3 sync',
    unit: 'ms',
    target: { kind: 'ratio', limit: 1 },
    details: { files: opts.count, bytes, mlsnapMs: ours, mlsnapDaemonSeconds: oursPushSeconds, awsMs: base, initMs },
    notes: [
      `mlsnap ${(opts.count / (value / 1000)).toFixed(0)} objects/s, aws ${(opts.count / (baseline / 1000)).toFixed(0)} objects/s; PushResult.seconds median ${median(oursPushSeconds).toFixed(2)} s`,
      `samples mlsnap ${samples(ours)}, aws ${samples(base)}`,
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// R3: push with nothing new

export async function measurePushNothingNew(
  rb: RemoteBench,
  opts: { id: string; count: number; runs: number },
): Promise<Figure> {
  const root = path.join(rb.dir, 'r3');
  progress(`  writing ${opts.count.toLocaleString('en')} tiny files…`);
  writeSmallFiles(root, opts.count, 64, 256, 3033);
  syncAll();
  const { initMs } = await initProject(rb, root, opts.count);
  progress(`  mlsnap init (records ${opts.count.toLocaleString('en')} versions) ${fmtMs(initMs)}`);
  await addRemote(rb, root, 'origin', 'bench-r3-m');
  const first = await mlsnapJson<PushResult>(rb, ['push'], root);
  assert(first.value.versions === opts.count, `the first push sent every version (${JSON.stringify(first.value)})`);
  progress(`  first (untimed) push of ${opts.count.toLocaleString('en')} versions: ${secs(first.ms)}`);
  const data = path.join(root, 'data');
  const awsUrl = 's3://bench-r3-a/team';
  await aws(rb, ['s3', 'mb', 's3://bench-r3-a']);
  const firstSync = await aws(rb, ['s3', 'sync', '--no-progress', data, awsUrl]);
  progress(`  first (untimed) aws s3 sync: ${secs(firstSync.ms)}`);

  // The CLI's own start, for the breakdown: `mlsnap --version` never talks to the daemon.
  const startup: number[] = [];
  const ours: number[] = [];
  const oursPushSeconds: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const v = await mlsnap(rb, ['--version'], root);
    if (v.code === 0) startup.push(v.ms);
    const r = await mlsnapJson<PushResult>(rb, ['push'], root);
    assert(r.value.pushed && r.value.versions === 0, `the push found nothing new (${JSON.stringify(r.value)})`);
    ours.push(r.ms);
    oursPushSeconds.push(r.value.seconds);
    const s = await aws(rb, ['s3', 'sync', '--no-progress', data, awsUrl]);
    assert(countLines(s.stdout, 'upload:') === 0, `aws s3 sync found nothing new (${s.stdout.slice(0, 300)})`);
    base.push(s.ms);
    progress(`  run ${i + 1}/${opts.runs}: mlsnap push ${secs(r.ms)}, aws s3 sync ${secs(s.ms)}`);
  }
  const value = median(ours);
  const baseline = median(base);
  return makeFigure({
    id: opts.id,
    name: `push with nothing new, ${opts.count.toLocaleString('en')} versions`,
    method:
      `\`mlsnap push --json\` (CLI spawn to exit) of a project whose ${opts.count.toLocaleString('en')} versions ` +
      `(one tiny file each) are all on the remote already; median of ${opts.runs}; the baseline (for scale only, ` +
      `the target is absolute) is \`aws s3 sync\` of the same folder with nothing to upload`,
    value,
    baseline,
    baselineLabel: 'aws s3 sync, nothing new',
    unit: 'ms',
    target: { kind: 'absolute', limit: 1000 },
    details: {
      versions: opts.count,
      mlsnapMs: ours,
      mlsnapDaemonSeconds: oursPushSeconds,
      cliVersionMs: startup,
      awsMs: base,
      firstPushMs: first.ms,
      firstAwsSyncMs: firstSync.ms,
      initMs,
    },
    notes: [
      `mlsnap push with nothing new: ${secs(value)} (target ≤ 1 s); PushResult.seconds median ${median(oursPushSeconds).toFixed(3)} s; \`mlsnap --version\` alone (Node + CLI bundle start) median ${secs(median(startup))}`,
      `first push of the ${opts.count.toLocaleString('en')} versions (untimed part): mlsnap ${secs(first.ms)}, aws s3 sync ${secs(firstSync.ms)}`,
      `samples mlsnap ${samples(ours)}, aws ${samples(base)}`,
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// R4: clone of R2's project vs `aws s3 sync` down

export async function measureClone(rb: RemoteBench, opts: { id: string; runs: number }): Promise<Figure> {
  const src = rb.cloneSource;
  if (src === null)
    throw new Error('the clone figure needs the project pushed by the small-versions figure, which failed');
  const ours: number[] = [];
  const oursSeconds: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const order = i % 2 === 0 ? (['mlsnap', 'aws'] as const) : (['aws', 'mlsnap'] as const);
    for (const side of order) {
      if (side === 'mlsnap') {
        // Clones stay until the end: the daemon watches them.
        const dest = path.join(rb.dir, `r4-clone-${i}`);
        syncAll();
        const r = await mlsnapJson<CloneResult>(rb, ['clone', src.mlsnapUrl, dest, '--endpoint', rb.endpoint], rb.dir);
        const got = countFiles(dest, new Set(['.mlsnap']));
        assert(
          r.value.files === src.files && got.files === src.files && got.bytes === src.bytes,
          `mlsnap clone wrote every file (${JSON.stringify({ ...r.value, project: undefined })}, on disk ${JSON.stringify(got)})`,
        );
        ours.push(r.ms);
        oursSeconds.push(r.value.seconds);
        progress(
          `  run ${i + 1}/${opts.runs}: mlsnap clone ${secs(r.ms)} (daemon's own ${r.value.seconds.toFixed(2)} s)`,
        );
      } else {
        const dest = path.join(rb.dir, `r4-aws-${i}`);
        syncAll();
        const r = await aws(rb, ['s3', 'sync', '--no-progress', src.awsUrl, dest]);
        const got = countFiles(dest);
        assert(
          got.files === src.files && got.bytes === src.bytes,
          `aws s3 sync downloaded every file (${JSON.stringify(got)})`,
        );
        base.push(r.ms);
        progress(`  run ${i + 1}/${opts.runs}: aws s3 sync down ${secs(r.ms)}`);
        fs.rmSync(dest, { recursive: true, force: true });
      }
    }
  }
  const value = median(ours);
  const baseline = median(base);
  return makeFigure({
    id: opts.id,
    name: `clone of ${src.files.toLocaleString('en')} small versions vs aws s3 sync down`,
    method:
      `\`mlsnap clone s3://… <new dir> --endpoint … --json\` (CLI spawn to exit: history, every blob into the new ` +
      `store, the files written out) of the project pushed in the small-versions figure vs \`aws s3 sync --no-progress\` ` +
      `of the same files (uploaded by aws there) into a new folder; median of ${opts.runs}, sides alternating`,
    value,
    baseline,
    baselineLabel: 'aws s3 sync down',
    unit: 'ms',
    target: { kind: 'ratio', limit: 1.2 },
    details: { files: src.files, bytes: src.bytes, mlsnapMs: ours, mlsnapDaemonSeconds: oursSeconds, awsMs: base },
    notes: [
      `CloneResult.seconds median ${median(oursSeconds).toFixed(2)} s`,
      `samples mlsnap ${samples(ours)}, aws ${samples(base)}`,
    ],
  });
}
