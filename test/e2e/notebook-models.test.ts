import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { VersionInfo } from '../../shared/src/domain';
import type { CheckResult, RestoreResult, ShowResult } from '../../shared/src/protocol';
import { mlsnap, mlsnapBytes, mlsnapJson, REPO } from '../support/cli';
import { tempDir, waitFor } from '../support/tmp';

/**
 * The acceptance run: the demo notebook, executed for real by Debian's nbconvert,
 * writes torch, onnx and joblib models and a metrics file; mlsnap records each one with the
 * interpreter and packages that produced it.
 */
const home = tempDir('nb-home');
const root = tempDir('nb-project');
const opts = { cwd: root, home };
const MODELS = ['models/mlp.pt', 'models/mlp.onnx', 'models/logreg.joblib', 'metrics.json'];

after(() => {
  mlsnap(['daemon', 'stop'], opts);
});

function execute(): void {
  execFileSync('/usr/bin/python3', ['-m', 'nbconvert', '--to', 'notebook', '--execute', '--inplace', 'train.ipynb'], {
    cwd: root,
    stdio: 'pipe',
    timeout: 180_000,
    // A clean environment like a user's terminal: no pyenv hints that would steer the kernel.
    env: { ...process.env, MPLBACKEND: 'Agg' },
  });
}

function versions(p: string): VersionInfo[] {
  return mlsnapJson<VersionInfo[]>(['log', p], opts);
}

function installedVersion(dist: string): string {
  return execFileSync('/usr/bin/python3', ['-c', `import importlib.metadata as m; print(m.version(${JSON.stringify(dist)}))`], { encoding: 'utf8' }).trim();
}

test('executing the demo notebook records the notebook and every model with its environment', async () => {
  fs.cpSync(path.join(REPO, 'examples', 'demo'), root, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: root });
  assert.equal(mlsnap(['init'], opts).status, 0);
  assert.equal(versions('train.ipynb').length, 1, 'the committed notebook is recorded by the first scan');

  execute();
  for (const p of [...MODELS, 'train.ipynb']) {
    await waitFor(`a version of ${p}`, () => versions(p).length >= (p === 'train.ipynb' ? 2 : 1) || null, 30_000);
  }

  const show = mlsnapJson<ShowResult>(['show', 'models/mlp.pt@latest'], opts);
  const env = show.environment;
  assert.ok(env, 'the model has an environment');
  assert.equal(env.interpreter?.executable, '/usr/bin/python3');
  assert.equal(env.interpreter?.foundBy, 'lineage');
  assert.equal(show.version?.lineage?.sourcePath, 'train.ipynb');
  const pkgs = new Map(env.packages.map((p) => [p.name.toLowerCase(), p.version]));
  for (const dist of ['torch', 'scikit-learn', 'onnx']) {
    assert.equal(pkgs.get(dist), installedVersion(dist), `${dist} is recorded with its installed version`);
  }
  const nb = mlsnapJson<ShowResult>(['show', 'train.ipynb@latest'], opts);
  assert.equal(nb.environment?.interpreter?.executable, '/usr/bin/python3');
  assert.equal(nb.environment?.interpreter?.foundBy, 'kernelspec');
});

test('re-executing with a changed hyper-parameter gives second versions', async () => {
  const nbFile = path.join(root, 'train.ipynb');
  const source = fs.readFileSync(nbFile, 'utf8');
  assert.ok(source.includes('HIDDEN = 32'));
  fs.writeFileSync(nbFile, source.replace('HIDDEN = 32', 'HIDDEN = 64'));
  execute();
  for (const p of ['models/mlp.pt', 'models/mlp.onnx', 'metrics.json']) {
    await waitFor(`a second version of ${p}`, () => versions(p).length >= 2 || null, 30_000);
  }
  // The logistic regression does not depend on HIDDEN: same bytes, so no new version.
  assert.equal(versions('models/logreg.joblib').length, 1);
});

test('restore --to brings back the first model version byte for byte; check passes', () => {
  const first = mlsnapBytes(['cat', 'models/mlp.pt@1'], opts);
  const current = fs.readFileSync(path.join(root, 'models', 'mlp.pt'));
  assert.ok(!first.equals(current), 'the two trainings differ');
  const target = path.join(tempDir('nb-out'), 'mlp-v1.pt');
  const r = mlsnapJson<RestoreResult>(['restore', 'models/mlp.pt@1', '--to', target], opts);
  assert.equal(r.restored.seq, 1);
  assert.ok(fs.readFileSync(target).equals(first));
  assert.equal(first.length, versions('models/mlp.pt').find((v) => v.seq === 1)?.size);
  const check = mlsnapJson<CheckResult>(['check'], opts);
  assert.equal(check.ok, true, JSON.stringify(check.problems));
});
