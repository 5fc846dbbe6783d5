import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { VersionInfo } from '../../shared/src/domain';
import type { VersionDiff } from '../../shared/src/diff';
import type { CheckResult, RestoreResult, ShowResult } from '../../shared/src/protocol';
import { DockerfileParser } from 'dockerfile-ast';
import { classifyPins } from '../../shared/src/environmentExport/pins';
import { mlsnap, mlsnapBytes, mlsnapJson, REPO } from '../support/cli';
import { executeNotebook } from '../support/notebooks';
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

function versions(p: string): VersionInfo[] {
  return mlsnapJson<VersionInfo[]>(['log', p], opts);
}

function installedVersion(dist: string): string {
  return execFileSync(
    '/usr/bin/python3',
    ['-c', `import importlib.metadata as m; print(m.version(${JSON.stringify(dist)}))`],
    { encoding: 'utf8' },
  ).trim();
}

test('executing the demo notebook records the notebook and every model with its environment', async () => {
  fs.cpSync(path.join(REPO, 'examples', 'demo'), root, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: root });
  assert.equal(mlsnap(['init'], opts).status, 0);
  assert.equal(versions('train.ipynb').length, 1, 'the committed notebook is recorded by the first scan');

  executeNotebook(root);
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

test("the demo model's Dockerfile parses back: the recorded Python, every installable pin, Debian's builds flagged", () => {
  const out = tempDir('nb-docker');
  const r = mlsnap(['env', 'models/mlp.pt@latest', '--format', 'dockerfile', '--out', out], opts);
  assert.equal(r.status, 0, r.stderr);
  // Debian's torch is a local build no index has; the CLI says so on stderr and leaves it out.
  assert.match(r.stderr, /torch==1\.13\.0a0\+gitunknown/);
  const env = mlsnapJson<ShowResult>(['show', 'models/mlp.pt@latest'], opts).environment;
  assert.ok(env);
  const dockerfile = DockerfileParser.parse(fs.readFileSync(path.join(out, 'Dockerfile'), 'utf8'));
  assert.deepEqual(
    dockerfile.getFROMs().map((f) => f.getImage()),
    [`python:${env.interpreter?.version ?? ''}-slim`],
  );
  const install = dockerfile
    .getInstructions()
    .filter((i) => i.getKeyword() === 'RUN' && /pip install/.test(i.getArgumentsContent() ?? ''))
    .map((i) => i.getArgumentsContent() ?? '')
    .join(' ');
  const words = new Set(install.split(/[\s\\]+/).map((w) => w.replace(/^'(.*)'$/, '$1')));
  const pins = classifyPins(env);
  assert.ok(pins.length > 100, `the system Python's packages: ${pins.length}`);
  for (const pin of pins) {
    if (pin.problem === null)
      assert.ok(words.has(pin.requirement), `${pin.requirement} is installed by the Dockerfile`);
    else assert.ok(!words.has(pin.requirement), `${pin.requirement} (${pin.problem.kind}) is not`);
  }
  assert.ok(pins.some((p) => p.name === 'torch' && p.problem?.kind === 'local-version'));
  const comments = dockerfile
    .getComments()
    .map((c) => c.getContent())
    .join('\n');
  assert.match(comments, /torch/);
});

test('re-executing with a changed hyper-parameter gives second versions', async () => {
  const nbFile = path.join(root, 'train.ipynb');
  const source = fs.readFileSync(nbFile, 'utf8');
  assert.ok(source.includes('HIDDEN = 32'));
  fs.writeFileSync(nbFile, source.replace('HIDDEN = 32', 'HIDDEN = 64'));
  executeNotebook(root);
  for (const p of ['models/mlp.pt', 'models/mlp.onnx', 'metrics.json']) {
    await waitFor(`a second version of ${p}`, () => versions(p).length >= 2 || null, 30_000);
  }
  // The logistic regression does not depend on HIDDEN: same bytes, so no new version.
  assert.equal(versions('models/logreg.joblib').length, 1);
});

test('diff names the changed cell and its outputs, and the reshaped tensors of .pt and .onnx', () => {
  const nb = mlsnapJson<VersionDiff>(['diff', 'train.ipynb@2', 'train.ipynb@latest'], opts);
  assert.equal(nb.file.type, 'notebook');
  if (nb.file.type !== 'notebook') return;
  const params = nb.file.cells.find((c) => c.id === 'parameters');
  assert.equal(params?.status, 'modified');
  assert.ok(params?.sourceDiff?.some((l) => l.op === 'add' && l.text.includes('HIDDEN = 64')));
  const training = nb.file.cells.find((c) => c.id === 'train-mlp');
  assert.ok((training?.outputChanges.length ?? 0) > 0, 'the training cell printed other numbers');
  const text = mlsnap(['diff', 'train.ipynb@2', 'train.ipynb@latest'], opts).stdout;
  assert.match(text, /MODIFIED code cell parameters/);
  assert.match(text, /\+ HIDDEN = 64/);

  // params(H) = 64·H + H + 10·H + 10, so 32 → 64 adds 75 · 32 = 2,400.
  for (const model of ['models/mlp.pt', 'models/mlp.onnx']) {
    const d = mlsnapJson<VersionDiff>(['diff', `${model}@1`, `${model}@2`], opts);
    assert.equal(d.file.type, 'model', model);
    if (d.file.type !== 'model') continue;
    assert.equal(d.file.paramsAfter - d.file.paramsBefore, 2400, model);
    const reshaped = d.file.tensors.filter((t) => t.status === 'reshaped').map((t) => t.name);
    assert.equal(reshaped.length, 3, `${model}: ${reshaped.join(', ')}`);
    assert.match(d.summary, /32→64/);
    assert.match(d.summary, /\+2,400 params/);
  }
});

test('diff of safetensors written to the spec names the reshaped tensors; a version with itself has no change', () => {
  const fixtures = path.join(REPO, 'test', 'fixtures', 'models');
  const target = path.join(root, 'models', 'w.safetensors');
  fs.copyFileSync(path.join(fixtures, 'mlp_h32.safetensors'), target);
  mlsnapJson(['snapshot', 'models/w.safetensors'], opts);
  fs.copyFileSync(path.join(fixtures, 'mlp_h64.safetensors'), target);
  mlsnapJson(['snapshot', 'models/w.safetensors'], opts);
  const d = mlsnapJson<VersionDiff>(['diff', 'models/w.safetensors@1', 'models/w.safetensors@2'], opts);
  assert.equal(d.file.type, 'model');
  assert.match(d.summary, /32→64/);
  assert.ok(d.file.type === 'model' && d.file.tensors.some((t) => t.status === 'reshaped'));
  for (const ref of ['models/w.safetensors@2', 'models/mlp.pt@2', 'train.ipynb@latest', 'metrics.json@2']) {
    const same = mlsnapJson<VersionDiff>(['diff', ref, ref], opts);
    assert.equal(same.identical, true, ref);
    assert.match(same.summary, /no change/, ref);
  }
});

test('metrics diff flags the direction of each change', () => {
  const d = mlsnapJson<VersionDiff>(['diff', 'metrics.json@1', 'metrics.json@2'], opts);
  assert.equal(d.file.type, 'metrics');
  if (d.file.type !== 'metrics') return;
  const loss = d.file.changes.find((c) => c.key === 'mlp_loss');
  assert.equal(loss?.better, 'down');
  assert.equal(loss?.regression, (loss?.delta ?? 0) > 0);
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
