import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentInfo, VersionInfo } from '../../shared/src/domain';
import { interpreterLine } from '../../extension/src/presentation/environment';
import { mlsnap, mlsnapJson } from '../support/cli';
import { tempDir, waitFor } from '../support/tmp';
import type { Locator } from 'playwright-core';
import { CodeServer, REPO, SEL, Workbench } from '../support/vscode';

/**
 * A version's environment in a real VS Code: the packaged .vsix in code-server, driven with
 * Playwright in Debian's Chromium. A notebook recorded by the daemon (through the CLI) shows
 * in the Environment view with how its interpreter was found; "Export Environment…" from the
 * palette writes its requirements.txt into a folder answered in VS Code's own folder dialog,
 * and again from the view's title button, after asking before it overwrites. Each step saves
 * a PNG under test-output/extension-environment/.
 */
const SHOTS = path.join(REPO, 'test-output', 'extension-environment');
const home = tempDir('envx-home');
const workspace = tempDir('envx-ws');
const outDir = path.join(workspace, 'exported');
const wheelsDir = path.join(workspace, 'wheels');
/** Where "Reproduce Environment in Folder…" proposes to make metrics.json@1's venv: beside the project. */
const reproduced = `${workspace}-metrics-1-env`;
process.once('exit', () => fs.rmSync(reproduced, { recursive: true, force: true }));
const opts = { cwd: workspace, home };
let server: CodeServer;
let wb: Workbench;

function notebook(source: string): string {
  return JSON.stringify(
    {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        // The kernel VS Code ran it with: Debian's Python, which has numpy. Without this the
        // project's .venv (below) is the notebook's interpreter, and it has only pip.
        vscode: { interpreter: { hash: createHash('sha256').update('/usr/bin/python3').digest('hex') } },
        kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      },
      cells: [{ id: 'c0', cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null }],
    },
    null,
    1,
  );
}

