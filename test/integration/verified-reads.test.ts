import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { VersionInfo } from '../../shared/src/domain';
import type { DaemonFile, SnapshotResult } from '../../shared/src/protocol';
import { mlsnap, mlsnapJson } from '../support/cli';
import { tempDir, writeRandomFile } from '../support/tmp';

const home = tempDir('verify-home');
const root = tempDir('verify-project');
const opts = { cwd: root, home };

after(() => {
  mlsnap(['daemon', 'stop'], opts);
});

function record(rel: string): VersionInfo {
  const r = mlsnapJson<SnapshotResult>(['snapshot', rel], opts);
  const v = r.snapshot?.versions.find((x) => x.path === rel) ?? mlsnapJson<VersionInfo[]>(['log', rel], opts)[0];
  assert.ok(v, rel);
  return v;
}

function blobFile(v: VersionInfo): string {
  const dir = path.join(root, '.mlsnap', 'blobs', v.blob.slice(0, 2));
  const raw = path.join(dir, v.blob);
  return fs.existsSync(raw) ? raw : `${raw}.zst`;
}

/** Flip one byte of a stored blob (blobs are read-only: chmod first). */
function corrupt(v: VersionInfo, at: (size: number) => number): void {
  const file = blobFile(v);
  fs.chmodSync(file, 0o644);
  const fd = fs.openSync(file, 'r+');
  const pos = at(fs.fstatSync(fd).size);
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, pos);
  b[0] = (b[0] as number) ^ 0xff;
  fs.writeSync(fd, b, 0, 1, pos);
  fs.closeSync(fd);
}

async function api(
  method: string,
  params: unknown,
): Promise<{ status: number; body: { kind?: string; message?: string } }> {
  const info = JSON.parse(fs.readFileSync(path.join(home, 'daemon.json'), 'utf8')) as DaemonFile;
  const res = await fetch(`http://127.0.0.1:${info.port}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-mlsnap-token': info.token },
    body: JSON.stringify(params),
  });
  return { status: res.status, body: (await res.json()) as { kind?: string; message?: string } };
}

function assertRefused(r: { status: number; stderr: string }, ref: string): void {
  assert.equal(r.status, 8, r.stderr);
  assert.ok(r.stderr.includes(ref), r.stderr);
  assert.match(r.stderr, /mlsnap check/);
}

test('a corrupt blob, raw or compressed, is refused by cat, the editor read, restore and diff', async () => {
  assert.equal(mlsnap(['init'], opts).status, 0);
  fs.mkdirSync(path.join(root, 'models'));
  writeRandomFile(path.join(root, 'models', 'a.pt'), 300_000, 1);
  const raw1 = record('models/a.pt');
  writeRandomFile(path.join(root, 'models', 'a.pt'), 300_000, 2);
  const raw2 = record('models/a.pt');
  fs.writeFileSync(
    path.join(root, 'metrics.json'),
    JSON.stringify({ accuracy: 0.9, loss: 0.3, notes: 'x'.repeat(5000) }),
  );
  const zst = record('metrics.json');
  assert.ok(blobFile(zst).endsWith('.zst'), 'metrics are stored compressed');
  assert.ok(!blobFile(raw2).endsWith('.zst'), 'weights are stored raw');

  corrupt(raw2, (n) => Math.floor(n / 2));
  corrupt(zst, (n) => n - 6); // inside the last frame: decompression or the hash fails

  for (const v of [raw2, zst]) {
    const ref = `${v.path}@${v.seq}`;
    const cat = mlsnap(['cat', ref], opts);
    assertRefused(cat, ref);
    assert.equal(cat.stdout.length, 0, 'nothing of a corrupt version reaches stdout');
    const read = await api('version/read', { root, ref });
    assert.equal(read.body.kind, 'io', JSON.stringify(read.body));
    const target = path.join(tempDir('verify-out'), 'x');
    assertRefused(mlsnap(['restore', ref, '--to', target], opts), ref);
    assert.ok(!fs.existsSync(target), 'no file is written from a corrupt blob');
  }
  const diffNb = mlsnap(['diff', `metrics.json@${zst.seq}`], opts);
  assert.notEqual(diffNb.status, 0);
  // Comparing tensor bytes reads the whole model: it checks the hash first.
  assertRefused(
    mlsnap(['diff', `models/a.pt@${raw1.seq}`, `models/a.pt@${raw2.seq}`, '--bytes'], opts),
    `models/a.pt@${raw2.seq}`,
  );
  // The intact version still reads.
  assert.equal(mlsnap(['cat', `models/a.pt@${raw1.seq}`], opts).status, 0);
  assert.equal(mlsnap(['check'], opts).status, 10);
});

test('a large raw blob is checked as it streams: a late corruption ends cat with exit 8', () => {
  writeRandomFile(path.join(root, 'models', 'big.safetensors'), 80 * 1024 * 1024, 3);
  const v = record('models/big.safetensors');
  corrupt(v, (n) => n - 10);
  const ref = `models/big.safetensors@${v.seq}`;
  const cat = mlsnap(['cat', ref], opts);
  assertRefused(cat, ref);
  assert.ok(cat.stdout.length < v.size, 'the stream stops before the end');
});
