import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EnvironmentInfo, VersionInfo } from '../../../shared/src/domain';
import { fileKindSpec, kindSpec, type FileKind } from '../../../shared/src/fileKinds';
import type { DaemonConnection } from '../connection/DaemonConnection';
import { DisposableStore } from '../Disposables';
import { CommandId, TreeItemContext } from '../ids';
import {
  environmentSummary,
  versionDescription,
  versionIcon,
  versionLabel,
  versionMarkdown,
  type Identity,
} from '../presentation/summaries';
import type { ProjectIdentities } from './ProjectIdentities';
import type { ProjectCatalog } from '../ProjectCatalog';

export type HistoryNode =
  | { kind: 'project'; root: string }
  | { kind: 'file'; root: string; path: string; fileKind: FileKind; count: number; deleted?: boolean }
  | { kind: 'version'; root: string; version: VersionInfo; summary: string; change?: string; here: Identity };

/** How many versions of one file the tree lists. */
const VERSIONS_SHOWN = 100;
/** How many of them get a "what changed" summary (each is a typed diff in the daemon). */
const CHANGES_SHOWN = 20;

/**
 * History: project → tracked file → versions, newest first. Each version row shows its age,
 * trigger, size, a one-line environment summary (interpreter, key package changes against the
 * previous version) and tags; the hover has the details. Refreshed by daemon notifications.
 */
