import * as vscode from 'vscode';
import type { VersionInfo } from '../../../shared/src/domain';
import type { DaemonConnection } from '../connection/DaemonConnection';
import { DisposableStore } from '../Disposables';
import { CommandId, TreeItemContext } from '../ids';
import type { ProjectIdentities } from './ProjectIdentities';
import { age, onRemotes, recordedBy, size } from '../presentation/summaries';
import type { ProjectCatalog } from '../ProjectCatalog';
import type { HistoryNode } from './HistoryTree';

type SnapshotNode = {
  kind: 'snapshot';
  root: string;
  id: string;
  createdAt: number;
  trigger: string;
  versions: VersionInfo[];
};
type Node = SnapshotNode | Extract<HistoryNode, { kind: 'version' }>;

const SNAPSHOTS_SHOWN = 200;

/** Snapshots in time order (newest first), across files and projects. */
export class SnapshotsTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private readonly store = new DisposableStore();
  constructor(
    private readonly daemon: DaemonConnection,
    private readonly catalog: ProjectCatalog,
    private readonly identities: ProjectIdentities,
  ) {
    this.store.track(this._onDidChangeTreeData);
    this.store.track(daemon.onDidRecord(() => this._onDidChangeTreeData.fire(undefined)));
    this.store.track(daemon.onDidChangeState(() => this._onDidChangeTreeData.fire(undefined)));
    this.store.track(daemon.onDidChangeProject((p) => catalog.roots.includes(p.root) && this.refresh()));
    this.store.track(catalog.onDidChange(() => this._onDidChangeTreeData.fire(undefined)));
  }

  refresh(): void {
    this._onDidChangeTreeData.fire(undefined);
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'snapshot') {
      const item = new vscode.TreeItem(
        `${node.id.slice(0, 8)} · ${age(node.createdAt)}`,
        vscode.TreeItemCollapsibleState.Collapsed,
      );
      item.id = `snapshot:${node.id}`;
      item.description = `${node.trigger} · ${node.versions.length} file${node.versions.length === 1 ? '' : 's'}`;
      item.tooltip = node.versions.map((v) => `${v.path}@${v.seq}`).join('\n');
      item.iconPath = new vscode.ThemeIcon('archive');
      return item;
    }
    const v = node.version;
    const item = new vscode.TreeItem(`${v.path}@${v.seq}`, vscode.TreeItemCollapsibleState.None);
    item.id = `snapshot-version:${v.id}`;
    const by = recordedBy(v, node.here);
    item.description = `${by ? `${by} · ` : ''}${size(v.size)}${onRemotes(v)}`;
    item.contextValue = TreeItemContext.Version;
    item.command = { command: CommandId.OpenVersion, title: 'Open Version', arguments: [node] };
    return item;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (this.daemon.state !== 'running') return [];
    if (node?.kind === 'snapshot') {
      const here = await this.identities.of(node.root);
      return node.versions.map((v) => ({ kind: 'version', root: node.root, version: v, summary: '', here }));
    }
    if (node) return [];
    const all: SnapshotNode[] = [];
    for (const root of this.catalog.roots) {
      const versions = await this.daemon.call('version/log', { root, limit: SNAPSHOTS_SHOWN });
      const byId = new Map<string, SnapshotNode>();
      for (const v of versions) {
        let s = byId.get(v.snapshotId);
        if (!s) {
          s = { kind: 'snapshot', root, id: v.snapshotId, createdAt: v.createdAt, trigger: v.trigger, versions: [] };
          byId.set(v.snapshotId, s);
          all.push(s);
        }
        s.versions.push(v);
      }
    }
    return all.sort((a, b) => b.createdAt - a.createdAt);
  }

  dispose(): void {
    this.store.dispose();
  }
}
