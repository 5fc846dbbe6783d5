import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExecError } from '../env/BoundedExec';
import { execLines } from './LineExec';

const SH = '/bin/sh';

function rejectsWith(p: Promise<unknown>, reason: ExecError['reason']): Promise<void> {
  return assert.rejects(p, (err: unknown) => err instanceof ExecError && err.reason === reason);
}

describe('execLines', () => {
  test('stdout line by line as it comes (CR stripped, the last line without its newline too)', async () => {
    const lines: string[] = [];
    const r = await execLines(SH, ['-c', 'printf "one\\r\\ntwo\\n"; sleep 0.1; printf three; echo oops >&2; exit 1'], {
      timeoutMs: 10_000,
      onLine: (line) => lines.push(line),
    });
    assert.deepEqual(lines, ['one', 'two', 'three']);
    assert.deepEqual(r.stdoutTail, ['one', 'two', 'three']);
    assert.equal(r.stderr, 'oops\n');
    assert.equal(r.code, 1);
  });

  test('a listener that throws does not break the run', async () => {
    const r = await execLines(SH, ['-c', 'echo a; echo b'], {
      timeoutMs: 10_000,
      onLine: () => {
        throw new Error('listener');
      },
    });
    assert.deepEqual(r.stdoutTail, ['a', 'b']);
    assert.equal(r.code, 0);
  });

  /** Whether a process of that id is still there (a reaped child is not). */
  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  test('at the deadline the group is killed and the child waited for; no line comes after', async () => {
    const lines: string[] = [];
    const run = execLines(SH, ['-c', 'echo $$; sleep 30 & sleep 30'], {
      timeoutMs: 300,
      onLine: (line) => lines.push(line),
    });
    await rejectsWith(run, 'timeout');
    assert.equal(lines.length, 1);
    assert.equal(alive(Number(lines[0])), false, 'the child has exited when the call rejects');
  });

  test('an abort while running kills the child and rejects as aborted once it is gone', async () => {
    const controller = new AbortController();
    let pid = 0;
    const run = execLines(SH, ['-c', 'echo $$; sleep 30'], {
      timeoutMs: 10_000,
      signal: controller.signal,
      onLine: (line) => {
        pid = Number(line);
        controller.abort();
      },
    });
    await rejectsWith(run, 'aborted');
    assert.ok(pid > 0);
    assert.equal(alive(pid), false);
  });
});
