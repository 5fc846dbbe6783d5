/**
 * Drive a real VS Code from node:test: code-server 4.100.3 (VS Code 1.100's own server and web
 * workbench, installed by scripts/code-server.mjs into .cache/) in Debian's Chromium through
 * playwright-core.
 *
 *   const server = await CodeServer.start({ workspace, extensionsDir, userDataDir, vsix });
 *   const wb = await Workbench.open(server, screenshotsDir);
 *   await wb.runCommand('Harness: Say Hello');
 *   await wb.waitForNotification('Hello from the harness');
 *   await wb.screenshot('hello');
 *   await wb.close(); await server.stop();
 *
 * Selectors (checked against VS Code 1.100 in code-server 4.100.3; all in the SEL table below):
 * - workbench ready:     `.monaco-workbench` plus the status bar part `.part.statusbar`
 * - command palette:     F1 opens `.quick-input-widget`; its input is `.quick-input-box input`;
 *                        rows are `.quick-input-list .monaco-list-row`, their visible label in
 *                        `.label-name` (row aria-label is the label plus ", recently used" etc.);
 *                        an extension's commands appear only once the extension host has
 *                        registered extensions (~1-4 s after the workbench shows) and an open
 *                        palette does not refresh, so `pick` reopens it until the row shows
 * - activity bar item:   `.part.activitybar li.action-item[role="tab"]` (its own aria-label is
 *                        empty) holding `a.action-label[aria-label="<container title>"]`;
 *                        built-ins add the keybinding, e.g. "Explorer (Ctrl+Shift+E)". The li
 *                        has `aria-selected="true"` (and class `checked`) when shown; clicking
 *                        a selected item hides the side bar, so check before clicking
 * - views / panes:       `.part.sidebar .pane` whose `.pane-header` (role button, with
 *                        `aria-expanded`) has aria-label "<view name> Section"; the name is
 *                        also in `.pane-header h3.title` (shown upper-cased by CSS)
 * - tree rows:           `.monaco-list-row[role="treeitem"]` inside the pane's `.pane-body`;
 *                        label text in `.label-name`, description in `.label-description`;
 *                        the row's aria-label is "<label> <description>" for TreeItems
 * - welcome content:     `.pane-body.welcome .welcome-view-content`: `<p>` text, and buttons
 *                        `a.monaco-button[role="button"]` whose text is the markdown link's
 * - notifications:       toasts `.notifications-toasts .notification-toast`, message text in
 *                        `.notification-list-item-message`
 * - status bar items:    `.part.statusbar .statusbar-item` (id = `<extensionId>.<itemId>` for
 *                        createStatusBarItem(id); aria-label = text + ", " + tooltip), text in
 *                        `.statusbar-item-label`
 * - context menus:       `.context-view .monaco-menu`, entries `a.action-menu-item` whose
 *                        `.action-label` is the command title (no category); choose one with
 *                        hover + Enter (a Playwright click on the entry does not run it)
 * - editor tabs:         `.part.editor .tabs-container .tab` whose `.label-name` is the file
 *                        name; the active one has class `active`
 * - notebook diff:       `.notebook-text-diff-editor` (vscode.diff on two .ipynb files opens it,
 *                        through the built-in ipynb extension; cell diffs show both sides)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const REPO = path.resolve(__dirname, '..', '..');

/** The selectors the harness uses, in one place so a VS Code update is a one-line fix. */
export const SEL = {
  workbench: '.monaco-workbench',
  statusbarPart: '.monaco-workbench .part.statusbar',
  quickInput: '.quick-input-widget',
  quickInputBox: '.quick-input-widget .quick-input-box input',
  quickInputRow: '.quick-input-widget .quick-input-list .monaco-list-row',
  quickInputLabel: '.label-name',
  activityBarItem: '.monaco-workbench .part.activitybar .action-item[role="tab"]',
  activityBarLabel: 'a.action-label',
  sidebar: '.monaco-workbench .part.sidebar',
  pane: '.pane',
  paneHeader: '.pane-header',
  listRow: '.monaco-list-row',
  rowLabel: '.label-name',
  welcomeView: '.welcome-view-content',
  welcomeButton: '.welcome-view-content .monaco-button',
  notificationToast: '.notifications-toasts .notification-toast',
  notificationMessage: '.notification-list-item-message',
  statusbarItem: '.monaco-workbench .part.statusbar .statusbar-item',
  statusbarLabel: '.statusbar-item-label',
  editorTab: '.monaco-workbench .part.editor .tabs-container .tab',
  contextMenu: '.context-view .monaco-menu',
  contextMenuItem: '.action-item a.action-menu-item',
  notebookDiffEditor: '.notebook-text-diff-editor',
} as const;