before(async () => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.writeFileSync(path.join(workspace, 'train.ipynb'), notebook('import numpy as np\nprint(np.__version__)'));
  fs.mkdirSync(outDir);
  fs.mkdirSync(wheelsDir);
  // A project venv with nothing but what venv puts there: metrics.json is recorded with it,
  // and a new venv of the same Python reproduces it offline, identical.
  execFileSync('/usr/bin/python3', ['-m', 'venv', path.join(workspace, '.venv')]);
  fs.writeFileSync(path.join(workspace, 'metrics.json'), '{"loss": 0.25}\n');
  assert.equal(mlsnap(['init'], opts).status, 0);
  await waitFor('the first version of train.ipynb', () => versions('train.ipynb').length === 1, 30_000);
  await waitFor('the first version of metrics.json', () => versions('metrics.json').length === 1, 30_000);

  const vsix = path.join(tempDir('envx-vsix'), 'mlsnap.vsix');
  execFileSync(process.execPath, [path.join(REPO, 'scripts', 'package.mjs'), vsix], { cwd: REPO, stdio: 'pipe' });
  const dir = tempDir('envx-cs');
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

/** What the CLI exports for the same version: the file the editor must have written. */
function cliRequirements(ref: string): { content: string; flagged: boolean } {
  const r = mlsnap(['env', ref, '--format', 'requirements'], opts);
  assert.equal(r.status, 0, r.stderr);
  return { content: r.stdout, flagged: /no package index can give/.test(r.stderr) };
}

/**
 * The Environment view. Once it shows a version its header's aria-label names it too
 * ("Environment - train.ipynb@1 Section"), which the harness's exact view(name) misses.
 */
function environmentView(): Locator {
  return wb.page
    .locator(`${SEL.sidebar} ${SEL.pane}`)
    .filter({ has: wb.page.locator(`${SEL.paneHeader}[aria-label^="Environment"][aria-label$=" Section"]`) })
    .first();
}

test('the Environment view says how the interpreter was found', async () => {
  const env = mlsnapJson<EnvironmentInfo>(['env', 'train.ipynb@1'], opts);
  assert.ok(env.interpreter, 'the notebook was recorded with an interpreter');
  assert.equal(env.interpreter.executable, '/usr/bin/python3', env.interpreter.detail);
  await wb.openActivityBarView('mlsnap');
  await wb.treeItem(path.basename(workspace), 'History').waitFor({ state: 'visible', timeout: 60_000 });
  const file = wb.treeItem('train.ipynb', 'History');
  await file.waitFor({ state: 'visible' });
  await file.click();
  await wb.treeItem(/^@1 · /, 'History').waitFor({ state: 'visible', timeout: 30_000 });
  await wb.treeItemContextMenu(/^@1 · /, 'Show Environment', 'History');
  const row = environmentView()
    .locator(SEL.listRow)
    .filter({ has: wb.page.locator(SEL.rowLabel, { hasText: /^\s*Interpreter\s*$/ }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  const text = await row.innerText();
  assert.ok(text.includes(interpreterLine(env.interpreter)), `${JSON.stringify(text)} names how it was found`);
  assert.match(text, / — found by /);
  await wb.screenshot('01-environment-found-by');
});

test('Export Environment… from the palette writes requirements.txt into the folder picked in the dialog', async () => {
  const expected = cliRequirements('train.ipynb@1');
  await wb.clearNotifications();
  await wb.runCommandThatAsks('mlsnap: Export Environment…');
  // No editor is open: the version is the one the Environment view shows.
  await wb.quickInputStep('Export the environment of train.ipynb@1 as…');
  for (const label of ['requirements.txt', 'environment.yml', 'pyproject.toml', 'Dockerfile', '.devcontainer/'])
    await wb.quickInputRow(label).first().waitFor({ state: 'visible' });
  await wb.screenshot('02-export-formats');
  await wb.chooseRow('requirements.txt');
  await wb.quickInputStep(/Export requirements\.txt \(the environment of train\.ipynb@1\) into which folder\?/);
  await wb.answerFolderDialog(workspace, outDir, 'Export Here', () => wb.screenshot('03-folder-dialog'));
  await wb.waitForNotification(`Exported requirements.txt (the environment of train.ipynb@1) to ${outDir}`, 30_000);
  let flagged: Locator | undefined;
  if (expected.flagged)
    flagged = await wb.waitForNotification(
      /pins? no package index can give (was|were) left out \(commented in the file\)/,
    );
  await new Promise((r) => setTimeout(r, 500)); // the toasts' fade-in, for the screenshot
  await wb.screenshot('04-exported');
  const written = fs.readFileSync(path.join(outDir, 'requirements.txt'), 'utf8');
  assert.equal(written, expected.content);
  assert.match(written, /^numpy==\S+$/m, 'numpy is pinned to its recorded version');
  if (flagged) {
    // The pins left out, each with why and what instead, go to the output channel.
    await wb.clickToastButton(flagged, /^Show Details$/);
    const panel = wb.page.locator('.monaco-workbench .part.panel');
    await panel.waitFor({ state: 'visible', timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 1000));
    await wb.screenshot('04b-flagged-details');
    // The output shows its end: the last pin's line (Monaco renders spaces as no-break spaces, which \s matches).
    await panel
      .getByText(/==\S+:\s.*\sInstead:\s/)
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
  }
});

test("the Environment view's Export button asks before it overwrites, then writes the file again", async () => {
  fs.writeFileSync(path.join(outDir, 'requirements.txt'), 'stale\n');
  await wb.clearNotifications();
  const view = environmentView();
  await view.locator(SEL.paneHeader).hover();
  await view.locator('.pane-header .actions .action-label[aria-label^="Export Environment"]').click();
  await wb.quickInputStep('Export the environment of train.ipynb@1 as…');
  await wb.chooseRow('requirements.txt');
  await wb.quickInputStep(/into which folder\?/);
  await wb.answerFolderDialog(workspace, outDir, 'Export Here', () => wb.screenshot('03-folder-dialog'));
  const dialog = wb.page.locator('.monaco-dialog-box');
  await dialog.waitFor({ state: 'visible', timeout: 30_000 });
  await dialog.getByText(`requirements.txt already exists in ${outDir}. Overwrite it?`).waitFor();
  await wb.screenshot('05-overwrite-confirm');
  await dialog.locator('a.monaco-button', { hasText: /^Overwrite$/ }).click();
  await wb.waitForNotification(/Exported requirements\.txt \(the environment of train\.ipynb@1\)/, 30_000);
  assert.equal(
    fs.readFileSync(path.join(outDir, 'requirements.txt'), 'utf8'),
    cliRequirements('train.ipynb@1').content,
  );
  await wb.screenshot('06-overwritten');
});

test('Reproduce Environment in Folder… rebuilds the venv offline from a wheels folder and says it is identical', async () => {
  const env = mlsnapJson<EnvironmentInfo>(['env', 'metrics.json@1'], opts);
  assert.equal(env.interpreter?.foundBy, 'virtualenv');
  await wb.clearNotifications();
  await wb.openFile('metrics.json');
  await wb.runCommandThatAsks('mlsnap: Reproduce Environment in Folder…');
  // The active editor's file has one version: no version to pick.
  await wb.quickInputStep('Reproduce metrics.json@1: install the packages from…');
  await wb.screenshot('08-reproduce-sources');
  await wb.chooseRow('A folder of wheels… (offline)');
  await wb.quickInputStep(/the folder of wheels to install from/);
  await wb.answerFolderDialog(workspace, wheelsDir, 'Install from Here', () => wb.screenshot('03-folder-dialog'));
  // The new folder: the save dialog proposes one beside the project; accept it.
  await wb.quickInputStep(/a new \(or empty\) folder for its venv/);
  const box = wb.page.locator(SEL.quickInputBox);
  await waitFor('the proposed folder', async () => (await box.inputValue()) === reproduced, 20_000);
  await wb.screenshot('09-reproduce-folder');
  // The simple save dialog labels its button OK, whatever saveLabel says.
  await wb.quickInput.locator('.quick-input-action a.monaco-button', { hasText: /^(Reproduce Here|OK)$/ }).click();
  await wb.quickInput.waitFor({ state: 'hidden' });
  const done = await wb.waitForNotification(
    `Reproduced: ${env.packages.length} packages identical to the record`,
    180_000,
  );
  await done.locator('a.monaco-button', { hasText: /^Open Folder$/ }).waitFor({ state: 'visible' });
  await wb.screenshot('10-reproduced');
  assert.ok(fs.existsSync(path.join(reproduced, 'bin', 'python')), 'the venv is made where the dialog said');
});

test('with the daemon stopped, Export Environment… says so and offers to start it', async () => {
  await wb.clearNotifications();
  assert.equal(mlsnap(['daemon', 'stop'], opts).status, 0);
  await wb.waitForStatusBarItem(/daemon stopped/, 30_000);
  await wb.runCommand('mlsnap: Export Environment…');
  const toast = await wb.waitForNotification(/Export Environment failed: the mlsnap daemon is not running/, 30_000);
  await toast.locator('a.monaco-button', { hasText: 'Start Daemon' }).waitFor({ state: 'visible' });
  await wb.screenshot('07-export-daemon-stopped');
});
