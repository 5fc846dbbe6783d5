import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CodeServer, REPO, SEL, Workbench } from '../support/vscode';
import { tempDir } from '../support/tmp';

/**
 * Proves the real-VS-Code harness (test/support/vscode.ts): a throwaway extension, built and
 * packaged with vsce in /tmp at test time, is installed into code-server; the test drives the
 * workbench in Chromium through the command palette, a custom view container (tree rows and
 * welcome-view buttons), quick open, notifications, the status bar and the notebook diff editor.
 */
const SHOTS = path.join(REPO, 'test-output', 'vscode-harness');
const VSCE = path.join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce');

const EXTENSION_JS = `
const vscode = require('vscode');
let hellos = 0;
let item;
exports.activate = (context) => {
  context.subscriptions.push(vscode.commands.registerCommand('harness.hello', () => {
    hellos += 1;
    if (!item) {
      item = vscode.window.createStatusBarItem('harness.status', vscode.StatusBarAlignment.Left, 1000);
      context.subscriptions.push(item);
    }
    item.text = 'harness-ok';
    item.tooltip = 'set by harness.hello';
    item.show();
    void vscode.window.showInformationMessage('Hello from the harness #' + hellos);
  }));
  context.subscriptions.push(vscode.commands.registerCommand('harness.diffNotebooks', async () => {
    const root = vscode.workspace.workspaceFolders[0].uri;
    await vscode.commands.executeCommand('vscode.diff', vscode.Uri.joinPath(root, 'a.ipynb'), vscode.Uri.joinPath(root, 'b.ipynb'), 'a.ipynb vs b.ipynb');
  }));
  context.subscriptions.push(vscode.commands.registerCommand('harness.pickRow', (label) => {
    void vscode.window.showInformationMessage('Picked ' + label);
  }));
  const rows = ['alpha', 'beta', 'gamma'];
  context.subscriptions.push(vscode.window.registerTreeDataProvider('harness.tree', {
    getChildren: (el) => (el ? [] : rows),
    getTreeItem: (label) => {
      const t = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
      t.description = 'row ' + label;
      t.iconPath = new vscode.ThemeIcon('file');
      return t;
    },
  }));
  context.subscriptions.push(vscode.window.registerTreeDataProvider('harness.empty', { getChildren: () => [], getTreeItem: (x) => x }));
};
exports.deactivate = () => {};
`;

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24"><circle cx="12" cy="12" r="8" fill="none" stroke="#c5c5c5" stroke-width="2"/></svg>\n';

function notebook(source: string): string {
  return `${JSON.stringify(
    {
      cells: [
        { cell_type: 'markdown', id: 'md1', metadata: {}, source: ['# Harness notebook'] },
        { cell_type: 'code', id: 'code1', execution_count: null, metadata: {}, outputs: [], source: [source] },
      ],
      metadata: {
        kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
        language_info: { name: 'python' },
      },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  )}\n`;
}

/** Write the extension's files under /tmp and package them with the repo's vsce; returns the .vsix. */
function buildExtension(): string {
  const dir = tempDir('harness-ext');
  const manifest = {
    name: 'harness-ext',
    displayName: 'Harness test extension',
    description: 'Throwaway extension that proves the VS Code test harness.',
    publisher: 'mlsnap-test',
    version: '0.0.1',
    license: 'MIT',
    engines: { vscode: '^1.90.0' },
    main: './extension.js',
    activationEvents: [],
    contributes: {
      commands: [
        { command: 'harness.hello', title: 'Say Hello', category: 'Harness' },
        { command: 'harness.diffNotebooks', title: 'Diff Notebooks', category: 'Harness' },
        { command: 'harness.pickRow', title: 'Pick Row', category: 'Harness' },
      ],
      menus: {
        'view/item/context': [{ command: 'harness.pickRow', when: 'view == harness.tree' }],
        commandPalette: [{ command: 'harness.pickRow', when: 'false' }],
      },
      viewsContainers: { activitybar: [{ id: 'harness', title: 'Harness Views', icon: 'media/icon.svg' }] },
      views: {
        harness: [
          { id: 'harness.tree', name: 'Harness Tree' },
          { id: 'harness.empty', name: 'Harness Empty' },
        ],
      },
      viewsWelcome: [{ view: 'harness.empty', contents: 'Nothing recorded yet.\n[Say Hello](command:harness.hello)' }],
    },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'extension.js'), EXTENSION_JS);
  fs.writeFileSync(
    path.join(dir, 'README.md'),
    '# Harness test extension\n\nBuilt by test/e2e/vscode-harness.test.ts.\n',
  );
  fs.mkdirSync(path.join(dir, 'media'));
  fs.writeFileSync(path.join(dir, 'media', 'icon.svg'), ICON_SVG);
  const vsix = path.join(dir, 'harness-ext-0.0.1.vsix');
  execFileSync(
    process.execPath,
    [
      VSCE,
      'package',
      '--no-dependencies',
      '--allow-missing-repository',
      '--skip-license',
      '--no-update-package-json',
      '-o',
      vsix,
    ],
    {
      cwd: dir,
      stdio: 'pipe',
      timeout: 60_000,
    },
  );
  assert.ok(fs.statSync(vsix).size > 0, 'vsce wrote the .vsix');
  return vsix;
}