/** The Chromium flags from the notes: headless, no sandbox (root), nothing reaches the network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

interface InstallerModule {
  ensureCodeServer(): Promise<string>;
  CHROMIUM: string;
}

let installer: Promise<InstallerModule> | undefined;
function loadInstaller(): Promise<InstallerModule> {
  installer ??= import(pathToFileURL(path.join(REPO, 'scripts', 'code-server.mjs')).href) as Promise<InstallerModule>;
  return installer;
}

// ---------------------------------------------------------------------------------------------
// Cleanup on exit: every live code-server process group and browser is killed when the test
// process ends, also on SIGINT/SIGTERM/SIGHUP (node's test runner sends SIGTERM on cancel).

const exitHooks = new Set<() => void>();
let hooksInstalled = false;
function onProcessExit(hook: () => void): () => void {
  exitHooks.add(hook);
  if (!hooksInstalled) {
    hooksInstalled = true;
    const runAll = (): void => {
      for (const h of [...exitHooks]) {
        try {
          h();
        } catch {
          // best effort: the process is going away
        }
      }
      exitHooks.clear();
    };
    process.on('exit', runAll);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const handler = (): void => {
        runAll();
        process.removeListener(sig, handler);
        // Default behaviour again (exit by the signal) unless someone else handles it.
        if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
      };
      process.on(sig, handler);
    }
  }
  return () => exitHooks.delete(hook);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => {
      req.destroy();
      resolve(0);
    });
  });
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A regexp matching the whole text `s` (surrounding whitespace allowed). */
function exactly(s: string): RegExp {
  return new RegExp(`^\\s*${escapeRegExp(s)}\\s*$`);
}

// ---------------------------------------------------------------------------------------------

export interface CodeServerOptions {
  /** Folder opened in the workbench. */
  workspace: string;
  /** `--extensions-dir`: where the .vsix is installed (use a fresh temp folder per test). */
  extensionsDir: string;
  /** `--user-data-dir`: settings, state, logs (fresh temp folder per test). */
  userDataDir: string;
  /** A .vsix to install with `--install-extension` before starting. */
  vsix?: string;
  /** Extra environment for code-server and so the extension host (e.g. MLSNAP_HOME). */
  env?: Record<string, string>;
  /** Extra user settings, merged over the harness defaults. */
  settings?: Record<string, unknown>;
  /** How long to wait for the server to answer (default 60 s). */
  startTimeoutMs?: number;
}

/** The settings every run gets: no trust dialog, no welcome page, nothing that phones home. */
export const DEFAULT_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'chat.commandCenter.enabled': false,
  'window.commandCenter': false,
  'editor.experimental.asyncTokenization': false,
};

/** A code-server process serving one workspace; `stop()` (or process exit) kills its group. */
export class CodeServer {
  /** Base URL, e.g. http://127.0.0.1:41234/ */
  readonly url: string;
  /** URL that opens `workspace` in the workbench. */
  readonly folderUrl: string;
  /** code-server's own output (stdout and stderr). */
  readonly logFile: string;
  private proc: ChildProcess | undefined;
  private removeExitHook: () => void;
  private exited: Promise<void>;

