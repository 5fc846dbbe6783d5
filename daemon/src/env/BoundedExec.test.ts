import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExecError, execBounded } from './BoundedExec';

const SH = '/bin/sh';

function rejectsWith(p: Promise<unknown>, reason: ExecError['reason']): Promise<void> {
  return assert.rejects(p, (err: unknown) => err instanceof ExecError && err.reason === reason);
}

describe('execBounded', () => {
  test('stdout, stderr and the exit code of a child that finishes', async () => {
    const r = await execBounded(SH, ['-c', 'printf out; printf err >&2; exit 3'], { timeoutMs: 10_000 });
    assert.equal(r.stdout.toString('utf8'), 'out');
    assert.equal(r.stderr, 'err');
    assert.equal(r.code, 3);
    assert.equal(r.truncated, false);
  });

  test('stdout beyond maxStdoutBytes is cut there and the child stopped', async () => {
    const r = await execBounded(SH, ['-c', 'while :; do echo 0123456789; done'], {
      timeoutMs: 10_000,
      maxStdoutBytes: 1000,
    });
    assert.equal(r.stdout.length, 1000);
    assert.equal(r.truncated, true);
  });

  test('the deadline kills the whole group and settles without waiting for the pipes', async () => {
    const started = Date.now();
    await rejectsWith(execBounded(SH, ['-c', 'sleep 30 & sleep 30'], { timeoutMs: 200 }), 'timeout');
    assert.ok(Date.now() - started < 5_000);
  });

  test('an abort rejects as aborted, before the start or while running', async () => {
    await rejectsWith(execBounded(SH, ['-c', 'true'], { timeoutMs: 10_000, signal: AbortSignal.abort() }), 'aborted');
    const controller = new AbortController();
    const run = execBounded(SH, ['-c', 'sleep 30'], { timeoutMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await rejectsWith(run, 'aborted');
  });

  test('a missing executable is not-found', async () => {
    await rejectsWith(execBounded('/nonexistent/mlsnap-no-such-file', [], { timeoutMs: 10_000 }), 'not-found');
  });
});
