import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlsnapError } from '../../shared/src/errors';
import { restoreVersion } from '../../daemon/src/service/restoreVersion';
import { resolveVersion } from '../../daemon/src/service/resolveRef';
import { collectGarbage } from '../../daemon/src/service/StoreMaintenance';
import { openProject } from '../support/project';
import { tempDir, waitFor, writeRandomFile } from '../support/tmp';

async function rejection(p: Promise<unknown>): Promise<MlsnapError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MlsnapError) return e;
    throw e;
  }
  throw new Error('expected a typed error');
}

test('snapshot -m right after the watcher recorded the same bytes: the message goes to that version', async () => {
  const root = tempDir('msg-race');
  const project = await openProject(root);
  try {
    fs.mkdirSync(path.join(root, 'models'));
    writeRandomFile(path.join(root, 'models', 'net.pt'), 100_000, 4);
    const watched = await waitFor('the watcher records it', () => project.store.latestVersion('models/net.pt'));
    assert.equal(watched.trigger, 'watch');
    const r = await project.snapshot(['models/net.pt'], 'manual', 'tuned lr');
    assert.ok(r.snapshot, 'the answer names the snapshot that holds the message');
    assert.equal(r.snapshot.versions.find((v) => v.path === 'models/net.pt')?.message, 'tuned lr');
    assert.equal(project.store.latestVersion('models/net.pt')?.message, 'tuned lr');
    assert.equal(project.store.log('models/net.pt', 10).length, 1, 'no second version of the same bytes');
    // A version that has a message keeps it.
    const again = await project.snapshot(['models/net.pt'], 'manual', 'another');
    assert.equal(again.snapshot, null);
    assert.equal(project.store.latestVersion('models/net.pt')?.message, 'tuned lr');
  } finally {
    await project.close();
  }
});

test('restore onto an existing folder is refused (conflict) and moves nothing', async () => {
  const root = tempDir('restore-dir');
  const project = await openProject(root);
  try {
    writeRandomFile(path.join(root, 'a.pt'), 10_000, 5);
    await project.snapshot(['a.pt'], 'manual', null);
    const folder = path.join(root, 'target.pt');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'keep.txt'), 'mine');
    const e = await rejection(restoreVersion(project, { root, ref: 'a.pt@1', to: folder }));
    assert.equal(e.kind, 'conflict');
    assert.match(e.message, /is a directory/);
    assert.deepEqual(
      fs.readdirSync(root).filter((n) => n.startsWith('target.pt')),
      ['target.pt'],
      'nothing moved aside',
    );
    assert.equal(fs.readFileSync(path.join(folder, 'keep.txt'), 'utf8'), 'mine');
  } finally {
    await project.close();
  }
});

test('restore in place after the watcher recorded the work names that version as saved first', async () => {
  const root = tempDir('restore-watched');
  const project = await openProject(root);
  try {
    writeRandomFile(path.join(root, 'a.pt'), 10_000, 6);
    await project.snapshot(['a.pt'], 'manual', null);
    writeRandomFile(path.join(root, 'a.pt'), 10_000, 7);
    const watched = await waitFor('the watcher records the new work', () => project.store.versionBySeq('a.pt', 2));
    const r = await restoreVersion(project, { root, ref: 'a.pt@1' });
    assert.equal(r.savedFirst?.id, watched.id);
  } finally {
    await project.close();
  }
});

test('not found says which versions remain after gc, and which tags a file has', async () => {
  const root = tempDir('notfound');
  const project = await openProject(root);
  try {
    for (let i = 0; i < 4; i++) {
      writeRandomFile(path.join(root, 'a.pt'), 5_000, 10 + i);
      await project.snapshot(['a.pt'], 'manual', null);
    }
    project.store.addTag(resolveVersion(project.store, 'a.pt@2'), 'best');
    await project.exclusive(() => collectGarbage(project.store, project.blobs, 1, false));
    const gone = (() => {
      try {
        resolveVersion(project.store, 'a.pt@1');
      } catch (e) {
        return e as MlsnapError;
      }
      throw new Error('a.pt@1 should be gone');
    })();
    assert.equal(gone.kind, 'not-found');
    assert.match(gone.message, /a\.pt has versions 2, 4$/);
    assert.throws(() => resolveVersion(project.store, 'a.pt@worst'), /a\.pt has tags best \(@2\)/);
  } finally {
    await project.close();
  }
});