  private constructor(
    readonly options: CodeServerOptions,
    readonly port: number,
    proc: ChildProcess,
    logFile: string,
  ) {
    this.proc = proc;
    this.url = `http://127.0.0.1:${port}/`;
    this.folderUrl = `${this.url}?folder=${encodeURIComponent(options.workspace)}`;
    this.logFile = logFile;
    const pid = proc.pid as number;
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    this.removeExitHook = onProcessExit(() => killGroup(pid, 'SIGKILL'));
  }

  get workspace(): string {
    return this.options.workspace;
  }

  /** code-server's output so far (for assertion messages). */
  log(): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  static async start(opts: CodeServerOptions): Promise<CodeServer> {
    const { ensureCodeServer } = await loadInstaller();
    const bin = await ensureCodeServer();
    for (const d of [opts.workspace, opts.extensionsDir, path.join(opts.userDataDir, 'User')])
      fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(
      path.join(opts.userDataDir, 'User', 'settings.json'),
      `${JSON.stringify({ ...DEFAULT_SETTINGS, ...opts.settings }, null, 2)}\n`,
    );
    // A config file of our own: code-server otherwise writes ~/.config/code-server/config.yaml.
    const config = path.join(opts.userDataDir, 'code-server.yaml');
    fs.writeFileSync(config, 'auth: none\ncert: false\n');
    // code-server keeps logs, a heartbeat file and a default config under the XDG folders:
    // point them into the user data dir so that runs leave nothing in $HOME (opts.env wins).
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      XDG_CONFIG_HOME: path.join(opts.userDataDir, 'xdg-config'),
      XDG_DATA_HOME: path.join(opts.userDataDir, 'xdg-data'),
      ...opts.env,
    };
    delete env.VSCODE_IPC_HOOK_CLI; // never talk to an enclosing VS Code
    const common = ['--config', config, '--user-data-dir', opts.userDataDir, '--extensions-dir', opts.extensionsDir];

    if (opts.vsix) {
      const r = spawnSync(process.execPath, [bin, ...common, '--install-extension', opts.vsix, '--force'], {
        encoding: 'utf8',
        env,
        timeout: 120_000,
      });
      const out = `${r.stdout}${r.stderr}`;
      if (r.status !== 0 || !/successfully installed/i.test(out)) {
        throw new Error(`code-server --install-extension ${opts.vsix} failed (exit ${r.status}):\n${out}`);
      }
    }

    const port = await freePort();
    const logFile = path.join(opts.userDataDir, 'code-server.log');
    const logFd = fs.openSync(logFile, 'a');
    const args = [
      bin,
      ...common,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      opts.workspace,
    ];
    // detached: its own process group, so stop() also ends the extension host and watchers.
    const proc = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    const server = new CodeServer(opts, port, proc, logFile);
    let exitCode: number | null | undefined;
    proc.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
    });

    const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
    for (;;) {
      if (exitCode !== undefined)
        throw new Error(`code-server exited (${exitCode}) before answering:\n${server.log()}`);
      if ((await httpStatus(`${server.url}healthz`)) === 200) return server;
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(
          `code-server did not answer on ${server.url} within ${opts.startTimeoutMs ?? 60_000} ms:\n${server.log()}`,
        );
      }
      await sleep(100);
    }
  }

  /** Kill code-server's process group: SIGTERM, then SIGKILL after 5 s. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc?.pid) return;
    this.proc = undefined;
    const pid = proc.pid;
    if (proc.exitCode === null && proc.signalCode === null) {
      killGroup(pid, 'SIGTERM');
      const done = await Promise.race([this.exited.then(() => true), sleep(5000).then(() => false)]);
      if (!done) killGroup(pid, 'SIGKILL');
    }
    // Children that outlived the main process (extension host, watchers) share its group.
    killGroup(pid, 'SIGKILL');
    this.removeExitHook();
  }
}

// ---------------------------------------------------------------------------------------------

export interface WorkbenchOptions {
  /** Browser window size (default 1400x900). */
  viewport?: { width: number; height: number };
  /** Default timeout for waits, ms (default 20 s). */
  timeoutMs?: number;
}

