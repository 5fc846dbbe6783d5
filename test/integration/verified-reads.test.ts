import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { VersionInfo } from '../../shared/src/domain';
import { CONTENT_ROUTE, TOKEN_HEADER, type DaemonFile, type SnapshotResult } from '../../shared/src/protocol';
import { MLSNAP, mlsnap, mlsnapJson } from '../support/cli';
import { tempDir, writeRandomFile } from '../support/tmp';

/** Past the size the daemon checks whole before sending (VERIFY_FIRST_BYTES): checked as it streams. */
const LARGE = 66 * 1024 * 1024;

const home = tempDir('verify-home');
const root = tempDir('verify-project');
const opts = { cwd: root, home };

after(() => {
  mlsnap(['daemon', 'stop'], opts);
});

function record(rel: string): VersionInfo {
  const r = mlsnapJson<SnapshotResult>(['snapshot', rel], opts);
  // The watcher may have recorded it first: then the snapshot has nothing new, and log has it.
  const v = r.snapshot?.versions.find((x) => x.path === rel) ?? mlsnapJson<VersionInfo[]>(['log', rel], opts)[0];
  assert.ok(v, rel);
  return v;
}

function blobFile(v: VersionInfo): string {
  const raw = path.join(root, '.mlsnap', 'blobs', v.blob.slice(0, 2), v.blob);
  return fs.existsSync(raw) ? raw : `${raw}.zst`;
}

/** Overwrite bytes of a stored blob in place (blobs are read-only: chmod first). */
function damage(v: VersionInfo, at: (storedSize: number) => number, bytes = 1): void {
  const file = blobFile(v);
  fs.chmodSync(file, 0o644);
  const fd = fs.openSync(file, 'r+');
  const pos = at(fs.fstatSync(fd).size);
  const b = Buffer.alloc(bytes);
  fs.readSync(fd, b, 0, bytes, pos);
  for (let i = 0; i < bytes; i++) b[i] = (b[i] as number) ^ 0xff;
  fs.writeSync(fd, b, 0, bytes, pos);
  fs.closeSync(fd);
}

