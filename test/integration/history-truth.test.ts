import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { collectGarbage } from '../../daemon/src/service/StoreMaintenance';
import { restoreVersion } from '../../daemon/src/service/restoreVersion';
import { openProject } from '../support/project';
import { tempDir, waitFor, writeRandomFile } from '../support/tmp';

test('a deleted file is told from one that exists; its versions restore; it comes back; gc applies to it', async () => {
  const root = tempDir('deleted');
  const project = await openProject(root);
  try {
    fs.mkdirSync(path.join(root, 'models'));
    for (let i = 0; i < 3; i++) {
      writeRandomFile(path.join(root, 'models', 'old.pt'), 10_000, 20 + i);
      await project.snapshot(['models/old.pt'], 'manual', null);
    }
    writeRandomFile(path.join(root, 'models', 'kept.pt'), 10_000, 30);
    await project.snapshot(['models/kept.pt'], 'manual', null);
    fs.rmSync(path.join(root, 'models', 'old.pt'));
    const gone = await waitFor('the deletion noticed', () =>
      project.store.files().find((f) => f.path === 'models/old.pt' && f.deletedAt !== undefined),
    );
    assert.ok(gone.deletedAt !== undefined && gone.latest);
    assert.equal(project.store.files().find((f) => f.path === 'models/kept.pt')?.deletedAt, undefined);
    assert.equal(project.info().deletedFiles, 1);

    // gc --keep-last applies to deleted files too.
    const gc = await project.exclusive(() => collectGarbage(project.store, project.blobs, 1, false));
    assert.ok(gc.versionsDropped >= 2, JSON.stringify(gc));
    assert.equal(project.store.log('models/old.pt', 10).length, 1);

    // Its last version still restores, and then the file exists again.
    const latest = project.store.latestVersion('models/old.pt');
    assert.ok(latest);
    await restoreVersion(project, { root, ref: `models/old.pt@${latest.seq}` });
    assert.ok(fs.existsSync(path.join(root, 'models', 'old.pt')));
    assert.equal(project.store.files().find((f) => f.path === 'models/old.pt')?.deletedAt, undefined);
  } finally {
    await project.close();
  }
});

test('a rename is shown as such when the bytes match', async () => {
  const root = tempDir('renamed');
  const project = await openProject(root);
  try {
    writeRandomFile(path.join(root, 'a.pt'), 10_000, 40);
    await project.snapshot(['a.pt'], 'manual', null);
    fs.renameSync(path.join(root, 'a.pt'), path.join(root, 'b.pt'));
    const b = await waitFor('b.pt recorded', () => project.store.latestVersion('b.pt'));
    assert.equal(b.renamedFrom, 'a.pt');
    assert.ok(project.store.files().find((f) => f.path === 'a.pt')?.deletedAt !== undefined);
    // A new file with new bytes is no rename.
    writeRandomFile(path.join(root, 'c.pt'), 10_000, 41);
    const c = await waitFor('c.pt recorded', () => project.store.latestVersion('c.pt'));
    assert.equal(c.renamedFrom, undefined);
  } finally {
    await project.close();
  }
});

test('files deleted while the daemon was down are found by the reconcile at start', async () => {
  const root = tempDir('deleted-offline');
  let project = await openProject(root);
  writeRandomFile(path.join(root, 'x.pt'), 5_000, 50);
  await project.snapshot(['x.pt'], 'manual', null);
  await project.close();
  fs.rmSync(path.join(root, 'x.pt'));
  project = await openProject(root);
  try {
    assert.ok(project.store.files().find((f) => f.path === 'x.pt')?.deletedAt !== undefined);
  } finally {
    await project.close();
  }
});

test('moving a folder marks the files under it deleted and their new paths renamed from them', async () => {
  const root = tempDir('moved-folder');
  const project = await openProject(root);
  try {
    fs.mkdirSync(path.join(root, 'models', 'sub'), { recursive: true });
    writeRandomFile(path.join(root, 'models', 'a.pt'), 10_000, 60);
    writeRandomFile(path.join(root, 'models', 'sub', 'b.pt'), 10_000, 61);
    await project.snapshot(['models/a.pt', 'models/sub/b.pt'], 'manual', null);
    // The watcher reports only the folder for a move: the files under it must still be marked.
    fs.renameSync(path.join(root, 'models'), path.join(root, 'weights'));
    const b = await waitFor('weights/sub/b.pt recorded', () => project.store.latestVersion('weights/sub/b.pt'));
    assert.equal(b.renamedFrom, 'models/sub/b.pt');
    const deleted = await waitFor('both old paths marked deleted', () => {
      const d = project.store.deletedFiles();
      return d.has('models/a.pt') && d.has('models/sub/b.pt') && d;
    });
    assert.equal(deleted.size, 2);
    assert.equal(project.store.latestVersion('weights/a.pt')?.renamedFrom, 'models/a.pt');

    // Moved back: the files are the same inodes with the same stat (unchanged, not re-read),
    // and still they count as back; the paths they left count as deleted.
    fs.renameSync(path.join(root, 'weights'), path.join(root, 'models'));
    const after = await waitFor('the move back noticed', () => {
      const d = project.store.deletedFiles();
      return !d.has('models/a.pt') && !d.has('models/sub/b.pt') && d.size === 2 && d;
    });
    assert.deepEqual([...after.keys()].sort(), ['weights/a.pt', 'weights/sub/b.pt']);
    assert.equal(project.store.log('models/a.pt', 10).length, 1, 'no new version for bytes already recorded');
  } finally {
    await project.close();
  }
});