/** A Chromium page showing the workbench of a CodeServer, with helpers for common gestures. */
export class Workbench {
  /**
   * Console errors and page errors seen so far (useful in assertion messages). code-server
   * always logs two 404s for `vsda` (a signing module only Microsoft's builds ship): harmless.
   */
  readonly consoleErrors: string[] = [];

  // playwright-core kills the browsers it launched when this process exits or gets
  // SIGINT/SIGTERM/SIGHUP (its launch defaults), so no exit hook of our own is needed here.
  private constructor(
    readonly server: CodeServer,
    readonly browser: Browser,
    readonly context: BrowserContext,
    readonly page: Page,
    readonly screenshotsDir: string,
  ) {}

  static async open(server: CodeServer, screenshotsDir: string, opts: WorkbenchOptions = {}): Promise<Workbench> {
    const { CHROMIUM } = await loadInstaller();
    fs.mkdirSync(screenshotsDir, { recursive: true });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    try {
      const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
      context.setDefaultTimeout(opts.timeoutMs ?? 20_000);
      const page = await context.newPage();
      const wb = new Workbench(server, browser, context, page, screenshotsDir);
      page.on('console', (m) => {
        if (m.type() === 'error') wb.consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => wb.consoleErrors.push(String(e)));
      await page.goto(server.folderUrl);
      await wb.waitForReady();
      return wb;
    } catch (e) {
      await browser.close().catch(() => undefined);
      throw e;
    }
  }

  /** The workbench is laid out and the status bar shows (extensions may still be starting). */
  async waitForReady(timeoutMs = 60_000): Promise<void> {
    await this.page.locator(SEL.workbench).waitFor({ state: 'visible', timeout: timeoutMs });
    await this.page.locator(SEL.statusbarPart).waitFor({ state: 'visible', timeout: timeoutMs });
    // The explorer (or another sidebar view) having rendered means the layout settled.
    await this.page
      .locator(`${SEL.sidebar} ${SEL.pane}`)
      .first()
      .waitFor({ state: 'visible', timeout: timeoutMs })
      .catch(() => undefined);
  }

  // --- quick input ----------------------------------------------------------------------------

  /** The command palette / quick open widget. */
  get quickInput(): Locator {
    return this.page.locator(SEL.quickInput);
  }

  private async openQuickInput(key: string, prefix: string, text: string): Promise<void> {
    // Close a quick input left open, then open it afresh with the key.
    if (await this.quickInput.isVisible()) {
      await this.page.keyboard.press('Escape');
      await this.quickInput.waitFor({ state: 'hidden' });
    }
    await this.page.keyboard.press(key);
    const box = this.page.locator(SEL.quickInputBox);
    await box.waitFor({ state: 'visible' });
    await box.fill(`${prefix}${text}`);
  }

  /**
   * Open the quick input with `key`, type `prefix + text`, and accept the row labelled exactly
   * `label` (Enter when it is the focused row, else a click). The palette lists an extension's
   * commands only once the extension host has registered the extensions, a few seconds after
   * the workbench shows, and an open palette does not refresh: so when the row does not show
   * within a few seconds the palette is closed and opened again, until `timeoutMs`.
   */
  async pick(key: string, prefix: string, text: string, label: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      await this.openQuickInput(key, prefix, text);
      const row = this.quickInputRow(label).first();
      try {
        await row.waitFor({
          state: 'visible',
          timeout: Math.min(3000 * attempt, Math.max(1000, deadline - Date.now())),
        });
      } catch (e) {
        if (Date.now() >= deadline) {
          const shown = await this.page.locator(`${SEL.quickInputRow} ${SEL.quickInputLabel}`).allInnerTexts();
          throw new Error(
            `no quick input row labelled ${JSON.stringify(label)} after typing ${JSON.stringify(prefix + text)} for ${timeoutMs} ms; rows: ${JSON.stringify(shown)}`,
            { cause: e },
          );
        }
        continue;
      }
      if ((await row.getAttribute('class'))?.split(/\s+/).includes('focused')) await this.page.keyboard.press('Enter');
      else await row.click();
      await this.quickInput.waitFor({ state: 'hidden' });
      return;
    }
  }