let server: CodeServer | undefined;
let wb: Workbench | undefined;

before(() => {
  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  // The state at the end: on a failure, where the test stopped.
  await wb?.screenshot('zz-last-state').catch(() => undefined);
  await wb?.close();
  await server?.stop();
});

test(
  'the harness drives a real VS Code: palette, views, notifications, status bar, notebook diff',
  { timeout: 180_000 },
  async (t) => {
    const vsix = buildExtension();
    const workspace = tempDir('harness-ws');
    fs.writeFileSync(path.join(workspace, 'hello.txt'), 'hello from the harness workspace\n');
    fs.writeFileSync(path.join(workspace, 'a.ipynb'), notebook('print("a")\nx = 1'));
    fs.writeFileSync(path.join(workspace, 'b.ipynb'), notebook('print("b")\nx = 2'));

    const started = Date.now();
    server = await CodeServer.start({
      workspace,
      extensionsDir: tempDir('harness-exts'),
      userDataDir: tempDir('harness-ud'),
      vsix,
    });
    assert.ok(
      fs.existsSync(path.join(server.options.extensionsDir, 'mlsnap-test.harness-ext-0.0.1', 'package.json')),
      'the .vsix was installed',
    );
    wb = await Workbench.open(server, SHOTS);
    t.diagnostic(`code-server + workbench ready in ${Date.now() - started} ms`);
    // "Ready" is the layout; the explorer fills and extensions' contributions appear soon after.
    await wb.treeItem('hello.txt').waitFor({ state: 'visible' });
    await wb.activityBarItem('Harness Views').waitFor({ state: 'visible' });
    await wb.screenshot('01-workbench');

    // Command palette -> notification and status bar item.
    await wb.runCommand('Harness: Say Hello');
    const toast = await wb.waitForNotification('Hello from the harness #1');
    assert.match(await toast.innerText(), /Hello from the harness #1/);
    assert.equal(await wb.waitForStatusBarItem('harness-ok'), 'harness-ok');
    assert.equal(
      await wb.statusBarItemById('mlsnap-test.harness-ext', 'harness.status').getAttribute('aria-label'),
      'harness-ok, set by harness.hello',
    );
    assert.ok((await wb.statusBarTexts()).includes('harness-ok'));
    await wb.screenshot('02-hello-notification-status');

    // Custom view container: activity bar item, tree rows, welcome-view button.
    await wb.openActivityBarView('Harness Views');
    await wb.treeItem('beta', 'Harness Tree').waitFor({ state: 'visible' });
    assert.deepEqual(await wb.treeLabels('Harness Tree'), ['alpha', 'beta', 'gamma']);
    await wb.treeItemContextMenu('gamma', 'Pick Row', 'Harness Tree'); // menus show the title without the category
    await wb.waitForNotification('Picked gamma');
    const button = wb.welcomeButton('Say Hello', 'Harness Empty');
    await button.waitFor({ state: 'visible' });
    await wb.screenshot('03-view-container');
    await button.click();
    await wb.waitForNotification('Hello from the harness #2');

    // Quick open a file.
    await wb.openFile('hello.txt');
    await wb.waitForText('hello from the harness workspace');
    await wb.screenshot('04-quick-open-file');

    // Notebook diff editor through vscode.diff on two .ipynb files.
    await wb.runCommand('Harness: Diff Notebooks');
    await wb.page.locator(SEL.notebookDiffEditor).first().waitFor({ state: 'visible', timeout: 30_000 });
    await wb.waitForText('print("b")');
    await wb.screenshot('05-notebook-diff');

    await wb.clearNotifications();
    await wb.page.locator(SEL.notificationToast).first().waitFor({ state: 'hidden' });
    assert.deepEqual(await wb.notifications(), []);

    for (const f of fs.readdirSync(SHOTS))
      assert.ok(fs.readFileSync(path.join(SHOTS, f)).subarray(1, 4).toString() === 'PNG', `${f} is a PNG`);
    t.diagnostic(`screenshots in ${path.relative(REPO, SHOTS)}; console errors: ${wb.consoleErrors.length}`);
  },
);
