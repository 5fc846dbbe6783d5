import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Log } from '../../daemon/src/Log';
import { startDaemon } from '../../daemon/src/main';
import type { ProjectConfig, ProjectInfo } from '../../shared/src/domain';
import { tempDir, waitFor } from '../support/tmp';

test('a config.json edit takes effect within a second; a bad edit is reported and the last good config stays', async () => {
  const home = tempDir('cfg-home');
  const root = tempDir('cfg-project');
  const daemon = await startDaemon({ home, log: new Log('test', 'error') });
  const changes: ProjectInfo[] = [];
  daemon.registry.onDidChangeProject((p) => changes.push(p));
  try {
    await daemon.service.call('project/init', { root });
    const file = path.join(root, '.mlsnap', 'config.json');
    const config = JSON.parse(fs.readFileSync(file, 'utf8')) as ProjectConfig;

    // Text files are not tracked by default; an edit that includes them is picked up live.
    fs.writeFileSync(path.join(root, 'before.txt'), 'a');
    fs.writeFileSync(
      file,
      JSON.stringify({ ...config, include: [...config.include, '**/*.txt'], settleMs: 100 }, null, 2),
    );
    const t0 = Date.now();
    await waitFor(
      'the new include in force',
      async () => {
        const p = await daemon.registry.get(root);
        return p.config.include.includes('**/*.txt') ? p : null;
      },
      5000,
    );
    assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
    fs.writeFileSync(path.join(root, 'notes.txt'), 'recorded now');
    await waitFor(
      'notes.txt recorded',
      async () => (await daemon.registry.get(root)).store.latestVersion('notes.txt'),
      5000,
    );

    // A bad edit: reported in status and to the editor, and the last good config stays in force.
    fs.writeFileSync(file, JSON.stringify({ ...config, settleMs: 'soon' }));
    const status = await waitFor(
      'the problem in status',
      async () => {
        const s = await daemon.service.call('project/status', { root });
        return s.configProblem ? s : null;
      },
      5000,
    );
    assert.match(status.configProblem ?? '', /config\.json: "settleMs" must be an integer/);
    assert.match(status.configProblem ?? '', /previous settings stay in force/);
    assert.ok(
      changes.some((c) => c.configProblem !== undefined),
      'the editor is told',
    );
    assert.ok((await daemon.registry.get(root)).config.include.includes('**/*.txt'));
    fs.writeFileSync(file, '{ not json');
    await waitFor(
      'the JSON problem',
      async () => /not valid JSON/.test((await daemon.service.call('project/status', { root })).configProblem ?? ''),
      5000,
    );

    // Fixed again: the problem goes away.
    fs.writeFileSync(
      file,
      JSON.stringify({ ...config, include: [...config.include, '**/*.txt'], settleMs: 100 }, null, 2),
    );
    await waitFor(
      'the problem cleared',
      async () => (await daemon.service.call('project/status', { root })).configProblem === undefined,
      5000,
    );
  } finally {
    await daemon.stop();
  }
});
