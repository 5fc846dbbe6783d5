import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ReproduceResult } from '../../shared/src/reproduce';
import { mlsnap, mlsnapJson } from '../support/cli';
import { tempDir } from '../support/tmp';

/**
 * Reproduce, offline: a venv of two wheels built here (Debian's setuptools and wheel), a model
 * written from it by `mlsnap run`, rebuilt by `mlsnap reproduce --find-links` into an
 * identical freeze; with one wheel gone, reproduce names it and exits non-zero.
 */
const home = tempDir('repro-home');
const root = tempDir('repro-project');
const wheels = tempDir('repro-wheels');
const opts = { cwd: root, home };
const WHEELS = [
  { name: 'mlsnap-demo-alpha', module: 'mlsnap_demo_alpha', version: '1.2.0' },
  { name: 'mlsnap-demo-beta', module: 'mlsnap_demo_beta', version: '0.3.1' },
];

function buildWheel(w: (typeof WHEELS)[number]): void {
  const src = tempDir(`repro-src-${w.module}`);
  fs.writeFileSync(
    path.join(src, 'setup.py'),
    `from setuptools import setup\nsetup(name=${JSON.stringify(w.name)}, version=${JSON.stringify(w.version)}, py_modules=[${JSON.stringify(w.module)}])\n`,
  );
  fs.writeFileSync(path.join(src, `${w.module}.py`), `VERSION = ${JSON.stringify(w.version)}\n`);
  execFileSync('/usr/bin/python3', ['setup.py', '-q', 'bdist_wheel', '--dist-dir', wheels], {
    cwd: src,
    stdio: 'pipe',
  });
}

function freeze(python: string): string {
  return execFileSync(python, ['-m', 'pip', 'freeze', '--all', '--disable-pip-version-check'], { encoding: 'utf8' });
}

const source = path.join(root, 'wenv', 'bin', 'python');

before(() => {
  for (const w of WHEELS) buildWheel(w);
  execFileSync('/usr/bin/python3', ['-m', 'venv', path.join(root, 'wenv')]);
  execFileSync(source, [
    '-m',
    'pip',
    'install',
    '-q',
    '--no-index',
    '--find-links',
    wheels,
    ...WHEELS.map((w) => w.name),
  ]);
  fs.writeFileSync(
    path.join(root, 'make_model.py'),
    [
      'import json, os, struct',
      'import mlsnap_demo_alpha, mlsnap_demo_beta',
      '# safetensors, as the format says: u64 header length, JSON header, raw little-endian tensor bytes.',
      'data = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)',
      'header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, len(data)]},',
      '                     "__metadata__": {"alpha": mlsnap_demo_alpha.VERSION}}).encode()',
      'os.makedirs("models", exist_ok=True)',
      'with open("models/tiny.safetensors", "wb") as f:',
      '    f.write(struct.pack("<Q", len(header)) + header + data)',
    ].join('\n'),
  );
  assert.equal(mlsnap(['init'], opts).status, 0);
  const run = mlsnap(['run', '--', 'wenv/bin/python', 'make_model.py'], opts);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /models\/tiny\.safetensors@1/);
});

after(() => {
  mlsnap(['daemon', 'stop'], opts);
});

test("the model's environment is the venv of local wheels, exported with both pins", () => {
  const requirements = mlsnap(['env', 'models/tiny.safetensors@latest', '--format', 'requirements'], opts);
  assert.equal(requirements.status, 0, requirements.stderr);
  for (const w of WHEELS)
    assert.match(requirements.stdout, new RegExp(`^${w.name}==${w.version.replaceAll('.', '\\.')}$`, 'm'));
});

test('reproduce --find-links gives a venv whose freeze is identical to the one that wrote the model', () => {
  const dir = path.join(tempDir('repro-out'), 'venv');
  const r = mlsnap(['reproduce', 'models/tiny.safetensors@latest', '--dir', dir, '--find-links', wheels], {
    ...opts,
    timeoutMs: 300_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /identical/);
  assert.match(r.stdout, /Python 3\.11\.2/);
  assert.equal(freeze(path.join(dir, 'bin', 'python')), freeze(source));
});

test('with a wheel gone, reproduce names the package it cannot install and exits 13', () => {
  const beta = fs.readdirSync(wheels).find((f) => f.startsWith('mlsnap_demo_beta'));
  assert.ok(beta, 'the beta wheel was built');
  fs.rmSync(path.join(wheels, beta));
  const dir = path.join(tempDir('repro-out2'), 'venv');
  const r = mlsnap(['reproduce', 'models/tiny.safetensors@latest', '--dir', dir, '--find-links', wheels, '--json'], {
    ...opts,
    timeoutMs: 300_000,
  });
  assert.equal(r.status, 13, r.stderr);
  const result = JSON.parse(r.stdout) as ReproduceResult;
  assert.equal(result.identical, false);
  assert.deepEqual(
    result.differences.map((d) => [d.status, d.name]),
    [['missing', 'mlsnap-demo-beta']],
  );
  assert.match(result.differences[0]?.reason ?? '', /mlsnap-demo-beta/i);
  const human = mlsnap(
    ['reproduce', 'models/tiny.safetensors@latest', '--dir', `${dir}-again`, '--find-links', wheels],
    {
      ...opts,
      timeoutMs: 300_000,
    },
  );
  assert.equal(human.status, 13);
  assert.match(human.stdout, /missing\s+mlsnap-demo-beta/);
});

test('reproduce refuses a folder that is not empty, naming it', () => {
  const dir = tempDir('repro-full');
  fs.writeFileSync(path.join(dir, 'keep.txt'), 'mine');
  const r = mlsnap(['reproduce', 'models/tiny.safetensors@latest', '--dir', dir], opts);
  assert.equal(r.status, 2, r.stderr);
  assert.ok(r.stderr.includes(dir), r.stderr);
  assert.equal(fs.readFileSync(path.join(dir, 'keep.txt'), 'utf8'), 'mine');
  assert.ok(mlsnapJson<unknown[]>(['log', 'models/tiny.safetensors'], opts).length >= 1);
});
