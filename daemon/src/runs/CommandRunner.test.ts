import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { OutputTail, runCommand, shellStatus } from './CommandRunner';

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

test('the tail keeps the last bytes, cut at a line start', () => {
  const tail = new OutputTail(16);
  tail.push(Buffer.from('line one\nline two\n'));
  tail.push(Buffer.from('line three\n'));
  assert.equal(tail.text(), 'line three\n');
  const short = new OutputTail(100);
  short.push(Buffer.from('a\nb'));
  assert.equal(short.text(), 'a\nb');
});

test('a real command: output passed through and kept, its exit status, a signal as 128 + N', async () => {
  const out = sink();
  const err = sink();
  const ok = await runCommand(['sh', '-c', 'echo to-out; echo to-err >&2; exit 3'], {
    cwd: '/',
    env: process.env,
    stdout: out.stream,
    stderr: err.stream,
  });
  assert.equal(ok.exitCode, 3);
  assert.equal(shellStatus(ok), 3);
  assert.match(out.text(), /to-out/);
  assert.match(err.text(), /to-err/);
  assert.match(ok.outputTail, /to-out\n[\s\S]*to-err|to-err\n[\s\S]*to-out/);
  const killed = await runCommand(['sh', '-c', 'kill -9 $$'], {
    cwd: '/',
    env: process.env,
    stdout: out.stream,
    stderr: err.stream,
  });
  assert.equal(killed.signal, 'SIGKILL');
  assert.equal(shellStatus(killed), 137);
  const missing = await runCommand(['no-such-command-xyz'], {
    cwd: '/',
    env: process.env,
    stdout: out.stream,
    stderr: err.stream,
  });
  assert.equal(shellStatus(missing), 127);
  assert.match(missing.startError ?? '', /command not found/);
});
