import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { VersionInfo } from '../../shared/src/domain';
import { mlsnap, mlsnapBytes, mlsnapJson } from '../support/cli';
import { tempDir, waitFor } from '../support/tmp';
import { CodeServer, REPO, SEL, Workbench } from '../support/vscode';

/**
 * The extension in a real VS Code: the packaged .vsix installed into code-server, driven with
 * Playwright in Debian's Chromium, on a copy of the demo project. Each step saves a PNG under
 * test-output/extension/.
 */
const SHOTS = path.join(REPO, 'test-output', 'extension');
const home = tempDir('ext-home');
const workspace = tempDir('ext-ws');
const opts = { cwd: workspace, home };
let server: CodeServer;
let wb: Workbench;

before(async () => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.cpSync(path.join(REPO, 'examples', 'demo'), workspace, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: workspace });
  const vsix = path.join(tempDir('ext-vsix'), 'mlsnap.vsix');
  execFileSync(process.execPath, [path.join(REPO, 'scripts', 'package.mjs'), vsix], { cwd: REPO, stdio: 'pipe' });
  const dir = tempDir('ext-cs');
  server = await CodeServer.start({
    workspace,
    extensionsDir: path.join(dir, 'extensions'),
    userDataDir: path.join(dir, 'user-data'),
    vsix,
    env: { MLSNAP_HOME: home },
  });
  wb = await Workbench.open(server, SHOTS);
});

after(async () => {
  await wb?.close();
  await server?.stop();
  mlsnap(['daemon', 'stop'], opts);
});

function versions(rel: string): VersionInfo[] {
  return mlsnapJson<VersionInfo[]>(['log', rel], opts);
}

test('the extension starts the daemon and offers to initialize the project', async () => {
  await wb.openActivityBarView('mlsnap');
  await wb.welcomeButton('Initialize Project', 'History').waitFor({ state: 'visible', timeout: 60_000 });
  await wb.waitForStatusBarItem(/mlsnap: running/, 30_000);
  await wb.screenshot('01-welcome-initialize');
  assert.ok(fs.existsSync(path.join(home, 'daemon.json')), 'the extension started the daemon');
});

test('Initialize Project records the notebook and shows it in History', async () => {
  await wb.welcomeButton('Initialize Project', 'History').click();
  await wb.treeItem(path.basename(workspace), 'History').waitFor({ state: 'visible', timeout: 30_000 });
  const file = wb.treeItem('train.ipynb', 'History');
  await file.waitFor({ state: 'visible' });
  await file.click();
  await wb.treeItem(/^@1 · /, 'History').waitFor({ state: 'visible' });
  await wb.screenshot('02-history-initialized');
  assert.ok(fs.existsSync(path.join(workspace, '.mlsnap', 'store.db')));
});

test('editing and saving the notebook in the editor adds a version to History', async () => {
  await wb.openFile('train.ipynb');
  const cell = wb.page.locator('.notebook-editor .cell-editor-container .monaco-editor').nth(0);
  await cell.waitFor({ state: 'visible', timeout: 30_000 });
  await cell.click();
  await wb.page.keyboard.press('Control+End');
  await wb.page.keyboard.type('\n# tuned in the editor');
  await wb.page.keyboard.press('Control+S');
  await waitFor('a saved version', () => versions('train.ipynb').find((v) => v.seq === 2) ?? null, 30_000);
  const v2 = versions('train.ipynb').find((v) => v.seq === 2) as VersionInfo;
  assert.equal(v2.trigger, 'save');
  await wb.openActivityBarView('mlsnap');
  await wb.treeItem(/^@2 · /, 'History').waitFor({ state: 'visible', timeout: 30_000 });
  // One save, one version: the watcher's event for the same write is merged into it.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(versions('train.ipynb').length, 2);
  assert.ok(mlsnapBytes(['cat', 'train.ipynb@2'], opts).toString('utf8').includes('# tuned in the editor'));
  await wb.screenshot('03-history-after-save');
});

test('Compare with Previous opens the notebook diff editor', async () => {
  await wb.treeItemContextMenu(/^@2 · /, 'Compare with Previous', 'History');
  const diff = wb.page.locator('.notebook-text-diff-editor').first();
  await diff.waitFor({ state: 'visible', timeout: 30_000 });
  // The cell that changed shows both sides; the edited line is in the right one.
  await diff.getByText('# tuned in the editor').first().waitFor({ state: 'visible', timeout: 30_000 });
  await wb.screenshot('04-notebook-diff');
});

