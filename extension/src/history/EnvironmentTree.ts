import * as vscode from 'vscode';
import type { EnvironmentInfo, GitState } from '../../../shared/src/domain';
import { DisposableStore } from '../Disposables';
import { environmentRows, type EnvRow } from '../presentation/summaries';

/** The environment of the selected version: interpreter, packages, machine, GPU, git. */
export class EnvironmentTree implements vscode.TreeDataProvider<EnvRow>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<EnvRow | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private readonly store = new DisposableStore();
  private env: EnvironmentInfo | null = null;
  private git: GitState | null = null;
  private _filter = '';
  title = '';

  constructor() {
    this.store.track(this._onDidChangeTreeData);
  }

  get filter(): string {
    return this._filter;
  }

  show(title: string, env: EnvironmentInfo | null, git: GitState | null): void {
    this.title = title;
    this.env = env;
    this.git = git;
    this._onDidChangeTreeData.fire(undefined);
  }

  setFilter(filter: string): void {
    this._filter = filter;
    this._onDidChangeTreeData.fire(undefined);
  }

  getTreeItem(row: EnvRow): vscode.TreeItem {
    const hasChildren = (row.children ?? []).length > 0;
    const state = !hasChildren
      ? vscode.TreeItemCollapsibleState.None
      : this._filter !== '' || row.label === 'Interpreter'
        ? vscode.TreeItemCollapsibleState.Expanded
        : vscode.TreeItemCollapsibleState.Collapsed;
    const item = new vscode.TreeItem(row.label, state);
    if (row.description !== undefined) item.description = row.description;
    item.tooltip = row.description === undefined ? row.label : `${row.label}: ${row.description}`;
    return item;
  }

  getChildren(row?: EnvRow): EnvRow[] {
    if (row) return row.children ?? [];
    if (!this.env) return [];
    return environmentRows(this.env, this.git, this._filter);
  }

  dispose(): void {
    this.store.dispose();
  }
}
