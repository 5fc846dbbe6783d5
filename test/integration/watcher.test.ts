import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { notebookJson, openProject } from '../support/project';
import { tempDir, waitFor, writeRandomFile } from '../support/tmp';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function blake3File(file: string): string {
  return new Blake3Hasher().update(fs.readFileSync(file)).digest('hex');
}

test('an atomic save by rename is recorded as one version of the final path', async () => {
  const root = tempDir('watch');
  const project = await openProject(root);
  try {
    const tmp = path.join(root, '.train.ipynb.tmp-123');
    fs.writeFileSync(tmp, notebookJson(['x = 1']));
    fs.renameSync(tmp, path.join(root, 'train.ipynb'));
    const versions = await waitFor('a version of train.ipynb', () => {
      const v = project.store.log('train.ipynb', 10);
      return v.length > 0 ? v : null;
    });
    await sleep(600); // no second version may follow
    assert.equal(project.store.log('train.ipynb', 10).length, 1);
    assert.equal(versions[0]?.trigger, 'watch');
    assert.equal(project.store.log(undefined, 10).length, 1, 'the temp file is not tracked');
  } finally {
    await project.close();
  }
});

test('a checkpoint written over two seconds is recorded once, complete', async () => {
  const root = tempDir('watch');
  const project = await openProject(root);
  try {
    fs.mkdirSync(path.join(root, 'models'));
    const file = path.join(root, 'models', 'net.ckpt');
    const fd = fs.openSync(file, 'w');
    const chunk = Buffer.alloc(256 * 1024, 7);
    for (let i = 0; i < 20; i++) {
      chunk.writeUInt32LE(i, 0);
      fs.writeSync(fd, chunk);
      await sleep(100); // shorter than the settle delay: the file never looks finished
    }
    fs.closeSync(fd);
    const v = await waitFor('the checkpoint version', () => project.store.latestVersion('models/net.ckpt'));
    await sleep(600);
    assert.equal(project.store.log('models/net.ckpt', 10).length, 1);
    assert.equal(v.size, 20 * 256 * 1024);
    assert.equal(v.blob, blake3File(file));
  } finally {
    await project.close();
  }
});

test('a burst of 1,000 metrics files is recorded in full', async () => {
  const root = tempDir('watch');
  const project = await openProject(root);
  try {
    fs.mkdirSync(path.join(root, 'runs'));
    for (let i = 0; i < 1000; i++) {
      fs.writeFileSync(path.join(root, 'runs', `metrics-${i}.json`), JSON.stringify({ step: i, loss: 1 / (i + 1) }));
    }
    await waitFor('1,000 versions', () => project.store.counts().versions === 1000 || null, 60_000);
    const files = project.store.files();
    assert.equal(files.length, 1000);
    assert.ok(files.every((f) => f.versions === 1));
  } finally {
    await project.close();
  }
});

test('a notebook that is not valid JSON is not recorded; once fixed it is', async () => {
  const root = tempDir('watch');
  const project = await openProject(root);
  try {
    const nb = path.join(root, 'broken.ipynb');
    fs.writeFileSync(nb, '{"cells": [');
    await sleep(900);
    assert.equal(project.store.log('broken.ipynb', 10).length, 0);
    fs.writeFileSync(nb, notebookJson(['print(1)']));
    await waitFor('the fixed notebook', () => project.store.latestVersion('broken.ipynb'));
  } finally {
    await project.close();
  }
});

test('changes made while the daemon was down are found by the reconcile scan', async () => {
  const root = tempDir('watch');
  fs.writeFileSync(path.join(root, 'a.ipynb'), notebookJson(['a = 1']));
  let project = await openProject(root);
  assert.equal(project.store.latestVersion('a.ipynb')?.trigger, 'reconcile');
  await project.close();

  fs.writeFileSync(path.join(root, 'a.ipynb'), notebookJson(['a = 2']));
  writeRandomFile(path.join(root, 'model.safetensors'), 100_000);
  project = await openProject(root);
  try {
    const a = project.store.log('a.ipynb', 10);
    assert.equal(a.length, 2);
    assert.equal(a[0]?.trigger, 'reconcile');
    assert.equal(project.store.latestVersion('model.safetensors')?.trigger, 'reconcile');
    // Restarting again with nothing changed records nothing.
    await project.close();
    project = await openProject(root);
    assert.equal(project.store.counts().versions, 3);
  } finally {
    await project.close();
  }
});

test('the polling watcher (for network file systems) records changes too', async () => {
  const root = tempDir('watch');
  const project = await openProject(root, { watcher: 'polling' });
  try {
    assert.equal(project.info().watcher.backend, 'chokidar-polling');
    fs.writeFileSync(path.join(root, 'model.onnx'), Buffer.from('not really onnx, but a model file'));
    await waitFor('a polled version', () => project.store.latestVersion('model.onnx'), 10_000);
  } finally {
    await project.close();
  }
});

test('an unchanged file rewritten with the same bytes makes no new version', async () => {
  const root = tempDir('watch');
  const project = await openProject(root);
  try {
    const file = path.join(root, 'metrics.json');
    fs.writeFileSync(file, '{"acc": 0.9}');
    await waitFor('first version', () => project.store.latestVersion('metrics.json'));
    fs.writeFileSync(file, '{"acc": 0.9}');
    await sleep(800);
    assert.equal(project.store.log('metrics.json', 10).length, 1);
    fs.writeFileSync(file, '{"acc": 0.8}');
    await waitFor('second version', () => project.store.log('metrics.json', 10).length === 2 || null);
  } finally {
    await project.close();
  }
});