  /** A row of the open quick input whose label is exactly `label`. */
  quickInputRow(label: string): Locator {
    return this.page
      .locator(SEL.quickInputRow)
      .filter({ has: this.page.locator(SEL.quickInputLabel, { hasText: exactly(label) }) });
  }

  /** Wait for a step of a multi-step quick input, by its title. */
  async quickInputStep(title: string | RegExp): Promise<void> {
    await this.quickInput.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible' });
  }

  /** Click the row of the open quick input labelled exactly `label`. */
  async chooseRow(label: string): Promise<void> {
    const row = this.quickInputRow(label).first();
    await row.waitFor({ state: 'visible' });
    await row.click();
  }

  /** Type `text` into the open quick input (none: keep its value) and press Enter. */
  async enterText(text?: string): Promise<void> {
    const box = this.page.locator(SEL.quickInputBox);
    await box.waitFor({ state: 'visible' });
    if (text !== undefined) await box.fill(text);
    await this.page.keyboard.press('Enter');
  }

  /** Run a palette command that then asks something: the quick input stays open for its questions. */
  async runCommandThatAsks(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const box = this.page.locator(SEL.quickInputBox);
    await box.waitFor({ state: 'visible' });
    await box.fill(`>${title}`);
    const row = this.quickInputRow(title).first();
    await row.waitFor({ state: 'visible' });
    if ((await row.getAttribute('class'))?.split(/\s+/).includes('focused')) await this.page.keyboard.press('Enter');
    else await row.click();
  }