export class HistoryTree implements vscode.TreeDataProvider<HistoryNode>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<HistoryNode | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private readonly store = new DisposableStore();
  /** Environments by project and id: versions share them, and they never change. */
  private readonly envCache = new Map<string, EnvironmentInfo | null>();
  private readonly changeCache = new Map<string, string>();
  constructor(
    private readonly daemon: DaemonConnection,
    private readonly catalog: ProjectCatalog,
    /** Versions recorded by anyone else (a teammate, another machine) name their author. */
    private readonly identities: ProjectIdentities,
  ) {
    this.store.track(this._onDidChangeTreeData);
    this.store.track(daemon.onDidRecord(() => this.refresh()));
    this.store.track(daemon.onDidTag(() => this.refresh()));
    // A pull records teammates' versions without a snapshot: the daemon says the project changed.
    this.store.track(daemon.onDidChangeProject((p) => catalog.roots.includes(p.root) && this.refresh()));
    this.store.track(daemon.onDidChangeState(() => this.refresh()));
    this.store.track(catalog.onDidChange(() => this.refresh()));
  }

  refresh(): void {
    this._onDidChangeTreeData.fire(undefined);
  }

  getTreeItem(node: HistoryNode): vscode.TreeItem {
    switch (node.kind) {
      case 'project': {
        const item = new vscode.TreeItem(path.basename(node.root), vscode.TreeItemCollapsibleState.Expanded);
        item.id = `project:${node.root}`;
        item.description = node.root;
        item.iconPath = new vscode.ThemeIcon('database');
        item.contextValue = TreeItemContext.Project;
        return item;
      }
      case 'file': {
        const item = new vscode.TreeItem(node.path, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = fileNodeId(node.root, node.path);
        item.description = `${node.count} version${node.count === 1 ? '' : 's'}${node.deleted ? ' · deleted' : ''}`;
        item.resourceUri = vscode.Uri.file(path.join(node.root, node.path));
        // A deleted file keeps its history (restorable); the icon says it is gone from disk.
        item.iconPath = new vscode.ThemeIcon(node.deleted ? 'trash' : kindSpec(node.fileKind).icon);
        if (node.deleted)
          item.tooltip = `${node.path} is deleted from the working folder; its versions can still be restored`;
        item.contextValue = TreeItemContext.File;
        return item;
      }
      case 'version': {
        const v = node.version;
        const item = new vscode.TreeItem(versionLabel(v), vscode.TreeItemCollapsibleState.None);
        item.id = `version:${node.root}:${v.id}`;
        item.description = `${versionDescription(v, node.summary, node.change, node.here)}${v.renamedFrom ? ` · renamed from ${v.renamedFrom}` : ''}`;
        item.tooltip = new vscode.MarkdownString(
          versionMarkdown(v, this.envCache.get(envKey(node.root, v.environmentId)) ?? null, null),
        );
        item.iconPath = new vscode.ThemeIcon(versionIcon(v, node.here));
        // Model versions also have the release commands (Promote…, Export Deployment Bundle…).
        item.contextValue =
          fileKindSpec(v.path).kind === 'model' ? TreeItemContext.ModelVersion : TreeItemContext.Version;
        item.command = { command: CommandId.OpenVersion, title: 'Open Version', arguments: [node] };
        return item;
      }
    }
  }

  async getChildren(node?: HistoryNode): Promise<HistoryNode[]> {
    // Empty trees let the welcome views ("daemon not running", "no project") show.
    if (this.daemon.state !== 'running') return [];
    if (!node) return this.catalog.roots.map((root) => ({ kind: 'project', root }));
    if (node.kind === 'project') {
      const files = await this.daemon.call('project/files', { root: node.root });
      return files.map((f) => ({
        kind: 'file',
        root: node.root,
        path: f.path,
        fileKind: f.kind,
        count: f.versions,
        ...(f.deletedAt === undefined ? {} : { deleted: true }),
      }));
    }
    if (node.kind === 'file') return this.versions(node.root, node.path);
    return [];
  }

  getParent(node: HistoryNode): HistoryNode | undefined {
    if (node.kind === 'file') return { kind: 'project', root: node.root };
    return undefined;
  }

  /**
   * The file node for reveal() ("follow active editor", "Show History"). Its kind comes from
   * the same table the daemon classifies with, so the revealed row keeps its icon.
   */
  fileNode(root: string, rel: string, count: number): HistoryNode {
    return { kind: 'file', root, path: rel, fileKind: fileKindSpec(rel).kind, count };
  }

  async versions(root: string, rel: string): Promise<Extract<HistoryNode, { kind: 'version' }>[]> {
    const versions = await this.daemon.call('version/log', { root, path: rel, limit: VERSIONS_SHOWN });
    const here = await this.identities.of(root);
    const envs = await Promise.all(versions.map((v) => this.environment(root, v)));
    // Versions are newest first: the previous version is the next row.
    const changes = await Promise.all(
      versions.map((v, i) => (i < CHANGES_SHOWN ? this.change(root, v, versions[i + 1]) : Promise.resolve(undefined))),
    );
    return versions.map((v, i) => {
      const change = changes[i];
      return {
        kind: 'version',
        root,
        here,
        version: v,
        summary: environmentSummary(envs[i] ?? null, envs[i + 1] ?? null),
        ...(change ? { change } : {}),
      };
    });
  }

  /** One line of what changed since the previous version (cached: versions never change). */
  private async change(root: string, v: VersionInfo, previous: VersionInfo | undefined): Promise<string | undefined> {
    if (!previous) return undefined;
    // A teammate's bytes not fetched yet: expanding History must not download them.
    if (v.bytesOnRemote === true || previous.bytesOnRemote === true) return undefined;
    const key = `${root}#${previous.id}→${v.id}`;
    if (!this.changeCache.has(key)) {
      const d = await this.daemon
        .call('diff/versions', { root, before: `${previous.path}@${previous.seq}`, after: `${v.path}@${v.seq}` })
        .then((r) => r.summary)
        .catch(() => undefined);
      if (d !== undefined) this.changeCache.set(key, d);
      return d;
    }
    return this.changeCache.get(key);
  }

  private async environment(root: string, v: VersionInfo): Promise<EnvironmentInfo | null> {
    const key = envKey(root, v.environmentId);
    if (v.environmentId === null) return null;
    if (!this.envCache.has(key)) {
      const show = await this.daemon.call('ref/show', { root, ref: `${v.path}@${v.seq}` });
      this.envCache.set(key, show.environment);
    }
    return this.envCache.get(key) ?? null;
  }

  dispose(): void {
    this.store.dispose();
  }
}

export function fileNodeId(root: string, rel: string): string {
  return `file:${root}:${rel}`;
}

function envKey(root: string, id: number | null): string {
  return `${root}#${id ?? 'none'}`;
}