/** `mlsnap cat`, its stdout kept as bytes: the count of what went out is asserted exactly. */
function cat(ref: string): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [MLSNAP, 'cat', ref], {
    cwd: root,
    env: { ...process.env, MLSNAP_HOME: home },
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

function daemonInfo(): DaemonFile {
  return JSON.parse(fs.readFileSync(path.join(home, 'daemon.json'), 'utf8')) as DaemonFile;
}

interface HttpAnswer {
  status: number;
  length: string | undefined;
  body: Buffer;
  /** Set when the response broke off before its end. */
  error: Error | null;
}

/**
 * One request on a fresh connection (agent: false). fetch would pool connections, and this
 * file's spawnSync calls block the event loop past the daemon's keep-alive timeout: a pooled
 * socket the daemon has closed meanwhile would fail the next request ("other side closed").
 */
function request(method: 'GET' | 'POST', route: string, body?: unknown): Promise<HttpAnswer> {
  const info = daemonInfo();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers = { [TOKEN_HEADER]: info.token, ...(payload ? { 'content-type': 'application/json' } : {}) };
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: info.port, path: route, method, headers, agent: false },
      (res) => {
        const parts: Buffer[] = [];
        const done = (error: Error | null): void =>
          resolve({
            status: res.statusCode ?? 0,
            length: res.headers['content-length'],
            body: Buffer.concat(parts),
            error,
          });
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => done(null));
        res.on('error', done);
        // Whichever comes first: a connection cut mid-body may only say so by closing.
        res.on('close', () => done(res.complete ? null : new Error('closed before its end')));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function api(method: string, params: unknown): Promise<{ kind?: string; message?: string }> {
  const r = await request('POST', `/api/${method}`, params);
  return JSON.parse(r.body.toString('utf8')) as { kind?: string; message?: string };
}

function getContent(ref: string): Promise<HttpAnswer> {
  return request('GET', `${CONTENT_ROUTE}?${new URLSearchParams({ root, ref }).toString()}`);
}

/** Exit 8 (io), naming the version as path@N and pointing to `mlsnap check`. */
function assertRefused(r: { status: number; stderr: string }, ref: string): void {
  assert.equal(r.status, 8, r.stderr);
  assert.ok(r.stderr.includes(ref), r.stderr);
  assert.match(r.stderr, /mlsnap check/);
}

/** GET /content answers a typed io error before any byte. */
async function assertContentRefused(ref: string): Promise<void> {
  const res = await getContent(ref);
  const body = JSON.parse(res.body.toString('utf8')) as { kind?: string; message?: string };
  assert.equal(res.status, 500);
  assert.equal(body.kind, 'io', JSON.stringify(body));
  assert.ok(body.message?.includes(ref), body.message);
}

function assertRestoreRefused(ref: string): void {
  const target = path.join(tempDir('verify-out'), 'x');
  assertRefused(mlsnap(['restore', ref, '--to', target], opts), ref);
  assert.ok(!fs.existsSync(target), 'no file is written from a corrupt blob');
  assert.deepEqual(fs.readdirSync(path.dirname(target)), [], 'no temp file is left beside it');
}

function writeMetrics(rel: string, n: number): void {
  fs.writeFileSync(path.join(root, rel), JSON.stringify({ accuracy: 0.9 + n / 100, notes: 'x'.repeat(5000) }));
}

test('setup: a store with raw and compressed versions', () => {
  assert.equal(mlsnap(['init'], opts).status, 0);
  fs.mkdirSync(path.join(root, 'models'));
});

test('small blobs: a flipped byte (raw, zstd) or bytes that are not zstd are refused everywhere, nothing sent', async () => {
  const cases: { rel: string; write: (n: number) => void; harm: (v: VersionInfo) => void; zst: boolean }[] = [
    {
      rel: 'models/a.pt',
      write: (n) => writeRandomFile(path.join(root, 'models', 'a.pt'), 300_000, n),
      harm: (v) => damage(v, (s) => Math.floor(s / 2)),
      zst: false,
    },
    {
      rel: 'flipped.json',
      write: (n) => writeMetrics('flipped.json', n),
      harm: (v) => damage(v, (s) => Math.floor(s / 2)),
      zst: true,
    },
    // The frame header (magic number) destroyed: the blob is not zstd at all.
    {
      rel: 'notzstd.json',
      write: (n) => writeMetrics('notzstd.json', n),
      harm: (v) => damage(v, () => 0, 8),
      zst: true,
    },
  ];
  for (const c of cases) {
    c.write(1);
    const good = record(c.rel);
    c.write(2);
    const bad = record(c.rel);
    assert.equal(blobFile(bad).endsWith('.zst'), c.zst, `${c.rel} is stored ${c.zst ? 'zstd' : 'raw'}`);
    c.harm(bad);
    const ref = `${c.rel}@${bad.seq}`;

    const out = cat(ref);
    assertRefused(out, ref);
    // Blobs this small are checked whole before the first byte is sent.
    assert.equal(out.stdout.length, 0, 'nothing of a corrupt version reaches stdout');
    await assertContentRefused(ref);
    const read = await api('version/read', { root, ref });
    assert.equal(read.kind, 'io', JSON.stringify(read));
    assert.ok(read.message?.includes(ref) && read.message.includes('mlsnap check'), read.message);
    assertRestoreRefused(ref);
    assertRefused(mlsnap(['diff', `${c.rel}@${good.seq}`, ref], opts), ref);
    // The intact version still reads.
    const ok = cat(`${c.rel}@${good.seq}`);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout.length, good.size);
  }
  assert.equal(mlsnap(['check'], opts).status, 10);
});

test('a large raw blob is checked as it streams: a late corruption cuts cat short, exit 8', async () => {
  writeRandomFile(path.join(root, 'models', 'late.safetensors'), LARGE, 3);
  const v = record('models/late.safetensors');
  damage(v, (s) => s - 10);
  const ref = `models/late.safetensors@${v.seq}`;
  const out = cat(ref);
  assertRefused(out, ref);
  // Bytes before the damage may have gone out, but never the whole: the last chunk is held back until the check passed.
  assert.ok(out.stdout.length < v.size, `${out.stdout.length} of ${v.size} bytes written`);
  // Over HTTP: the headers went out, so the connection is cut and the body ends short.
  const res = await getContent(ref);
  assert.equal(res.status, 200);
  assert.equal(res.length, String(v.size));
  assert.ok(res.error !== null, 'the response breaks off');
  assert.ok(res.body.length < v.size, `${res.body.length} of ${v.size} bytes sent`);
  assertRestoreRefused(ref);
});

test('a large raw blob of the wrong length, or large zstd that does not decode, fails before the first byte', async () => {
  writeRandomFile(path.join(root, 'models', 'short.pt'), LARGE, 4);
  const short = record('models/short.pt');
  fs.chmodSync(blobFile(short), 0o644);
  fs.truncateSync(blobFile(short), 1000);
  // Compressible, so stored as zstd; its first frame header destroyed.
  fs.writeFileSync(path.join(root, 'big.csv'), 'step,loss\n' + '1,0.5\n'.repeat(LARGE / 6));
  const big = record('big.csv');
  assert.ok(blobFile(big).endsWith('.zst'));
  damage(big, () => 0, 8);
  for (const v of [short, big]) {
    const ref = `${v.path}@${v.seq}`;
    const started = Date.now();
    const out = cat(ref);
    assertRefused(out, ref);
    assert.equal(out.stdout.length, 0);
    assert.ok(Date.now() - started < 10_000, 'a typed error at once, not a hang');
    await assertContentRefused(ref);
  }
});
