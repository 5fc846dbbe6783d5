import * as vscode from 'vscode';
import type { EnvironmentInfo, GitState, VersionInfo } from '../../../shared/src/domain';
import { setContext } from '../Commands';
import { DisposableStore } from '../Disposables';
import { ContextKey, TreeItemContext } from '../ids';
import { environmentRows, type EnvRow } from '../presentation/summaries';

/** The version shown, with its project (a HistoryService VersionRef). */
export interface ShownVersion {
  root: string;
  version: VersionInfo;
}

/** The environment of the selected version: interpreter, packages, machine, GPU, git. */
export class EnvironmentTree implements vscode.TreeDataProvider<EnvRow>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<EnvRow | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private readonly store = new DisposableStore();
  private env: EnvironmentInfo | null = null;
  private git: GitState | null = null;
  private _shown: ShownVersion | null = null;
  private _filter = '';
  /** The rows handed to VS Code: a command run on one of them acts on the version shown. */
  private readonly rows = new WeakSet<EnvRow>();
  title = '';

  constructor() {
    this.store.track(this._onDidChangeTreeData);
  }

  get filter(): string {
    return this._filter;
  }

  /** The version whose environment is shown, or null before any is. */
  get shown(): ShownVersion | null {
    return this._shown;
  }

  /** Whether `a` is a row of this view (what VS Code passes to a command run on the row). */
  isRow(a: unknown): boolean {
    return typeof a === 'object' && a !== null && this.rows.has(a as EnvRow);
  }

  show(ref: ShownVersion, env: EnvironmentInfo | null, git: GitState | null): void {
    this.title = `${ref.version.path}@${ref.version.seq}`;
    this._shown = ref;
    this.env = env;
    this.git = git;
    void setContext(ContextKey.EnvironmentShown, env !== null);
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
    const line = row.description === undefined ? row.label : `${row.label}: ${row.description}`;
    item.tooltip = row.tooltip === undefined ? line : `${line}\n${row.tooltip}`;
    item.contextValue = TreeItemContext.EnvironmentRow;
    return item;
  }

  getChildren(row?: EnvRow): EnvRow[] {
    const rows = row ? (row.children ?? []) : this.env ? environmentRows(this.env, this.git, this._filter) : [];
    for (const r of rows) this.rows.add(r);
    return rows;
  }

  dispose(): void {
    this.store.dispose();
  }
}
