import * as path from 'node:path';
import * as vscode from 'vscode';
import { activeUri, onDidChangeActiveEditor } from '../activeEditor';
import { commandRegistrar, setContext } from '../Commands';
import type { DaemonConnection } from '../connection/DaemonConnection';
import { DisposableStore } from '../Disposables';
import { ContextKey, ViewId } from '../ids';
import type { OutputLog } from '../OutputLog';
import type { ProjectCatalog } from '../ProjectCatalog';
import { DiffPanels } from './DiffPanel';
import { EnvironmentTree } from './EnvironmentTree';
import { registerHistoryCommands, showHistory } from './HistoryCommands';
import { HistoryService, type VersionRef } from './HistoryService';
import { HistoryTree, type HistoryNode } from './HistoryTree';
import { ProjectIdentities } from './ProjectIdentities';
import { SnapshotOnSave, type BeforeSnapshotOnSave } from './SnapshotOnSave';
import { SnapshotsTree } from './SnapshotsTree';

/** How other features find the version a command of theirs acts on. */
export interface VersionChooser {
  /** The version the Environment view shows, or null before any is. */
  shownInEnvironment(): VersionRef | null;
  /** Whether a command's argument is a row of the Environment view. */
  isEnvironmentRow(a: unknown): boolean;
  /** A file's only version, or one the user picks; undefined when cancelled. */
  chooseVersionOf(uri: vscode.Uri, title: string): Promise<VersionRef | undefined>;
  /**
   * The version a command's argument names: a History version row itself; a History file row
   * or an explorer Uri: its only version, or one picked. Null when the argument is neither.
   */
  fromArgument(a: unknown, title: string): Promise<VersionRef | undefined> | null;
}

/** How other features open mlsnap's diff of two versions of a file (what Compare Two Versions… shows). */
export interface VersionDiffer {
  diffVersions(root: string, rel: string, before: number, after: number): Promise<void>;
}

/**
 * The History feature: the History, Snapshots and Environment views, the HistoryService that
 * does what its commands ask, the commands themselves, "follow active editor" and snapshot on
 * save. Owns every disposable it creates.
 */
export class HistoryFeature implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly tree: HistoryTree;
  private readonly identities: ProjectIdentities;
  private readonly treeView: vscode.TreeView<HistoryNode>;
  private readonly service: HistoryService;
  private follow = false;
  private snapshots: SnapshotsTree | undefined;
  readonly versions: VersionChooser;
  readonly differ: VersionDiffer;

  /** `saveHooks`: what must reach the daemon before a save's version is recorded. */
  constructor(
    daemon: DaemonConnection,
    private readonly catalog: ProjectCatalog,
    log: OutputLog,
    saveHooks: readonly BeforeSnapshotOnSave[] = [],
  ) {
    this.identities = this.store.track(new ProjectIdentities(daemon));
    this.tree = this.store.track(new HistoryTree(daemon, catalog, this.identities));
    this.treeView = this.store.track(
      vscode.window.createTreeView(ViewId.History, { treeDataProvider: this.tree, showCollapseAll: true }),
    );
    this.createSnapshotsView(daemon);
    const environment = this.createEnvironmentView();
    const panels = this.store.track(new DiffPanels());
    this.service = new HistoryService(daemon, catalog, environment, panels);
    const service = this.service;
    this.versions = {
      shownInEnvironment: () => environment.shown,
      isEnvironmentRow: (a) => environment.isRow(a),
      chooseVersionOf: (uri, title) => service.chooseVersionOf(uri, title),
      fromArgument: (a, title) => {
        const version = versionNodeRef(a);
        if (version) return Promise.resolve(version);
        const uri = a instanceof vscode.Uri ? a : fileNodeUri(a);
        return uri ? service.chooseVersionOf(uri, title) : null;
      },
    };
    this.differ = { diffVersions: (root, rel, before, after) => service.diffVersions(root, rel, before, after) };
    this.store.track(new SnapshotOnSave(daemon, catalog, log, saveHooks));
    registerHistoryCommands(commandRegistrar(this.store, log), {
      service: this.service,
      tree: this.tree,
      treeView: this.treeView,
      follow: { set: (on) => this.setFollow(on) },
    });
    this.store.track(onDidChangeActiveEditor(() => void this.revealActive()));
  }

  /** Redraw History and Snapshots (what remotes hold changed). */
  refresh(): void {
    this.tree.refresh();
    this.snapshots?.refresh();
  }

  /** Following starts off in every window, and the Environment view empty; their context keys say so. */
  async resetContext(): Promise<void> {
    await setContext(ContextKey.FollowActiveEditor, false);
    await setContext(ContextKey.EnvironmentShown, false);
  }

  private createSnapshotsView(daemon: DaemonConnection): void {
    const snapshots = this.store.track(new SnapshotsTree(daemon, this.catalog, this.identities));
    this.snapshots = snapshots;
    this.store.track(vscode.window.createTreeView(ViewId.Snapshots, { treeDataProvider: snapshots }));
  }

  /** The Environment view; its description names the version shown and the filter. */
  private createEnvironmentView(): EnvironmentTree {
    const environment = this.store.track(new EnvironmentTree());
    const view = this.store.track(vscode.window.createTreeView(ViewId.Environment, { treeDataProvider: environment }));
    this.store.track(
      environment.onDidChangeTreeData(
        () => (view.description = environment.title + (environment.filter ? ` · filter: ${environment.filter}` : '')),
      ),
    );
    return environment;
  }

  private setFollow(on: boolean): void {
    this.follow = on;
    void setContext(ContextKey.FollowActiveEditor, on);
    if (on) void this.revealActive();
  }

  /** While following, the active editor's file is revealed in History. */
  private async revealActive(): Promise<void> {
    if (!this.follow) return;
    const uri = activeUri();
    if (!uri || !this.catalog.locate(uri)) return;
    // A file with no versions yet has nothing to reveal; following is best effort.
    await showHistory({ service: this.service, tree: this.tree, treeView: this.treeView }, uri).catch(() => undefined);
  }

  dispose(): void {
    this.store.dispose();
  }
}

/** A History version row, as VS Code passes it to a command run on it. */
function versionNodeRef(a: unknown): VersionRef | undefined {
  const n = a as Partial<HistoryNode> | null | undefined;
  if (!n || typeof n !== 'object' || n.kind !== 'version') return undefined;
  const v = n as Extract<HistoryNode, { kind: 'version' }>;
  return { root: v.root, version: v.version };
}

/** A History file row: the file on disk. */
function fileNodeUri(a: unknown): vscode.Uri | undefined {
  const n = a as Partial<HistoryNode> | null | undefined;
  if (!n || typeof n !== 'object' || n.kind !== 'file') return undefined;
  const f = n as Extract<HistoryNode, { kind: 'file' }>;
  return vscode.Uri.file(path.join(f.root, f.path));
}