  /**
   * Answer VS Code's own folder dialog (code-server shows its simple file dialog, a quick input
   * holding a path): once it has opened at `startsAt` (it sets its own value as it loads, which
   * would replace one typed earlier), type the folder, and accept it when the value has held.
   * `beforeAccept` runs with the folder typed (a screenshot).
   */
  async answerFolderDialog(
    startsAt: string,
    dir: string,
    okLabel: string,
    beforeAccept?: () => Promise<unknown>,
  ): Promise<void> {
    const box = this.page.locator(SEL.quickInputBox);
    await box.waitFor({ state: 'visible' });
    const opened = Date.now() + 20_000;
    while ((await box.inputValue()) !== `${startsAt}/`) {
      if (Date.now() > opened) throw new Error(`the folder dialog did not open at ${startsAt}/`);
      await new Promise((r) => setTimeout(r, 100));
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      await box.fill(`${dir}/`);
      await new Promise((r) => setTimeout(r, 750));
      if ((await box.inputValue()) === `${dir}/`) break;
    }
    const kept = await box.inputValue();
    if (kept !== `${dir}/`) throw new Error(`the folder dialog did not keep the folder typed: ${kept}`);
    await beforeAccept?.();
    const title = await this.quickInput.locator('.quick-input-title').innerText();
    const ok = this.quickInput.locator('.quick-input-action a.monaco-button', { hasText: okLabel });
    if (await ok.isVisible()) await ok.click();
    else await this.page.keyboard.press('Enter');
    // Accepted when the dialog closes, or when the command's next question takes its place:
    // the quick input is reused then and may never hide (seen in CI, under load).
    const deadline = Date.now() + 30_000;
    while (await this.quickInput.isVisible()) {
      const now = await this.quickInput
        .locator('.quick-input-title')
        .innerText({ timeout: 1_000 })
        .catch(() => undefined);
      if (now !== title) break;
      if (Date.now() > deadline) throw new Error(`the folder dialog stayed open after ${okLabel} (${title})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Run a command by its title through the palette: F1, type the title, Enter (see `pick`). */
  async runCommand(title: string, timeoutMs?: number): Promise<void> {
    await this.pick('F1', '>', title, title, timeoutMs);
  }

  /** Open a workspace file by its path relative to the workspace, through quick open (Ctrl+P). */
  async openFile(relPath: string, timeoutMs?: number): Promise<void> {
    const base = path.basename(relPath);
    // File results are labelled with the base name, the folder in `.label-description`.
    await this.pick('Control+P', '', relPath, base, timeoutMs);
    await this.editorTab(base).and(this.page.locator('.active')).waitFor({ state: 'visible' });
  }

  /** The editor tab of `fileName` (its `.label-name` is the name). */
  editorTab(fileName: string): Locator {
    return this.page
      .locator(SEL.editorTab)
      .filter({ has: this.page.locator('.label-name', { hasText: exactly(fileName) }) });
  }

  // --- views ----------------------------------------------------------------------------------

  /** The activity bar item of a view container, by its title (aria-label prefix). */
  activityBarItem(ariaLabel: string): Locator {
    const label = this.page.locator(
      `${SEL.activityBarLabel}[aria-label="${ariaLabel}"], ${SEL.activityBarLabel}[aria-label^="${ariaLabel} ("]`,
    );
    return this.page.locator(SEL.activityBarItem).filter({ has: label }).first();
  }

  /** Show a view container from the activity bar (does not toggle it closed if already shown). */
  async openActivityBarView(ariaLabel: string): Promise<void> {
    const item = this.activityBarItem(ariaLabel);
    await item.waitFor({ state: 'visible' });
    if ((await item.getAttribute('aria-selected')) !== 'true') await item.click();
    await this.page.waitForFunction((el) => el?.getAttribute('aria-selected') === 'true', await item.elementHandle());
    await this.page.locator(SEL.sidebar).waitFor({ state: 'visible' });
  }

  /** A view (pane) in the side bar by its name, e.g. "Snapshots". */
  view(name: string): Locator {
    return this.page
      .locator(`${SEL.sidebar} ${SEL.pane}`)
      .filter({ has: this.page.locator(`${SEL.paneHeader}[aria-label="${name} Section"]`) })
      .first();
  }

  /** Expand a collapsed view (pane) by clicking its header. */
  async expandView(name: string): Promise<Locator> {
    const v = this.view(name);
    const header = v.locator(SEL.paneHeader);
    await header.waitFor({ state: 'visible' });
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    return v;
  }

  /** A tree row whose label is exactly `label` (or matches the RegExp), in the view `viewName` (or anywhere). */
  treeItem(label: string | RegExp, viewName?: string): Locator {
    const scope = viewName ? this.view(viewName) : this.page.locator(SEL.workbench);
    return scope
      .locator(SEL.listRow)
      .filter({ has: this.page.locator(SEL.rowLabel, { hasText: typeof label === 'string' ? exactly(label) : label }) })
      .first();
  }

  /** Labels of the visible rows of a view's tree (virtualised: only the rendered rows). */
  async treeLabels(viewName: string): Promise<string[]> {
    return (await this.view(viewName).locator(`${SEL.listRow} ${SEL.rowLabel}`).allInnerTexts()).map((s) => s.trim());
  }

  /**
   * Right-click a tree row and choose `action` from its context menu (`view/item/context`
   * contributions). The menu is `.context-view .monaco-menu`; entries are
   * `.action-item a.action-menu-item` with the title in `.action-label`.
   */
  async treeItemContextMenu(label: string | RegExp, action: string, viewName?: string): Promise<void> {
    const row = this.treeItem(label, viewName);
    await row.click({ button: 'right' });
    const entry = this.page
      .locator(`${SEL.contextMenu} ${SEL.contextMenuItem}`)
      .filter({ has: this.page.locator('.action-label', { hasText: exactly(action) }) })
      .first();
    // A mouse click on a menu entry does nothing here (VS Code's menu acts on its own
    // mouse-up handling, which Playwright's synthetic click does not satisfy); hovering the
    // entry focuses it and Enter runs it, reliably.
    await entry.hover();
    await this.page.keyboard.press('Enter');
    await this.page.locator(SEL.contextMenu).first().waitFor({ state: 'hidden' });
  }

  /** A button of a view's welcome content (viewsWelcome `[Text](command:...)`), by its text. */
  welcomeButton(text: string, viewName?: string): Locator {
    const scope = viewName ? this.view(viewName) : this.page.locator(SEL.sidebar);
    return scope
      .locator(SEL.welcomeButton)
      .filter({ hasText: exactly(text) })
      .first();
  }

  // --- notifications, status bar, text ---------------------------------------------------------

  /** Wait for a notification toast whose message contains `text`; returns the toast. */
  async waitForNotification(text: string | RegExp, timeoutMs?: number): Promise<Locator> {
    const toast = this.page
      .locator(SEL.notificationToast)
      .filter({ has: this.page.locator(SEL.notificationMessage, { hasText: text }) })
      .first();
    try {
      await toast.waitFor({ state: 'visible', timeout: timeoutMs });
    } catch (e) {
      // Say what was shown instead: a timeout alone does not tell a wrong message from none.
      const shown = await this.notifications().catch(() => []);
      throw new Error(`no notification matching ${String(text)}; shown: ${JSON.stringify(shown)}`, { cause: e });
    }
    return toast;
  }

  /**
   * Press a toast's button and wait for the toast to close. The click is dispatched to the
   * button itself, not aimed at its position: toasts move while one above or below them
   * fades out (a finished progress notification), and an aimed click then lands on the
   * close button or another toast (seen in CI: the error closed, its action never ran).
   */
  async clickToastButton(toast: Locator, label: string | RegExp): Promise<void> {
    const button = toast.locator('a.monaco-button', { hasText: label });
    await button.waitFor({ state: 'visible' });
    // Pressed after a reader's pause: VS Code drops a toast when more than three were added
    // within 800 ms (NotificationsToasts.SPAM_PROTECTION), and a click at machine speed on a
    // toast that a progress toast had just preceded, answered quickly, lost the answer's toast
    // (seen in CI: the remote was added, its message only in the notification center).
    await new Promise((r) => setTimeout(r, 1_000));
    await button.dispatchEvent('click');
    await toast.waitFor({ state: 'hidden', timeout: 10_000 });
  }

  /** Messages of the notification toasts shown now. */
  async notifications(): Promise<string[]> {
    return (await this.page.locator(`${SEL.notificationToast} ${SEL.notificationMessage}`).allInnerTexts()).map((s) =>
      s.trim(),
    );
  }

  /** Close every notification toast (Escape closes only the focused one). */
  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
  }

  /** Texts of the status bar items, left to right. */
  async statusBarTexts(): Promise<string[]> {
    return (await this.page.locator(SEL.statusbarItem).allInnerTexts()).map((s) => s.trim()).filter(Boolean);
  }

  /** The status bar item whose text contains `text` (or matches the RegExp). */
  statusBarItem(text: string | RegExp): Locator {
    return this.page.locator(SEL.statusbarItem).filter({ hasText: text }).first();
  }

  /**
   * The status bar item of `createStatusBarItem(id)`: its element id is
   * `<publisher>.<name>.<id>` (e.g. `mlsnap.mlsnap.mlsnap.status`), its aria-label the text
   * followed by the tooltip.
   */
  statusBarItemById(extensionId: string, itemId: string): Locator {
    return this.page.locator(`${SEL.statusbarItem}[id="${extensionId}.${itemId}"]`);
  }

  /** Wait for a status bar item showing `text`; returns its full text. */
  async waitForStatusBarItem(text: string | RegExp, timeoutMs?: number): Promise<string> {
    const item = this.statusBarItem(text);
    await item.waitFor({ state: 'visible', timeout: timeoutMs });
    return (await item.innerText()).trim();
  }

  /** Wait until `text` is visible anywhere in the workbench. */
  async waitForText(text: string | RegExp, timeoutMs?: number): Promise<Locator> {
    const loc = this.page.locator(SEL.workbench).getByText(text).first();
    await loc.waitFor({ state: 'visible', timeout: timeoutMs });
    return loc;
  }

  // --- output ---------------------------------------------------------------------------------

  /** Save a PNG of the page under the screenshots folder; returns its path. */
  async screenshot(name: string): Promise<string> {
    const file = path.join(this.screenshotsDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }
}
