import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { restoreVersion } from '../../daemon/src/service/restoreVersion';
import { openProject } from '../support/project';
import { tempDir, writeRandomFile } from '../support/tmp';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a restore records the bytes it wrote with the restored version’s environment, once', async () => {
  const root = tempDir('restore-env');
  const project = await openProject(root);
  try {
    writeRandomFile(path.join(root, 'a.pt'), 20_000, 1);
    const v1 = (await project.snapshot(['a.pt'], 'manual', null)).snapshot?.versions[0];
    assert.ok(v1 && v1.environmentId !== null);
    writeRandomFile(path.join(root, 'a.pt'), 20_000, 2);
    await project.snapshot(['a.pt'], 'manual', null);

    const r = await restoreVersion(project, { root, ref: 'a.pt@1' });
    assert.ok(r.recorded, 'the restore recorded a version');
    assert.equal(r.recorded.trigger, 'restore');
    assert.equal(r.recorded.message, 'restored from a.pt@1');
    assert.equal(r.recorded.blob, v1.blob);
    assert.equal(
      r.recorded.environmentId,
      v1.environmentId,
      'the environment of the version restored, not a new capture',
    );
    await sleep(1000); // the watcher's event for the same write must find it unchanged
    const log = project.store.log('a.pt', 10);
    // (The second write may have been recorded by the watcher or the snapshot: either way one version.)
    assert.equal(log.length, 3, log.map((v) => v.trigger).join(', '));
    assert.equal(log[0]?.trigger, 'restore');

    // To a new path inside the project: likewise; restoring the same bytes again records nothing.
    const to = path.join(root, 'models', 'copy.pt');
    const copy = await restoreVersion(project, { root, ref: 'a.pt@1', to });
    assert.equal(copy.recorded?.path, 'models/copy.pt');
    assert.equal(copy.recorded?.environmentId, v1.environmentId);
    const again = await restoreVersion(project, { root, ref: 'a.pt@1', to });
    assert.equal(again.recorded, undefined);
    // Outside the project nothing is recorded.
    const outside = await restoreVersion(project, {
      root,
      ref: 'a.pt@1',
      to: path.join(tempDir('restore-out'), 'x.pt'),
    });
    assert.equal(outside.recorded, undefined);
  } finally {
    await project.close();
  }
});
