import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openProject } from '../support/project';
import { tempDir } from '../support/tmp';

/**
 * Runs as the daemon keeps them (real store, real capture): what a run still binds after the
 * project is reopened mid-run, when its CLI died, and with a configured interpreter.
 */

function write(root: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

test('a run still going when the project is reopened keeps binding what it writes, and finishes', async () => {
  const root = tempDir('runs-reopen');
  let project = await openProject(root);
  const run = project.startRun({
    argv: ['/usr/bin/python3', 'train.py'],
    cwd: root,
    pid: process.pid,
    executable: '/usr/bin/python3',
    interpreterDetail: 'the command runs /usr/bin/python3',
    startedAt: Date.now(),
  });
  await project.close();
  project = await openProject(root);
  try {
    write(root, 'metrics.json', '{"loss": 0.5}\n');
    const recorded = await project.snapshot(['metrics.json'], 'manual', null);
    const version = recorded.snapshot?.versions[0];
    assert.equal(version?.runId, run.id, 'the reopened project still knows the run');
    const env = version?.environmentId ? project.store.environment(version.environmentId) : null;
    assert.equal(env?.interpreter?.foundBy, 'run');
    const done = await project.finishRun(run.id, {
      finishedAt: Date.now(),
      exitCode: 0,
      signal: null,
      outputTail: 'ok',
    });
    assert.deepEqual(
      done.versions.map((v) => v.path),
      ['metrics.json'],
    );
    assert.equal(done.run.exitCode, 0);
  } finally {
    await project.close();
  }
});

test('a run whose CLI died is over at once: files written after it are not its', async () => {
  const root = tempDir('runs-orphan');
  const project = await openProject(root);
  try {
    const gone = spawnSync('/bin/true').pid;
    assert.ok(gone !== undefined && gone > 0);
    project.startRun({
      argv: ['python3', 'train.py'],
      cwd: root,
      pid: gone,
      executable: '/usr/bin/python3',
      interpreterDetail: 'PATH',
      startedAt: Date.now() - 60_000,
    });
    // Past the run's slack after the moment it is noticed dead.
    await new Promise((r) => setTimeout(r, 10));
    project.hints.runFor(Date.now());
    await new Promise((r) => setTimeout(r, 2_100));
    write(root, 'later.json', '{"acc": 1}\n');
    const recorded = await project.snapshot(['later.json'], 'manual', null);
    assert.equal(recorded.snapshot?.versions[0]?.runId, undefined);
  } finally {
    await project.close();
  }
});

test('with a configured interpreter the file still belongs to the run', async () => {
  const root = tempDir('runs-configured');
  const project = await openProject(root, { interpreter: '/usr/bin/python3' });
  try {
    const run = project.startRun({
      argv: ['python3', 'train.py'],
      cwd: root,
      pid: process.pid,
      executable: '/usr/bin/python3',
      interpreterDetail: 'PATH',
      startedAt: Date.now(),
    });
    write(root, 'metrics.json', '{"loss": 0.1}\n');
    const recorded = await project.snapshot(['metrics.json'], 'manual', null);
    const version = recorded.snapshot?.versions[0];
    assert.equal(version?.runId, run.id);
    const env = version?.environmentId ? project.store.environment(version.environmentId) : null;
    assert.equal(env?.interpreter?.foundBy, 'configured');
  } finally {
    await project.close();
  }
});
