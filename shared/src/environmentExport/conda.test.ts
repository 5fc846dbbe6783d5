import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { toCondaYaml } from './conda';
import {
  CUDA_GOOD,
  cudaEnv,
  DEBIAN_DIRECT_GOOD,
  DEBIAN_FLAGGED,
  DEBIAN_GOOD,
  debianEnv,
  environment,
} from './environments.testkit';

interface CondaFile {
  name: string;
  dependencies: (string | { pip: string[] })[];
}

function pipOf(file: CondaFile): string[] {
  const pip = file.dependencies.find((d): d is { pip: string[] } => typeof d === 'object');
  return pip?.pip ?? [];
}

test('conda: python=X.Y, then the installable pins under pip, flagged ones as comments', () => {
  const text = toCondaYaml(debianEnv());
  const file = parse(text) as CondaFile;
  assert.equal(file.name, 'mlsnap-env');
  assert.deepEqual(file.dependencies.slice(0, 2), ['python=3.11', 'pip']);
  assert.deepEqual(pipOf(file).sort(), [...DEBIAN_GOOD, ...DEBIAN_DIRECT_GOOD].sort());
  for (const name of DEBIAN_FLAGGED) assert.match(text, new RegExp(`\\n {4}# ${name}[=@ ]`), name);
  assert.deepEqual(pipOf(parse(toCondaYaml(cudaEnv())) as CondaFile), CUDA_GOOD);
});

test('conda: a conda env lists its conda packages and leaves them out of pip', () => {
  const env = cudaEnv();
  env.conda = {
    prefix: '/opt/conda/envs/x',
    packages: [
      { name: 'python', version: '3.11.9', build: 'h955ad1f_0', channel: 'pkgs/main' },
      { name: 'numpy', version: '1.26.4' },
    ],
  };
  const file = parse(toCondaYaml(env, 'train')) as CondaFile;
  assert.equal(file.name, 'train');
  assert.deepEqual(file.dependencies.slice(0, 2), ['numpy=1.26.4', 'pkgs/main::python=3.11.9=h955ad1f_0']);
  assert.deepEqual(
    pipOf(file),
    CUDA_GOOD.filter((r) => !r.startsWith('numpy')),
  );
});

test('conda: with nothing installable there is no empty pip list, and names YAML would misread are quoted', () => {
  const env = environment('/usr/bin/python3', '3.11.2', [{ name: 'python-apt', version: '2.6.0', location: '/x' }]);
  const text = toCondaYaml(env, 'yes');
  const file = parse(text) as CondaFile;
  assert.equal(file.name, 'yes');
  assert.deepEqual(file.dependencies, ['python=3.11']);
  assert.match(text, /# python-apt==2\.6\.0/);
});
