import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator } from 'playwright-core';
import { parse as parseYaml } from 'yaml';
import type { VersionInfo } from '../../shared/src/domain';
import type { AuditRecord, StageInfo } from '../../shared/src/release';
import { mlsnap, mlsnapJson } from '../support/cli';
import { tempDir, waitFor } from '../support/tmp';
import { CodeServer, REPO, SEL, Workbench } from '../support/vscode';

/**
 * Release management in a real VS Code: the packaged .vsix in code-server, driven with
 * Playwright in Debian's Chromium. A project with a folder remote (made with the CLI) records
 * a small safetensors model; in the editor, Promote… from its History context menu puts it in
 * `staging` (no gates), the Models view shows the stage with its audit trail on hover, the CLI
 * agrees, Export Deployment Bundle… writes a KServe bundle (and asks before overwriting it),
 * and Demote empties the stage. Each step saves a PNG under test-output/extension-release/.
 */
const SHOTS = path.join(REPO, 'test-output', 'extension-release');
const MODEL = 'models/m.safetensors';
const AUTHOR = 'carol';
const home = tempDir('relx-home');
const workspace = tempDir('relx-ws');
const remoteDir = path.join(tempDir('relx-remote'), 'team');
/** Outside the project: the bundle holds a copy of the model, which the daemon would record as a new file. */
const bundleDir = tempDir('relx-bundle');
/** The CLI starts the daemon, so its author is the one the editor's moves are recorded with. */
const opts = { cwd: workspace, home, env: { MLSNAP_AUTHOR: AUTHOR } };
let server: CodeServer;
let wb: Workbench;

