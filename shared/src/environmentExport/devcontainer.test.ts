import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toDevcontainer } from './devcontainer';
import { cudaEnv, debianEnv } from './environments.testkit';

interface Devcontainer {
  name: string;
  build: { dockerfile: string; context: string };
  hostRequirements?: { gpu: boolean };
  runArgs?: string[];
  customizations: { vscode: { extensions: string[]; settings: Record<string, string> } };
}

test('devcontainer: names the Dockerfile and the venv interpreter; no GPU asked for when none was recorded', () => {
  const text = toDevcontainer(debianEnv());
  assert.ok(text.endsWith('}\n'));
  const c = JSON.parse(text) as Devcontainer;
  assert.equal(c.name, 'mlsnap: python 3.11.2');
  assert.deepEqual(c.build, { dockerfile: 'Dockerfile', context: '.' });
  assert.deepEqual(c.customizations.vscode.extensions, ['ms-python.python', 'ms-toolsai.jupyter']);
  assert.equal(c.customizations.vscode.settings['python.defaultInterpreterPath'], '/opt/venv/bin/python');
  assert.equal(c.hostRequirements, undefined);
  assert.equal(c.runArgs, undefined);
  assert.equal(text, JSON.stringify(c, null, 2) + '\n');
});

test('devcontainer: a GPU env asks for the GPU', () => {
  const c = JSON.parse(toDevcontainer(cudaEnv(), { dockerfile: 'gpu.Dockerfile' })) as Devcontainer;
  assert.equal(c.build.dockerfile, 'gpu.Dockerfile');
  assert.deepEqual(c.hostRequirements, { gpu: true });
  assert.deepEqual(c.runArgs, ['--gpus', 'all']);
});
