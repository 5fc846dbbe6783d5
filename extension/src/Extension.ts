import * as path from 'node:path';
import * as vscode from 'vscode';
import { daemonHome } from '../../shared/node/daemonFiles';
import { commandRegistrar, setContext } from './Commands';
import { registerDaemonCommands } from './connection/DaemonCommands';
import { DaemonConnection } from './connection/DaemonConnection';
import { DaemonLauncher } from './connection/DaemonLauncher';
import { DisposableStore } from './Disposables';
import { EnvironmentFeature } from './environment/EnvironmentFeature';
import { HistoryFeature } from './history/HistoryFeature';
import { ContextKey, SUMMARY_SCHEME, VERSION_SCHEME } from './ids';
import { KernelHints } from './kernels/KernelHints';
import { OutputLog } from './OutputLog';
import { ProjectCatalog } from './ProjectCatalog';
import { ReleaseFeature } from './release/ReleaseFeature';
import { RemoteFeature } from './remotes/RemoteFeature';
import { RunsFeature } from './runs/RunsFeature';
import { nodePathSetting, SettingsSync } from './SettingsSync';
import { StatusBar } from './StatusBar';
import { VersionFileSystem, VersionSummaries } from './VersionDocuments';
import { ConfigProblems } from './ConfigProblems';

/**
 * The composition root: builds every service and feature of the extension and owns them.
 * Built once by activate(); disposed by VS Code through context.subscriptions. Features
 * register their own commands and listeners; what is left here is wiring.
 */
export class Extension implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly log: OutputLog;
  private readonly daemon: DaemonConnection;
  private readonly catalog: ProjectCatalog;
  private readonly history: HistoryFeature;
  private readonly statusBar: StatusBar;
  private readonly settings: SettingsSync;

  constructor(context: vscode.ExtensionContext) {
    this.log = this.store.track(new OutputLog());
    const launcher = new DaemonLauncher(path.join(context.extensionPath, 'dist', 'daemon.js'), nodePathSetting, (m) =>
      this.log.info(m),
    );
    this.daemon = this.store.track(new DaemonConnection(daemonHome(), launcher, this.log));
    this.catalog = this.store.track(new ProjectCatalog(this.daemon));
    this.store.track(new ConfigProblems(this.daemon, this.catalog, this.log));
    this.registerVersionDocuments();
    // Which interpreter each notebook's kernel runs: the daemon hears it before a save's version.
    const kernels = this.store.track(new KernelHints(this.daemon, this.catalog, this.log));
    this.history = this.store.track(new HistoryFeature(this.daemon, this.catalog, this.log, [kernels]));
    this.store.track(new EnvironmentFeature(this.daemon, this.catalog, this.history.versions, this.log));
    this.store.track(new RunsFeature(this.daemon, this.catalog, this.history.differ, this.log));
    const remotes = this.store.track(new RemoteFeature(this.daemon, this.catalog, context.secrets, this.log));
    // Pushes and pulls change which versions are on a remote, and pulls add teammates' versions.
    this.store.track(remotes.onDidChange(() => this.history.refresh()));
    this.store.track(new ReleaseFeature(this.daemon, this.catalog, remotes, this.history.versions, this.log));
    registerDaemonCommands(commandRegistrar(this.store, this.log), this.daemon, this.log);
    this.statusBar = this.store.track(new StatusBar(this.daemon, this.catalog));
    this.settings = this.store.track(new SettingsSync(this.daemon, this.catalog, this.log));
    this.store.track(this.daemon.onDidChangeState((s) => void setContext(ContextKey.DaemonState, s)));
  }

  /** Connect to (or start) the daemon. Failure leaves the "daemon not running" view up. */
  async start(): Promise<void> {
    await setContext(ContextKey.DaemonState, 'starting');
    await this.history.resetContext();
    try {
      await this.daemon.connectOrStart();
    } catch (e) {
      await this.log.showError('Starting the daemon', e);
    }
    await setContext(ContextKey.DaemonState, this.daemon.state);
    await this.catalog.refresh();
    await this.settings.push();
    await this.statusBar.update();
  }

  /** Versions open through `mlsnap:` (their bytes) and `mlsnap-summary:` (binary files). */
  private registerVersionDocuments(): void {
    const fsProvider = this.store.track(new VersionFileSystem(this.daemon));
    this.store.track(
      vscode.workspace.registerFileSystemProvider(VERSION_SCHEME, fsProvider, {
        isReadonly: true,
        isCaseSensitive: true,
      }),
    );
    this.store.track(
      vscode.workspace.registerTextDocumentContentProvider(SUMMARY_SCHEME, new VersionSummaries(this.daemon)),
    );
  }

  dispose(): void {
    this.store.dispose();
  }
}
