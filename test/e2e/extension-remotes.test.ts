import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { VersionInfo } from '../../shared/src/domain';
import type { RemoteInfo } from '../../shared/src/protocol';
import { MLSNAP } from '../support/cli';
import { moto, stopStorageServers } from '../support/storageServers';
import { tempDir, waitFor } from '../support/tmp';
import { CodeServer, REPO, SEL, Workbench } from '../support/vscode';

/**
 * Team remotes in a real VS Code: the packaged .vsix in code-server, driven with Playwright in
 * Debian's Chromium. A teammate (alice, her own daemon and MLSNAP_HOME) adds a folder remote
 * and pushes with the CLI; in the editor, project B adds the same folder through "Add
 * Remote…", pulls alice's version into History, and pushes its own notebook past the secret
 * gate with "Push with outputs stripped". Each step saves a PNG under
 * test-output/extension-remotes/.
 */
const SHOTS = path.join(REPO, 'test-output', 'extension-remotes');
const EXTENSION_ID = 'mlsnap.mlsnap';
const remoteDir = path.join(tempDir('rx-remote'), 'team');
const alice = { cwd: tempDir('rx-alice'), home: tempDir('rx-alice-home'), env: { MLSNAP_AUTHOR: 'alice' } };
const workspace = tempDir('rx-ws');
const me = { cwd: workspace, home: tempDir('rx-home'), env: {} };
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A GitHub-token-shaped value printed by project B's notebook: made here, so no such literal is in the repo. */
const TOKEN = `ghp_${Array.from({ length: 36 }, () => BASE62[randomInt(BASE62.length)]).join('')}`;
let server: CodeServer;
let wb: Workbench;

type Who = { cwd: string; home: string; env: Record<string, string> };

/**
 * The real CLI as `who` runs it: their own MLSNAP_HOME (so their own daemon) and environment,
 * without any cloud credentials of ours (the CLI would hand them to the daemon).
 */
