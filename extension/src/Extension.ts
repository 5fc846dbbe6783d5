import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VersionInfo } from '../../shared/src/domain';
import { registerCommands, setContext, showHistory } from './Commands';
import { DaemonConnection } from './DaemonConnection';
import { daemonHome, DaemonLauncher } from './DaemonLauncher';
import { DiffPanels } from './DiffPanel';
import { DisposableStore } from './Disposables';
import { HistoryService } from './HistoryService';
import { CommandId, ContextKey, SUMMARY_SCHEME, VERSION_SCHEME, ViewId } from './ids';
import { age } from './model/summaries';
import { OutputLog } from './OutputLog';
import { ProjectCatalog } from './ProjectCatalog';
import { VersionFileSystem, VersionSummaries } from './VersionDocuments';
import { EnvironmentTree } from './views/EnvironmentTree';
import { HistoryTree } from './views/HistoryTree';
import { SnapshotsTree } from './views/SnapshotsTree';

const CONFIG = 'mlsnap';

/**
 * The composition root: owns every service and disposable of the extension. Built once by
 * activate(); disposed by VS Code through context.subscriptions.
 */
export class Extension implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly log: OutputLog;
  private readonly daemon: DaemonConnection;
  private readonly catalog: ProjectCatalog;
  private readonly history: HistoryTree;
  private readonly historyView: vscode.TreeView<import('./views/HistoryTree').HistoryNode>;
  private readonly service: HistoryService;
  private readonly statusBar: vscode.StatusBarItem;
  private follow = false;
  /** The active file's latest version, as last asked; the status bar draws from it. */
  private activeLatest: VersionInfo | undefined;

  constructor(context: vscode.ExtensionContext) {
    this.log = this.store.track(new OutputLog());
    const launcher = new DaemonLauncher(path.join(context.extensionPath, 'dist', 'daemon.js'), () => config().get<string>('nodePath') || undefined, (m) => this.log.info(m));
    this.daemon = this.store.track(new DaemonConnection(daemonHome(), launcher, this.log));
    this.catalog = this.store.track(new ProjectCatalog(this.daemon));

    this.history = this.store.track(new HistoryTree(this.daemon, this.catalog));
    this.historyView = this.store.track(vscode.window.createTreeView(ViewId.History, { treeDataProvider: this.history, showCollapseAll: true }));
    const snapshots = this.store.track(new SnapshotsTree(this.daemon, this.catalog));
    this.store.track(vscode.window.createTreeView(ViewId.Snapshots, { treeDataProvider: snapshots }));
    const environment = this.store.track(new EnvironmentTree());
    const envView = this.store.track(vscode.window.createTreeView(ViewId.Environment, { treeDataProvider: environment }));
    this.store.track(environment.onDidChangeTreeData(() => (envView.description = environment.title + (environment.filter ? ` · filter: ${environment.filter}` : ''))));

    const fsProvider = new VersionFileSystem(this.daemon);
    this.store.track(fsProvider);
    this.store.track(vscode.workspace.registerFileSystemProvider(VERSION_SCHEME, fsProvider, { isReadonly: true, isCaseSensitive: true }));
    this.store.track(vscode.workspace.registerTextDocumentContentProvider(SUMMARY_SCHEME, new VersionSummaries(this.daemon)));

    const panels = this.store.track(new DiffPanels());
    this.service = new HistoryService(this.daemon, this.catalog, environment, panels);
    registerCommands(this.store, {
      history: this.service,
      daemon: this.daemon,
      log: this.log,
      tree: this.history,
      treeView: this.historyView,
      follow: { set: (on) => this.setFollow(on) },
    });

    this.statusBar = this.store.track(vscode.window.createStatusBarItem('mlsnap.status', vscode.StatusBarAlignment.Left, 50));
    this.statusBar.name = 'mlsnap';
    this.statusBar.show();
    this.wireEvents();
  }

  /** Connect to (or start) the daemon. Failure leaves the "daemon not running" view up. */
  async start(): Promise<void> {
    await setContext(ContextKey.DaemonState, 'starting');
    await setContext(ContextKey.FollowActiveEditor, false);
    try {
      await this.daemon.connectOrStart();
    } catch (e) {
      await this.log.showError('Starting the daemon', e);
    }
    await setContext(ContextKey.DaemonState, this.daemon.state);
    await this.catalog.refresh();
    await this.pushSettings();
    await this.updateStatusBar();
  }

  private wireEvents(): void {
    this.store.track(
      this.daemon.onDidChangeState((s) => {
        void setContext(ContextKey.DaemonState, s);
        void this.catalog.refresh().then(() => this.pushSettings());
        void this.updateStatusBar();
      }),
    );
    this.store.track(this.daemon.onDidRecord(() => void this.updateStatusBar()));
    this.store.track(this.daemon.onDidRecord((e) => void this.applyRetention(e.root)));
    this.store.track(vscode.window.onDidChangeActiveTextEditor(() => void this.onActiveEditor()));
    this.store.track(vscode.window.onDidChangeActiveNotebookEditor(() => void this.onActiveEditor()));
    this.store.track(vscode.workspace.onDidSaveTextDocument((doc) => void this.onSave(doc.uri)));
    this.store.track(vscode.workspace.onDidSaveNotebookDocument((nb) => void this.onSave(nb.uri)));
    this.store.track(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(CONFIG) && void this.pushSettings()));
    // The age shown in the status bar goes stale: redraw it each minute, without asking the daemon.
    const timer = setInterval(() => this.renderStatusBar(), 60_000);
    this.store.track(new vscode.Disposable(() => clearInterval(timer)));
  }

  /** Save → an immediate version (trigger "save"); the watcher's event for it finds it unchanged. */
  private async onSave(uri: vscode.Uri): Promise<void> {
    const hit = this.catalog.locate(uri);
    // In an untrusted workspace nothing is recorded automatically: capture runs interpreters.
    if (!hit || this.daemon.state !== 'running' || !vscode.workspace.isTrusted) return;
    if (!vscode.workspace.getConfiguration(CONFIG, uri).get<boolean>('snapshotOnSave', true)) return;
    try {
      await this.daemon.call('snapshot/create', { root: hit.root, paths: [hit.rel], trigger: 'save' });
    } catch (e) {
      this.log.warn(`snapshot on save of ${hit.rel} failed: ${String(e)}`);
    }
  }

  private async onActiveEditor(): Promise<void> {
    await this.updateStatusBar();
    if (!this.follow) return;
    const uri = vscode.window.activeNotebookEditor?.notebook.uri ?? vscode.window.activeTextEditor?.document.uri;
    if (!uri || !this.catalog.locate(uri)) return;
    await showHistory({ history: this.service, tree: this.history, treeView: this.historyView }, uri).catch(() => undefined);
  }

  private setFollow(on: boolean): void {
    this.follow = on;
    void setContext(ContextKey.FollowActiveEditor, on);
    if (on) void this.onActiveEditor();
  }

  /** Ask the daemon for the active file's latest version (on editor change and notifications). */
  private async updateStatusBar(): Promise<void> {
    this.activeLatest = undefined;
    if (this.daemon.state === 'running') {
      const uri = vscode.window.activeNotebookEditor?.notebook.uri ?? vscode.window.activeTextEditor?.document.uri;
      const hit = uri ? this.catalog.locate(uri) : null;
      this.activeLatest = hit ? (await this.daemon.call('version/log', { root: hit.root, path: hit.rel, limit: 1 }).catch(() => []))[0] : undefined;
    }
    await setContext(ContextKey.ActiveFileTracked, this.activeLatest !== undefined);
    this.renderStatusBar();
  }

  private renderStatusBar(): void {
    const item = this.statusBar;
    if (this.daemon.state !== 'running') {
      item.text = this.daemon.state === 'starting' ? '$(sync~spin) mlsnap: starting' : '$(debug-disconnect) mlsnap: daemon stopped';
      item.tooltip = 'The mlsnap daemon is not running. Click to start it.';
      item.command = CommandId.StartDaemon;
      return;
    }
    const latest = this.activeLatest;
    item.command = CommandId.ShowHistory;
    item.text = latest ? `$(history) mlsnap: ${latest.path}@${latest.seq} · ${age(latest.createdAt)}` : '$(history) mlsnap: running';
    item.tooltip = latest ? `Last version of ${latest.path} recorded ${new Date(latest.createdAt).toLocaleString()}. Click for its history.` : 'mlsnap daemon running. Click to show the history of the current file.';
  }

  /** Editor settings that the daemon applies per project: interpreter, include, exclude. */
  private async pushSettings(): Promise<void> {
    if (this.daemon.state !== 'running' || !vscode.workspace.isTrusted) return;
    for (const root of this.catalog.roots) {
      const c = vscode.workspace.getConfiguration(CONFIG, vscode.Uri.file(root));
      const settings = {
        ...(c.get<string>('interpreter') ? { interpreter: c.get<string>('interpreter') as string } : {}),
        ...(explicit(c, 'include') ? { include: c.get<string[]>('include') ?? [] } : {}),
        ...(explicit(c, 'exclude') ? { exclude: c.get<string[]>('exclude') ?? [] } : {}),
      };
      if (Object.keys(settings).length === 0) continue;
      await this.daemon.call('project/configure', { root, settings }).catch((e: unknown) => this.log.warn(`settings for ${root}: ${String(e)}`));
    }
  }

  /** Only for this window's projects (every window hears of every project's versions). */
  private async applyRetention(root: string): Promise<void> {
    if (!this.catalog.roots.includes(root) || !vscode.workspace.isTrusted) return;
    const keepLast = vscode.workspace.getConfiguration(CONFIG, vscode.Uri.file(root)).get<number>('retention.keepLast', 0);
    if (!keepLast || keepLast < 1) return;
    await this.daemon.call('store/gc', { root, keepLast }).catch((e: unknown) => this.log.warn(`retention gc in ${root}: ${String(e)}`));
  }

  dispose(): void {
    this.store.dispose();
  }
}

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(CONFIG);
}

function explicit(c: vscode.WorkspaceConfiguration, key: string): boolean {
  const i = c.inspect(key);
  return i?.workspaceFolderValue !== undefined || i?.workspaceValue !== undefined || i?.globalValue !== undefined;
}
