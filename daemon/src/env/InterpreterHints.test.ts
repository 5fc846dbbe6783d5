import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InterpreterHints } from './InterpreterHints';

const run = (runId: string, startedMs: number) => ({
  runId,
  argv: ['python', 'train.py'],
  cwd: '/p',
  pid: null,
  executable: '/p/.venv/bin/python',
  detail: 'PATH',
  startedMs,
  finishedMs: null,
});

test('a file belongs to the newest run whose window holds its mtime, with slack for clocks and flushes', () => {
  const hints = new InterpreterHints();
  hints.startRun(run('r1', 10_000));
  assert.equal(hints.runFor(8_000, 20_000), null, 'written before the run started');
  assert.equal(hints.runFor(9_500, 20_000)?.runId, 'r1', 'mtime granularity before the start');
  assert.equal(hints.runFor(19_000, 20_000)?.runId, 'r1', 'while it runs');
  hints.finishRun('r1', 30_000);
  assert.equal(hints.runFor(31_500, 40_000)?.runId, 'r1', 'flushed just after it ended');
  assert.equal(hints.runFor(33_000, 40_000), null, 'written after it ended');
  hints.startRun(run('r2', 25_000));
  assert.equal(hints.runFor(28_000, 40_000)?.runId, 'r2', 'the newer of two overlapping runs');
});

test('finished runs are forgotten after ten minutes; the editor kernel hint is per notebook', () => {
  const hints = new InterpreterHints();
  hints.startRun(run('r1', Date.now() - 20 * 60_000));
  hints.finishRun('r1', Date.now() - 15 * 60_000);
  assert.equal(hints.runFor(Date.now() - 16 * 60_000), null);
  assert.equal(hints.finishRun('nope', 1), null);
  hints.setKernel('a.ipynb', { executable: '/v/bin/python', how: 'jupyter', atMs: 1 });
  assert.equal(hints.kernelOf('a.ipynb')?.executable, '/v/bin/python');
  assert.equal(hints.kernelOf('b.ipynb'), null);
});
