import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RemoteInfo } from '../../../shared/src/protocol';
import type { StageInfo } from '../../../shared/src/release';
import { DisposableStore } from '../Disposables';
import { TreeItemContext } from '../ids';
import type { OutputLog } from '../OutputLog';
import {
  modelDescription,
  stageDescription,
  stageMarkdown,
  stageMarkdownWithoutHistory,
  stagesByModel,
} from '../presentation/release';
import type { ReleaseData } from './ReleaseData';

export type ModelsNode =
  | { kind: 'project'; root: string }
  | { kind: 'remote'; root: string; remote: RemoteInfo; stages: StageInfo[] }
  /** A remote whose stages could not be read (unreachable, no credentials): the row says why. */
  | { kind: 'unreadable'; root: string; remote: RemoteInfo; problem: string }
  | { kind: 'model'; root: string; remote: string; model: string; stages: StageInfo[] }
  | { kind: 'stage'; root: string; remote: string; info: StageInfo };

type RemoteNode = Extract<ModelsNode, { kind: 'remote' | 'unreadable' }>;

/**
 * Models: (project →) remote → model path → stage, each stage row with the version it holds
 * and who moved it there when. Only remotes with stages are listed, so an empty tree shows
 * the welcome views ("add a remote", "promote a version"). A stage's hover is its audit trail,
 * read from the remote when first hovered. Refreshed by ReleaseData's changes.
 */
export class ModelsTree implements vscode.TreeDataProvider<ModelsNode>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<ModelsNode | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private readonly store = new DisposableStore();
  /** Each project's remotes and stages, read once per refresh (the root and project rows share them). */
  private readonly cache = new Map<string, Promise<RemoteNode[]>>();

  constructor(
    private readonly data: ReleaseData,
    private readonly log: OutputLog,
  ) {
    this.store.track(this._onDidChangeTreeData);
    this.store.track(data.onDidChange(() => this.refresh()));
  }

  refresh(): void {
    this.cache.clear();
    this._onDidChangeTreeData.fire(undefined);
  }

  getTreeItem(node: ModelsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'project':
        return projectItem(node.root);
      case 'remote':
        return remoteItem(node);
      case 'unreadable':
        return unreadableItem(node);
      case 'model':
        return modelItem(node);
      case 'stage':
        return stageItem(node);
    }
  }

  /** A stage's hover, its audit trail, is read from the remote only when it is hovered. */
  async resolveTreeItem(item: vscode.TreeItem, node: ModelsNode): Promise<vscode.TreeItem> {
    if (node.kind !== 'stage') return item;
    const info = node.info;
    try {
      const [history, seqs] = await Promise.all([
        this.data.history(node, info.model, info.stage),
        this.data.localSeqs(node.root, info.model),
      ]);
      item.tooltip = markdown(stageMarkdown(info, history, seqs));
    } catch (e) {
      item.tooltip = markdown(stageMarkdownWithoutHistory(info, errorText(e)));
    }
    return item;
  }

  async getChildren(node?: ModelsNode): Promise<ModelsNode[]> {
    // Empty trees let the welcome views ("daemon not running", "no remote", "no stage") show.
    if (!this.data.running) return [];
    if (!node) return this.top();
    switch (node.kind) {
      case 'project':
        return this.remotes(node.root);
      case 'remote':
        return stagesByModel(node.stages).map(({ model, stages }) => ({
          kind: 'model',
          root: node.root,
          remote: node.remote.name,
          model,
          stages,
        }));
      case 'model':
        return node.stages.map((info) => ({ kind: 'stage', root: node.root, remote: node.remote, info }));
      default:
        return [];
    }
  }

  /** One project: its remotes at the top. Several: the projects that have stages. */
  private async top(): Promise<ModelsNode[]> {
    const roots = this.data.roots;
    if (roots.length === 1 && roots[0] !== undefined) return this.remotes(roots[0]);
    const withStages = await Promise.all(
      roots.map(async (root) => ((await this.remotes(root)).length > 0 ? root : null)),
    );
    return withStages.filter((r) => r !== null).map((root) => ({ kind: 'project', root }));
  }

  private remotes(root: string): Promise<RemoteNode[]> {
    let cached = this.cache.get(root);
    if (!cached) {
      cached = this.readRemotes(root);
      this.cache.set(root, cached);
    }
    return cached;
  }

  /** The remotes of a project that hold stages, and those that could not be read. */
  private async readRemotes(root: string): Promise<RemoteNode[]> {
    let remotes: RemoteInfo[];
    try {
      remotes = await this.data.remotesOf(root);
    } catch (e) {
      this.log.warn(`remotes of ${root}: ${errorText(e)}`);
      return [];
    }
    const nodes = await Promise.all(remotes.map((remote) => this.readRemote(root, remote)));
    return nodes.filter((n) => n.kind === 'unreadable' || n.stages.length > 0);
  }

  private async readRemote(root: string, remote: RemoteInfo): Promise<RemoteNode> {
    try {
      const stages = await this.data.stages({ root, remote: remote.name });
      return { kind: 'remote', root, remote, stages };
    } catch (e) {
      this.log.warn(`stages of ${remote.name} (${root}): ${errorText(e)}`);
      return { kind: 'unreadable', root, remote, problem: errorText(e) };
    }
  }

  dispose(): void {
    this.store.dispose();
  }
}