function cli(args: string[], who: Who): { status: number; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, MLSNAP_HOME: who.home, ...who.env };
  for (const k of Object.keys(env)) if (/^(AWS|AZURE)_/.test(k) && k !== 'AWS_CA_BUNDLE') delete env[k];
  const r = spawnSync(process.execPath, [MLSNAP, ...args], {
    cwd: who.cwd,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function ok(args: string[], who: Who): string {
  const r = cli(args, who);
  assert.equal(r.status, 0, `mlsnap ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

function json<T>(args: string[], who: Who): T {
  return JSON.parse(ok([...args, '--json'], who)) as T;
}

function notebook(source: string, printed?: string): string {
  const outputs = printed === undefined ? [] : [{ output_type: 'stream', name: 'stdout', text: [`${printed}\n`] }];
  return JSON.stringify(
    {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
      cells: [{ id: 'c0', cell_type: 'code', source, metadata: {}, outputs, execution_count: printed ? 1 : null }],
    },
    null,
    1,
  );
}

before(async () => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  // Alice: her project, the team folder made by `remote add --create`, her version pushed.
  fs.writeFileSync(path.join(alice.cwd, 'shared.ipynb'), notebook('alpha = 0.1  # tuned by alice'));
  ok(['init'], alice);
  ok(['remote', 'add', 'origin', remoteDir, '--create'], alice);
  ok(['push'], alice);
  ok(['daemon', 'stop'], alice);
  // Project B: one notebook whose output prints a token, recorded by this user's daemon.
  fs.writeFileSync(path.join(workspace, 'mine.ipynb'), notebook('print(login())', TOKEN));
  ok(['init'], me);
  await waitFor('the first version of mine.ipynb', () => json<VersionInfo[]>(['log', 'mine.ipynb'], me).length === 1);

  const vsix = path.join(tempDir('rx-vsix'), 'mlsnap.vsix');
  execFileSync(process.execPath, [path.join(REPO, 'scripts', 'package.mjs'), vsix], { cwd: REPO, stdio: 'pipe' });
  const dir = tempDir('rx-cs');
  server = await CodeServer.start({
    workspace,
    extensionsDir: path.join(dir, 'extensions'),
    userDataDir: path.join(dir, 'user-data'),
    vsix,
    env: { MLSNAP_HOME: me.home },
  });
  wb = await Workbench.open(server, SHOTS);
});

after(async () => {
  await wb?.close();
  await server?.stop();
  cli(['daemon', 'stop'], me);
  cli(['daemon', 'stop'], alice);
  await stopStorageServers();
});

/** Every file under `dir` (or its `sub` folder), recursively. */
function filesUnder(dir: string, sub = ''): string[] {
  const root = path.join(dir, sub);
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

function remoteStatusItem() {
  return wb.statusBarItemById(EXTENSION_ID, 'mlsnap.remoteStatus');
}

test('Add Remote… adds the team folder through its quick picks; the status bar counts what is not pushed', async () => {
  await wb.openActivityBarView('mlsnap');
  await wb.treeItem(path.basename(workspace), 'History').waitFor({ state: 'visible', timeout: 60_000 });
  await wb.runCommandThatAsks('mlsnap: Add Remote…');
  await wb.quickInputStep('Add Remote: where do the versions go?');
  await wb.screenshot('01-remote-kinds');
  await wb.chooseRow('Folder');
  await wb.quickInputStep('Add Remote: the folder');
  await wb.enterText(remoteDir);
  await wb.quickInputStep('Add Remote: its name in this project');
  assert.equal(await wb.page.locator(SEL.quickInputBox).inputValue(), 'origin');
  await wb.enterText();
  await wb.waitForNotification(/added remote origin \(file:\/\/.*team\), the default; 1 version not pushed/, 30_000);
  await remoteStatusItem().filter({ hasText: '1 not pushed' }).waitFor({ state: 'visible', timeout: 30_000 });
  await wb.screenshot('02-remote-added');
  const remotes = json<RemoteInfo[]>(['remote', 'list'], me);
  assert.deepEqual(
    remotes.map((r) => [r.name, r.kind, r.url, r.unpushed]),
    [['origin', 'folder', `file://${remoteDir}`, 1]],
  );
});

test("Pull from the palette records alice's version; History shows it with her name", async () => {
  await wb.clearNotifications();
  await wb.runCommand('mlsnap: Pull');
  await wb.waitForNotification(/pulled 1 version from origin/, 60_000);
  await wb.openActivityBarView('mlsnap');
  const file = wb.treeItem('shared.ipynb', 'History');
  await file.waitFor({ state: 'visible', timeout: 30_000 });
  await file.click();
  const row = wb.view('History').locator(SEL.listRow).filter({ hasText: 'by alice' }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  assert.match(await row.innerText(), /@1 · .*by alice · .*on origin/s);
  await wb.screenshot('03-pulled-teammate-version');
  const [theirs] = json<VersionInfo[]>(['log', 'shared.ipynb'], me);
  assert.equal(theirs?.author, 'alice');
  assert.deepEqual(theirs?.remotes, ['origin']);
});

test('Push: the secret gate shows its findings; "Push with outputs stripped" pushes; the status bar says pushed', async () => {
  await wb.clearNotifications();
  await wb.runCommand('mlsnap: Push');
  const dialog = wb.page.locator('.monaco-dialog-box');
  await dialog.waitFor({ state: 'visible', timeout: 60_000 });
  await dialog.getByText('Nothing was pushed to origin: the secret gate found 1 possible secret.').waitFor();
  await dialog.getByText('mine.ipynb, cell 1 output, line 1: github-token (ghp_…(40 chars))').waitFor();
  assert.ok(!(await dialog.innerText()).includes(TOKEN), 'the dialog never shows the secret');
  await wb.screenshot('04-secret-gate-findings');
  await dialog.locator('a.monaco-button', { hasText: /^Push with outputs stripped$/ }).click();
  await wb.waitForNotification(/pushed 1 version to origin/, 60_000);
  await remoteStatusItem()
    .filter({ hasText: /^\s*pushed\s*$/ })
    .waitFor({ state: 'visible', timeout: 30_000 });
  const mine = wb.treeItem('mine.ipynb', 'History');
  await mine.click();
  await wb
    .view('History')
    .locator(SEL.listRow)
    .filter({ hasText: /^@1 · .* on origin/s, hasNotText: /\bby \w+/ })
    .first()
    .waitFor({ state: 'visible', timeout: 30_000 });
  await wb.screenshot('05-pushed-stripped');
  assert.equal(json<RemoteInfo[]>(['remote', 'list'], me)[0]?.unpushed, 0);
  // Alice pulls it: the notebook arrived without the output that printed the token.
  ok(['pull'], alice);
  const pushed = ok(['cat', 'mine.ipynb@latest'], alice);
  assert.ok(pushed.includes('print(login())'), pushed);
  assert.ok(!pushed.includes(TOKEN), 'the pushed notebook has its outputs stripped');
  ok(['daemon', 'stop'], alice);
});

test('an S3-compatible remote: its access key goes to secret storage, never the project, and a restarted daemon gets it back', async () => {
  const { url: endpoint } = await moto();
  const secret = `mlsnap-e2e-${randomInt(1e9)}-secret`;
  await wb.clearNotifications();
  await wb.runCommandThatAsks('mlsnap: Add Remote…');
  await wb.quickInputStep('Add Remote: where do the versions go?');
  await wb.chooseRow('S3-compatible storage');
  await wb.quickInputStep('Add Remote: the S3-compatible endpoint');
  await wb.enterText(endpoint);
  await wb.quickInputStep('Add Remote: the bucket');
  await wb.enterText(`s3://team-${process.pid}/ml`);
  await wb.quickInputStep('Add Remote: the region');
  assert.equal(await wb.page.locator(SEL.quickInputBox).inputValue(), 'us-east-1');
  await wb.enterText();
  await wb.quickInputStep('Add Remote: credentials');
  await wb.chooseRow('Access key');
  await wb.quickInput.getByText('Access key id (AWS_ACCESS_KEY_ID)').waitFor();
  await wb.enterText('AKIDMLSNAPE2E');
  await wb.quickInput.getByText('Secret access key (AWS_SECRET_ACCESS_KEY)').waitFor();
  assert.equal(await wb.page.locator(SEL.quickInputBox).getAttribute('type'), 'password');
  await wb.enterText(secret);
  await wb.quickInputStep('Add Remote: its name in this project');
  assert.equal(await wb.page.locator(SEL.quickInputBox).inputValue(), 'team');
  await wb.enterText();
  // The bucket does not exist yet: the daemon says so, and the error offers to create it.
  const toast = await wb.waitForNotification(/Adding remote team failed: .*does not exist/, 60_000);
  await wb.screenshot('06-bucket-missing');
  await wb.clickToastButton(toast, /^Create and Add$/);
  await wb.waitForNotification(/added remote team \(s3:\/\/team-\d+\/ml\)/, 60_000);
  const team = json<RemoteInfo[]>(['remote', 'list'], me).find((r) => r.name === 'team');
  assert.equal(team?.kind, 's3');
  assert.equal(team?.settings.endpoint, endpoint);
  // The secret is nowhere in the project or the user's settings.
  for (const file of [
    ...filesUnder(path.join(workspace, '.mlsnap')),
    ...filesUnder(server.options.userDataDir, 'User'),
  ])
    assert.ok(!fs.readFileSync(file).includes(secret), `${file} holds the secret`);

  // A daemon restarted (here by the CLI) knows no credentials: the window hands them over again.
  assert.equal(cli(['daemon', 'stop'], me).status, 0);
  await wb.waitForStatusBarItem(/daemon stopped/, 30_000);
  await wb.runCommand('mlsnap: Start/Restart Daemon');
  await wb.waitForStatusBarItem(/mlsnap: running/, 60_000);
  const deadline = Date.now() + 30_000;
  let check = cli(['remote', 'check', 'team'], me);
  while (check.status !== 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    check = cli(['remote', 'check', 'team'], me);
  }
  assert.equal(check.status, 0, `remote check without credentials of its own: ${check.stderr}${check.stdout}`);
  await wb.screenshot('07-s3-remote-after-restart');
});

test('with the daemon stopped, Pull says so and offers to start it', async () => {
  await wb.clearNotifications();
  assert.equal(cli(['daemon', 'stop'], me).status, 0);
  await wb.waitForStatusBarItem(/daemon stopped/, 30_000);
  await wb.runCommand('mlsnap: Pull');
  const toast = await wb.waitForNotification(/Pull failed: the mlsnap daemon is not running/, 30_000);
  await toast.locator('a.monaco-button', { hasText: 'Start Daemon' }).waitFor({ state: 'visible' });
  await wb.screenshot('08-pull-daemon-stopped');
});
