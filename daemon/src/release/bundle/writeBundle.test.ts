import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { MlsnapError } from '../../../../shared/src/errors';
import { tempDir } from '../../../../test/support/tmp';
import { bundleFiles, type BundleFile } from './DeploymentBundle';
import { writeBundle } from './writeBundle';

const FILES: BundleFile[] = [
  { path: 'Dockerfile', content: 'FROM python:3-slim\n' },
  { path: 'compose.yaml', content: 'services: {}\n' },
  { path: 'README.md', content: '# bundle\n' },
];
const MODEL = Buffer.from('model bytes');

function writeModelTo(calls: string[]): (dest: string) => Promise<void> {
  return async (dest) => {
    calls.push(dest);
    await fsp.writeFile(dest, MODEL);
  };
}

/** Every file and link below `dir`, relative, sorted, with its content (links: their target). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const abs = path.join(dir, rel);
    const st = fs.lstatSync(abs);
    if (st.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(abs)}`;
    else if (st.isFile()) out[rel] = fs.readFileSync(abs, 'utf8');
  }
  return out;
}

async function rejectsConflict(run: Promise<unknown>, match: RegExp, file: string): Promise<void> {
  await assert.rejects(run, (e: unknown) => {
    assert.ok(e instanceof MlsnapError, String(e));
    assert.equal(e.kind, 'conflict');
    assert.match(e.message, match);
    assert.equal(e.path, file);
    return true;
  });
}

test('writes every file and the model into a new folder, returns them sorted, leaves no temp files', async () => {
  const dir = path.join(tempDir('bundle-write'), 'out', 'nested');
  const calls: string[] = [];
  const written = await writeBundle({
    dir,
    force: false,
    files: FILES,
    modelFile: 'model/mlp.pt',
    writeModel: writeModelTo(calls),
  });
  assert.deepEqual(written, ['Dockerfile', 'README.md', 'compose.yaml', 'model/mlp.pt']);
  assert.deepEqual(calls, [path.join(dir, 'model', 'mlp.pt')]);
  assert.deepEqual(snapshot(dir), {
    Dockerfile: 'FROM python:3-slim\n',
    'compose.yaml': 'services: {}\n',
    'README.md': '# bundle\n',
    'model/mlp.pt': 'model bytes',
  });
});

test('an existing target without force: refused before anything is written; with force: overwritten', async () => {
  const dir = tempDir('bundle-conflict');
  fs.writeFileSync(path.join(dir, 'README.md'), 'mine\n');
  const calls: string[] = [];
  const run = writeBundle({
    dir,
    force: false,
    files: FILES,
    modelFile: 'model/mlp.pt',
    writeModel: writeModelTo(calls),
  });
  await rejectsConflict(
    run,
    /README\.md exists; pass --force to overwrite it, or pick another --to$/,
    path.join(dir, 'README.md'),
  );
  assert.deepEqual(calls, [], 'the model was not written');
  assert.deepEqual(snapshot(dir), { 'README.md': 'mine\n' }, 'nothing else was written');

  const again = await writeBundle({
    dir,
    force: true,
    files: FILES,
    modelFile: 'model/mlp.pt',
    writeModel: writeModelTo(calls),
  });
  assert.equal(again.length, 4);
  assert.equal(fs.readFileSync(path.join(dir, 'README.md'), 'utf8'), '# bundle\n');
});

test('an existing model file is a conflict too, and force replaces it', async () => {
  const dir = tempDir('bundle-model-conflict');
  fs.mkdirSync(path.join(dir, 'model'));
  fs.writeFileSync(path.join(dir, 'model', 'mlp.pt'), 'old');
  const target = path.join(dir, 'model', 'mlp.pt');
  const opts = { dir, files: FILES, modelFile: 'model/mlp.pt', writeModel: writeModelTo([]) };
  await rejectsConflict(writeBundle({ ...opts, force: false }), /exists; pass --force/, target);
  await writeBundle({ ...opts, force: true });
  assert.equal(fs.readFileSync(target, 'utf8'), 'model bytes');
});

test('symbolic links are refused even with force: a linked file, a linked folder on the way', async () => {
  const dir = tempDir('bundle-symlink');
  const outside = tempDir('bundle-outside');
  fs.writeFileSync(path.join(outside, 'victim'), 'keep me');
  fs.symlinkSync(path.join(outside, 'victim'), path.join(dir, 'Dockerfile'));
  const opts = { dir, force: true, files: FILES, modelFile: 'model/mlp.pt', writeModel: writeModelTo([]) };
  await rejectsConflict(writeBundle(opts), /is a symbolic link/, path.join(dir, 'Dockerfile'));
  fs.rmSync(path.join(dir, 'Dockerfile'));
  fs.symlinkSync(outside, path.join(dir, 'model'));
  await rejectsConflict(writeBundle(opts), /is a symbolic link/, path.join(dir, 'model'));
  assert.deepEqual(snapshot(outside), { victim: 'keep me' }, 'nothing written through the links');
  assert.deepEqual(fs.readdirSync(dir), ['model'], 'nothing written in the bundle folder');
});

test('paths that would escape the folder, and a folder where a file goes, are refused', async () => {
  const dir = tempDir('bundle-escape');
  const base = { dir, force: true, modelFile: 'model/m.pt', writeModel: writeModelTo([]) };
  for (const bad of ['../evil', '/etc/passwd', 'a/../../evil', 'a//b', './x', '']) {
    await assert.rejects(
      writeBundle({ ...base, files: [{ path: bad, content: 'x' }] }),
      (e: unknown) => e instanceof MlsnapError && e.kind === 'bad-request' && e.message.includes('outside'),
      JSON.stringify(bad),
    );
  }
  await assert.rejects(
    writeBundle({ ...base, modelFile: '../m.pt', files: [] }),
    (e: unknown) => e instanceof MlsnapError && e.kind === 'bad-request',
  );
  fs.mkdirSync(path.join(dir, 'README.md'));
  await rejectsConflict(
    writeBundle({ ...base, files: FILES }),
    /is a folder; pick another --to$/,
    path.join(dir, 'README.md'),
  );
  assert.deepEqual(fs.readdirSync(dir), ['README.md']);
});

test('a writeModel that writes nothing fails the bundle instead of listing a missing model', async () => {
  const dir = tempDir('bundle-nomodel');
  await assert.rejects(
    writeBundle({ dir, force: false, files: FILES, modelFile: 'model/m.pt', writeModel: async () => undefined }),
    (e: unknown) => e instanceof MlsnapError && e.kind === 'internal' && /not written/.test(e.message),
  );
});

test('a generated bundle with a hostile model path writes only inside its folder', async () => {
  const root = tempDir('bundle-real');
  const dir = path.join(root, 'bundle');
  const b = bundleFiles({
    format: 'k8s',
    project: '../../etc',
    model: {
      path: '../../a\nFROM evil/..',
      versionId: 'v0123456789abcdef',
      seq: 1,
      size: MODEL.length,
      sha256: 'a'.repeat(64),
      blake3: 'b'.repeat(64),
      modelFormat: 'pytorch',
    },
    estimate: null,
    environment: null,
    lockfiles: [],
    remoteUri: null,
  });
  const written = await writeBundle({
    dir,
    force: false,
    files: b.files,
    modelFile: b.modelFile,
    writeModel: writeModelTo([]),
  });
  assert.deepEqual(written, ['Dockerfile', 'README.md', 'deployment.yaml', 'mlsnap-bundle.json', 'model/model']);
  assert.deepEqual(fs.readdirSync(root), ['bundle']);
});