function projectItem(root: string): vscode.TreeItem {
  const item = new vscode.TreeItem(path.basename(root), vscode.TreeItemCollapsibleState.Expanded);
  item.id = `models-project:${root}`;
  item.description = root;
  item.iconPath = new vscode.ThemeIcon('database');
  return item;
}

function remoteItem(node: Extract<ModelsNode, { kind: 'remote' }>): vscode.TreeItem {
  const item = new vscode.TreeItem(node.remote.name, vscode.TreeItemCollapsibleState.Expanded);
  item.id = `models-remote:${node.root}:${node.remote.name}`;
  item.description = node.remote.url;
  item.tooltip = `Stages on ${node.remote.name} (${node.remote.url})`;
  item.iconPath = new vscode.ThemeIcon('cloud');
  item.contextValue = TreeItemContext.ModelsRemote;
  return item;
}

function unreadableItem(node: Extract<ModelsNode, { kind: 'unreadable' }>): vscode.TreeItem {
  const item = new vscode.TreeItem(node.remote.name, vscode.TreeItemCollapsibleState.None);
  item.id = `models-remote:${node.root}:${node.remote.name}`;
  item.description = `stages unreadable: ${node.problem.split('\n')[0]}`;
  item.tooltip = `The stages on ${node.remote.name} (${node.remote.url}) could not be read: ${node.problem}`;
  item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
  item.contextValue = TreeItemContext.ModelsRemote;
  return item;
}

function modelItem(node: Extract<ModelsNode, { kind: 'model' }>): vscode.TreeItem {
  const item = new vscode.TreeItem(node.model, vscode.TreeItemCollapsibleState.Expanded);
  item.id = `models-model:${node.root}:${node.remote}:${node.model}`;
  item.description = modelDescription(node.stages);
  item.resourceUri = vscode.Uri.file(path.join(node.root, node.model));
  item.iconPath = new vscode.ThemeIcon('symbol-class');
  item.contextValue = TreeItemContext.Model;
  return item;
}

function stageItem(node: Extract<ModelsNode, { kind: 'stage' }>): vscode.TreeItem {
  const { info } = node;
  const item = new vscode.TreeItem(info.stage, vscode.TreeItemCollapsibleState.None);
  item.id = `models-stage:${node.root}:${node.remote}:${info.model}:${info.stage}`;
  item.description = stageDescription(info);
  // No tooltip here: resolveTreeItem fills it with the audit trail when the row is hovered.
  const empty = info.pointer.target === null;
  item.iconPath = new vscode.ThemeIcon(empty ? 'circle-slash' : info.stage === 'production' ? 'rocket' : 'milestone');
  item.contextValue = empty ? TreeItemContext.EmptyStage : TreeItemContext.Stage;
  return item;
}

function markdown(text: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(text);
  md.supportThemeIcons = false;
  return md;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