test('Restore Version puts the old bytes back on disk', async () => {
  await wb.openActivityBarView('mlsnap');
  await wb.treeItemContextMenu(/^@1 · /, 'Restore Version', 'History');
  const dialog = wb.page.locator('.monaco-dialog-box');
  await dialog.waitFor({ state: 'visible' });
  await wb.screenshot('05-restore-confirm');
  await dialog.locator('a.monaco-button', { hasText: /^Restore$/ }).click();
  const first = mlsnapBytes(['cat', 'train.ipynb@1'], opts);
  await waitFor(
    'the restored bytes on disk',
    () => fs.readFileSync(path.join(workspace, 'train.ipynb')).equals(first) || null,
    30_000,
  );
  await wb.waitForNotification(/restored train\.ipynb@1/);
  await wb.screenshot('06-restored');
});

test('the status bar shows the daemon state and the age of the active file', async () => {
  // The notebook is still open from the save step: bring its tab forward (quick open can land
  // on another of the editors that show train.ipynb, such as the diff).
  const tab = wb.editorTab('train.ipynb').first();
  if (await tab.isVisible()) await tab.click();
  else await wb.openFile('train.ipynb');
  const text = await wb.waitForStatusBarItem(/mlsnap: train\.ipynb@\d+ · /, 30_000);
  assert.match(text, /train\.ipynb@\d+ · \d+[smhd] ago/);
  await wb.screenshot('07-status-bar');
});

test('Compare with Previous on a model opens the rendered typed diff; History shows what changed', async () => {
  const fixtures = path.join(REPO, 'test', 'fixtures', 'models');
  const target = path.join(workspace, 'models', 'mlp.safetensors');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(path.join(fixtures, 'mlp_h32.safetensors'), target);
  await waitFor('the first model version', () => versions('models/mlp.safetensors').length === 1 || null, 30_000);
  fs.copyFileSync(path.join(fixtures, 'mlp_h64.safetensors'), `${target}.tmp`);
  fs.renameSync(`${target}.tmp`, target);
  await waitFor('the second model version', () => versions('models/mlp.safetensors').length === 2 || null, 30_000);
  await wb.openActivityBarView('mlsnap');
  const file = wb.treeItem('models/mlp.safetensors', 'History');
  await file.waitFor({ state: 'visible', timeout: 30_000 });
  await file.click();
  const row = wb.view('History').locator(SEL.listRow).filter({ hasText: '32→64' }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  await wb.screenshot('08a-history-model-change');
  await row.click({ button: 'right' });
  const entry = wb.page
    .locator('.context-view .monaco-menu a.action-menu-item')
    .filter({ hasText: /^Compare with Previous/ })
    .first();
  await entry.hover();
  await wb.page.keyboard.press('Enter');
  // The notebook editor has a webview of its own; the diff panel is the newest one.
  const view = wb.page.frameLocator('iframe.webview >> nth=-1').frameLocator('#active-frame');
  await view.getByText('reshaped').first().waitFor({ state: 'visible', timeout: 30_000 });
  await view
    .getByText(/hidden 32→64/)
    .first()
    .waitFor({ state: 'visible' });
  await wb.screenshot('08b-model-diff-view');
});

test('stopping the daemon shows "daemon not running"; Start brings the history back', async () => {
  await wb.openActivityBarView('mlsnap');
  assert.equal(mlsnap(['daemon', 'stop'], opts).status, 0);
  const start = wb.welcomeButton('Start Daemon', 'History');
  await start.waitFor({ state: 'visible', timeout: 30_000 });
  await wb.waitForStatusBarItem(/daemon stopped/, 30_000);
  await wb.screenshot('09-daemon-stopped');
  await start.click();
  await wb.treeItem('train.ipynb', 'History').waitFor({ state: 'visible', timeout: 60_000 });
  await wb.waitForStatusBarItem(/mlsnap: /, 30_000);
  assert.ok(!(await wb.page.locator(SEL.welcomeButton, { hasText: 'Start Daemon' }).isVisible()));
  await wb.screenshot('10-daemon-restarted');
});
