import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir, waitFor } from '../../../test/support/tmp';
import { SettleTracker } from './SettleTracker';

test('a file written in pieces settles once, after its last write', async () => {
  const dir = tempDir('settle');
  const file = path.join(dir, 'ckpt.pt');
  const settled: string[][] = [];
  const t = new SettleTracker(150, (p) => settled.push(p));
  for (let i = 0; i < 8; i++) {
    fs.appendFileSync(file, Buffer.alloc(1000, i));
    t.touch(file);
    await new Promise((r) => setTimeout(r, 60));
  }
  const lastWrite = Date.now();
  await waitFor('settled', () => settled.length > 0 || null, 3000);
  assert.ok(Date.now() - lastWrite >= 80, 'not before the settle delay after the last write');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(settled, [[file]]);
  t.dispose();
});

test('an old file (renamed into place) settles at once; the watcher delay is not added', async () => {
  const dir = tempDir('settle');
  const file = path.join(dir, 'old.onnx');
  fs.writeFileSync(file, 'x');
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(file, past, past);
  const settled: string[][] = [];
  const t = new SettleTracker(300, (p) => settled.push(p));
  const start = Date.now();
  t.touch(file);
  await waitFor('settled', () => settled.length > 0 || null, 3000);
  assert.ok(Date.now() - start < 200, `settled after ${Date.now() - start} ms`);
  t.dispose();
});

test('a file with an mtime in the future still settles (two agreeing stats)', async () => {
  const dir = tempDir('settle');
  const file = path.join(dir, 'skewed.pkl');
  fs.writeFileSync(file, 'x');
  const future = new Date(Date.now() + 3_600_000);
  fs.utimesSync(file, future, future);
  const settled: string[][] = [];
  const t = new SettleTracker(100, (p) => settled.push(p));
  t.touch(file);
  await waitFor('settled', () => settled.length > 0 || null, 3000);
  t.dispose();
});

test('a file deleted before it settles is dropped', async () => {
  const dir = tempDir('settle');
  const file = path.join(dir, 'tmp.json');
  fs.writeFileSync(file, '{}');
  const settled: string[][] = [];
  const t = new SettleTracker(100, (p) => settled.push(p));
  t.touch(file);
  fs.rmSync(file);
  await new Promise((r) => setTimeout(r, 400));
  assert.deepEqual(settled, []);
  assert.equal(t.pendingCount, 0);
  t.dispose();
});