/** A valid safetensors file: one 4×4 float32 tensor (the header's length, its JSON, the bytes). */
function safetensors(seed: number): Buffer {
  const data = Buffer.alloc(64);
  for (let i = 0; i < 16; i++) data.writeFloatLE((i + seed) / 16, i * 4);
  let header = JSON.stringify({
    __metadata__: { format: 'pt' },
    weight: { dtype: 'F32', shape: [4, 4], data_offsets: [0, data.length] },
  });
  header += ' '.repeat((8 - (header.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, Buffer.from(header), data]);
}

function ok(args: string[]): string {
  const r = mlsnap(args, opts);
  assert.equal(r.status, 0, `mlsnap ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

before(async () => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.mkdirSync(path.join(workspace, 'models'));
  fs.writeFileSync(path.join(workspace, MODEL), safetensors(1));
  ok(['init']);
  ok(['remote', 'add', 'team', remoteDir, '--create']);
  await waitFor('the first version of the model', () => versions().length === 1, 30_000);

  const vsix = path.join(tempDir('relx-vsix'), 'mlsnap.vsix');
  execFileSync(process.execPath, [path.join(REPO, 'scripts', 'package.mjs'), vsix], { cwd: REPO, stdio: 'pipe' });
  const dir = tempDir('relx-cs');
  server = await CodeServer.start({
    workspace,
    extensionsDir: path.join(dir, 'extensions'),
    userDataDir: path.join(dir, 'user-data'),
    vsix,
    env: { MLSNAP_HOME: home, MLSNAP_AUTHOR: AUTHOR },
  });
  wb = await Workbench.open(server, SHOTS);
});

after(async () => {
  await wb?.close();
  await server?.stop();
  mlsnap(['daemon', 'stop'], opts);
});

function versions(): VersionInfo[] {
  return mlsnapJson<VersionInfo[]>(['log', MODEL], opts);
}

/** The modal dialog once it shows `text`. */
async function dialogShowing(text: string): Promise<Locator> {
  const dialog = wb.page.locator('.monaco-dialog-box');
  await dialog.waitFor({ state: 'visible', timeout: 60_000 });
  await dialog.getByText(text).first().waitFor();
  return dialog;
}

async function clickDialogButton(label: string): Promise<void> {
  const dialog = wb.page.locator('.monaco-dialog-box');
  await dialog.locator('a.monaco-button', { hasText: new RegExp(`^${label}$`) }).click();
  await dialog.waitFor({ state: 'hidden' });
}

/** Collapse a view (pane) so the others get the side bar's height. */
async function collapseView(name: string): Promise<void> {
  const header = wb.view(name).locator(SEL.paneHeader);
  await header.waitFor({ state: 'visible' });
  if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
}

/** The History row of the model's first version, shown (its file row expanded). */
async function firstVersionRow(): Promise<void> {
  const version = wb.treeItem(/^@1 · /, 'History');
  if (await version.isVisible()) return;
  const file = wb.treeItem(MODEL, 'History');
  await file.waitFor({ state: 'visible', timeout: 60_000 });
  await file.click();
  await version.waitFor({ state: 'visible', timeout: 30_000 });
}

/** The Models view's row of a stage. */
function stageRow(stage: string): Locator {
  return wb.treeItem(stage, 'Models');
}

/** Hover a row and return the text of the hover it opens once it contains `expected`. */
async function hoverText(row: Locator, expected: string | RegExp): Promise<string> {
  await wb.page.mouse.move(5, 5);
  await row.locator(SEL.rowLabel).hover();
  const hover = wb.page.locator('.workbench-hover, .monaco-hover').filter({ hasText: expected }).first();
  await hover.waitFor({ state: 'visible', timeout: 30_000 });
  return hover.innerText();
}

test('the Models view says how to get a stage: promote a version from History', async () => {
  await wb.openActivityBarView('mlsnap');
  await wb.treeItem(path.basename(workspace), 'History').waitFor({ state: 'visible', timeout: 60_000 });
  for (const name of ['Snapshots', 'Environment', 'Runs']) await collapseView(name);
  const models = await wb.expandView('Models');
  await models
    .locator(SEL.welcomeView)
    .getByText(/Promote a model version from its History context menu/)
    .waitFor({ state: 'visible', timeout: 60_000 });
  await wb.welcomeButton('Promote…', 'Models').waitFor({ state: 'visible' });
  await wb.screenshot('01-models-welcome');
});

test('Promote… from the History context menu puts the version in staging after showing its gates', async () => {
  await wb.clearNotifications();
  await firstVersionRow();
  await wb.treeItemContextMenu(/^@1 · /, 'Promote…', 'History');
  await wb.quickInputStep(`Promote ${MODEL}@1 to which stage on team?`);
  for (const label of ['staging', 'production', 'Other…'])
    await wb.quickInputRow(label).first().waitFor({ state: 'visible' });
  await wb.screenshot('02-stage-pick');
  await wb.chooseRow('staging');
  const dialog = await dialogShowing(`Promote ${MODEL}@1 to staging on team?`);
  await dialog.getByText('staging has no gates.').waitFor();
  await dialog.getByText('staging holds nothing yet.').waitFor();
  await wb.screenshot('03-gates-dialog');
  await clickDialogButton('Promote');
  await wb.quickInputStep(`Promote ${MODEL}@1 to staging: why? (optional)`);
  await wb.enterText('first release candidate');
  await wb.waitForNotification(`${MODEL}@1 is now staging on team`, 120_000);
  await wb.screenshot('04-promoted');
});

test('the Models view shows staging holding @1, and its hover the audit trail', async () => {
  const row = stageRow('staging');
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  assert.match(await row.innerText(), new RegExp(`staging\\s*@1 · ${AUTHOR} · \\d+s ago`));
  assert.ok(await wb.treeItem('team', 'Models').isVisible(), 'the remote row names it');
  assert.ok(await wb.treeItem(MODEL, 'Models').isVisible(), 'the model row names its path');
  const text = await hoverText(row, /Moves/);
  assert.match(text, new RegExp(`${AUTHOR} promoted empty → @1: “first release candidate”`));
  assert.match(text, /Holds @1 \(v[0-9a-f]{16}, safetensors\)/);
  assert.match(text, /Serving estimate: 16 parameters/);
  await wb.screenshot('05-stage-hover');
  await wb.page.mouse.move(5, 5);
});

test('the CLI agrees: `mlsnap stages --json` lists staging at the version, with who and why', () => {
  const [v] = versions();
  const stages = mlsnapJson<StageInfo[]>(['stages'], opts);
  assert.equal(stages.length, 1);
  const s = stages[0] as StageInfo;
  assert.deepEqual([s.model, s.stage, s.local], [MODEL, 'staging', { seq: 1 }]);
  assert.equal(s.pointer.target?.versionId, v?.uid);
  assert.equal(s.pointer.movedBy, AUTHOR);
  assert.equal(s.pointer.reason, 'first release candidate');
  const trail = mlsnapJson<AuditRecord[]>(['stages', '--history'], opts);
  assert.deepEqual(
    trail.map((r) => [r.action, r.from, r.to, r.forced]),
    [['promote', null, v?.uid, false]],
  );
});

test('Export Deployment Bundle… writes a KServe bundle into the folder picked, and asks before overwriting it', async () => {
  await wb.clearNotifications();
  const exportOnce = async (): Promise<void> => {
    await firstVersionRow();
    await wb.treeItemContextMenu(/^@1 · /, 'Export Deployment Bundle…', 'History');
    await wb.quickInputStep(`Export ${MODEL}@1 as a deployment bundle for…`);
    await wb.chooseRow('KServe');
    await wb.quickInputStep(`Export the KServe bundle of ${MODEL}@1 into which folder?`);
    await wb.answerFolderDialog(workspace, bundleDir, 'Export Here');
  };
  await exportOnce();
  await wb.waitForNotification(`wrote the KServe bundle of ${MODEL}@1 to ${bundleDir}`, 60_000);
  await wb.screenshot('06-bundle-written');
  const manifest = parseYaml(fs.readFileSync(path.join(bundleDir, 'inferenceservice.yaml'), 'utf8')) as {
    apiVersion: string;
    kind: string;
    spec: { predictor: { containers: { resources: unknown }[] } };
  };
  assert.equal(manifest.kind, 'InferenceService');
  assert.match(manifest.apiVersion, /^serving\.kserve\.io\//);
  assert.ok(manifest.spec.predictor.containers[0]?.resources, 'the container is sized from the estimate');

  fs.writeFileSync(path.join(bundleDir, 'inferenceservice.yaml'), 'stale\n');
  await wb.clearNotifications();
  await exportOnce();
  await dialogShowing("Overwrite the bundle's files?");
  await wb.screenshot('07-bundle-overwrite');
  await clickDialogButton('Overwrite');
  await wb.waitForNotification(`wrote the KServe bundle of ${MODEL}@1 to ${bundleDir}`, 60_000);
  assert.match(fs.readFileSync(path.join(bundleDir, 'inferenceservice.yaml'), 'utf8'), /kind: InferenceService/);
});

test('Demote from the Models view empties staging, and the hover lists both moves newest first', async () => {
  await wb.clearNotifications();
  await wb.treeItemContextMenu('staging', 'Demote…', 'Models');
  await dialogShowing(`Demote staging of ${MODEL} on team?`);
  await wb.screenshot('08-demote-confirm');
  await clickDialogButton('Demote');
  await wb.quickInputStep(`Demote staging of ${MODEL}: why? (optional)`);
  await wb.enterText('rolled back');
  await wb.waitForNotification(`staging of ${MODEL} on team now holds nothing`, 60_000);
  const row = wb
    .view('Models')
    .locator(SEL.listRow)
    .filter({ hasText: new RegExp(`staging\\s*empty · demoted by ${AUTHOR}`) })
    .first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  const text = await hoverText(row, /demoted @1 → empty/);
  assert.ok(
    text.indexOf('demoted @1 → empty') < text.indexOf('promoted empty → @1'),
    `newest first: ${JSON.stringify(text)}`,
  );
  await wb.screenshot('09-demoted');
  await wb.page.mouse.move(5, 5);
  const [s] = mlsnapJson<StageInfo[]>(['stages'], opts);
  assert.equal(s?.pointer.target, null);
  assert.equal(s?.pointer.reason, 'rolled back');
});

test('with the daemon stopped, the Models view says so and Promote… offers to start it', async () => {
  await wb.clearNotifications();
  assert.equal(mlsnap(['daemon', 'stop'], opts).status, 0);
  await wb.waitForStatusBarItem(/daemon stopped/, 30_000);
  await wb
    .view('Models')
    .locator(SEL.welcomeView)
    .getByText('The mlsnap daemon is not running, so no stages can be shown.')
    .waitFor({ state: 'visible', timeout: 30_000 });
  await wb.runCommand('mlsnap: Promote…');
  const toast = await wb.waitForNotification(/Promote failed: the mlsnap daemon is not running/, 30_000);
  await toast.locator('a.monaco-button', { hasText: 'Start Daemon' }).waitFor({ state: 'visible' });
  await wb.screenshot('10-daemon-stopped');
});
