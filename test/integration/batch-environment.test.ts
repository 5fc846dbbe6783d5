import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentInfo, VersionInfo } from '../../shared/src/domain';
import { mlsnap, mlsnapJson } from '../support/cli';
import { tempDir, waitFor, writeRandomFile } from '../support/tmp';

/**
 * Small files recorded together (a first scan) share environment captures only within a
 * series: a notebook keeps the kernel its metadata names even beside a metrics file that the
 * project's venv is the interpreter of. Sharing by folder gave a notebook the venv (CI).
 */
const home = tempDir('batchenv-home');
const root = tempDir('batchenv-project');
const opts = { cwd: root, home };

after(() => {
  mlsnap(['daemon', 'stop'], opts);
});

function notebookRunBy(executable: string): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      vscode: { interpreter: { hash: createHash('sha256').update(executable).digest('hex') } },
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
    },
    cells: [{ id: 'c0', cell_type: 'code', source: 'import json', metadata: {}, outputs: [], execution_count: null }],
  });
}

function interpreterOf(ref: string): NonNullable<EnvironmentInfo['interpreter']> {
  const env = mlsnapJson<EnvironmentInfo>(['env', ref], opts);
  assert.ok(env.interpreter, `${ref} was recorded with an interpreter`);
  return env.interpreter;
}

test('a first scan: the notebook keeps its kernel, the files beside it the project venv, a checkpoint series one capture', async () => {
  execFileSync('/usr/bin/python3', ['-m', 'venv', path.join(root, '.venv')]);
  // Names sorted before the notebook's: with one capture per folder they were captured first.
  for (const name of ['metrics-a.json', 'metrics-b.json', 'metrics.json'])
    fs.writeFileSync(path.join(root, name), '{"loss": 0.25}\n');
  fs.writeFileSync(path.join(root, 'train.ipynb'), notebookRunBy('/usr/bin/python3'));
  fs.mkdirSync(path.join(root, 'ckpt'));
  for (let i = 1; i <= 3; i++) writeRandomFile(path.join(root, 'ckpt', `step${i}.pt`), 4096, i);
  assert.equal(mlsnap(['init'], opts).status, 0);
  const tracked = [
    'metrics-a.json',
    'metrics-b.json',
    'metrics.json',
    'train.ipynb',
    ...[1, 2, 3].map((i) => `ckpt/step${i}.pt`),
  ];
  await waitFor(
    'every file recorded',
    () => tracked.every((rel) => mlsnapJson<VersionInfo[]>(['log', rel], opts).length === 1),
    30_000,
  );

  const nb = interpreterOf('train.ipynb@1');
  assert.equal(nb.foundBy, 'notebook-metadata', nb.detail);
  assert.equal(nb.executable, '/usr/bin/python3');
  for (const rel of tracked.filter((r) => r !== 'train.ipynb')) {
    const it = interpreterOf(`${rel}@1`);
    assert.equal(it.foundBy, 'virtualenv', `${rel}: ${it.detail}`);
    assert.equal(it.executable, path.join(root, '.venv', 'bin', 'python3'), rel);
  }
});
