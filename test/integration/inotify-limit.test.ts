import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openProject } from '../support/project';
import { tempDir, waitFor } from '../support/tmp';

/**
 * The inotify watch limit, reached for real: the kernel limit is lowered for a moment (root,
 * as CI runs), @parcel/watcher fails with ENOSPC, and the project falls back to polling,
 * says so with the fix, and still records changes.
 */
const LIMIT = '/proc/sys/fs/inotify/max_user_watches';

test('when inotify runs out of watches the daemon says how to fix it and falls back to polling', async () => {
  const root = tempDir('inotify');
  for (let i = 0; i < 40; i++) fs.mkdirSync(path.join(root, `run${i}`));
  const original = fs.readFileSync(LIMIT, 'utf8').trim();
  let project;
  try {
    fs.writeFileSync(LIMIT, '8');
    project = await openProject(root);
  } finally {
    // Restored at once: other programs on the machine share the limit.
    fs.writeFileSync(LIMIT, original);
  }
  try {
    const state = project.info().watcher;
    assert.equal(state.backend, 'chokidar-polling');
    assert.match(state.note ?? '', /inotify watch limit/);
    assert.match(state.note ?? '', /max_user_watches/);
    fs.writeFileSync(path.join(root, 'run3', 'metrics.json'), '{"loss": 0.1}');
    await waitFor('a version through polling', () => project.store.latestVersion('run3/metrics.json'), 10_000);
  } finally {
    await project.close();
  }
});
