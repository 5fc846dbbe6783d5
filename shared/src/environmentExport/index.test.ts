import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cudaEnv, DEBIAN_FLAGGED, debianEnv } from './environments.testkit';
import { EXPORT_FORMATS, exportEnvironment } from './index';
import { toDockerfile } from './dockerfile';

test('exportEnvironment: the files of each format, the flagged pins, where lockfiles go', () => {
  const paths = EXPORT_FORMATS.map((f) => exportEnvironment(debianEnv(), f).files.map((file) => file.path));
  assert.deepEqual(paths, [
    ['requirements.txt'],
    ['environment.yml'],
    ['pyproject.toml'],
    ['Dockerfile'],
    ['.devcontainer/devcontainer.json', '.devcontainer/Dockerfile'],
  ]);
  for (const f of EXPORT_FORMATS) {
    const r = exportEnvironment(debianEnv(), f);
    assert.deepEqual(r.flagged.map((p) => p.name).sort(), [...DEBIAN_FLAGGED].sort(), f);
    assert.equal(r.lockfileDir, f === 'devcontainer' ? '.devcontainer' : '', f);
  }
  assert.deepEqual(exportEnvironment(cudaEnv(), 'requirements').flagged, []);
});

test('exportEnvironment: the devcontainer Dockerfile copies the lockfiles from its own folder', () => {
  const r = exportEnvironment(cudaEnv(), 'devcontainer', { lockfiles: ['uv.lock'] });
  assert.equal(r.files[1]?.content, toDockerfile(cudaEnv(), { lockfiles: ['uv.lock'] }));
  assert.match(r.files[1]?.content ?? '', /\nCOPY uv\.lock \/workspace\/uv\.lock\n/);
  assert.equal(
    (JSON.parse(r.files[0]?.content ?? '{}') as { build: { dockerfile: string } }).build.dockerfile,
    'Dockerfile',
  );
});
