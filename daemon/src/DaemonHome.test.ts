import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../../test/support/tmp';
import { acquireLock, isAlive } from './DaemonHome';

/**
 * A daemon killed with -9 whose parent does not reap it is a zombie: kill(pid, 0) still finds
 * it, but it holds nothing. Its lock must not keep the next daemon from starting.
 */
test('a zombie holds no daemon lock', async () => {
  // A parent that forks a child which exits at once, and never reaps it.
  const parent = spawn('/usr/bin/python3', [
    '-c',
    'import os, sys, time\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nprint(pid, flush=True)\ntime.sleep(30)',
  ]);
  try {
    const zombie = await new Promise<number>((resolve) =>
      parent.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
    );
    // Wait until the child has exited and is a zombie.
    for (let i = 0; i < 100 && !fs.readFileSync(`/proc/${zombie}/stat`, 'utf8').includes(') Z'); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(isAlive(zombie), false, 'a zombie is not alive');
    assert.equal(isAlive(parent.pid as number), true, 'a sleeping process is');
    const home = tempDir('zombie-lock');
    fs.writeFileSync(path.join(home, 'daemon.lock'), String(zombie));
    const lock = acquireLock(home);
    assert.ok('release' in lock, "the zombie's lock was taken over");
    lock.release();
  } finally {
    parent.kill('SIGKILL');
  }
});
