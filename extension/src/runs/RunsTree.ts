import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunSummary } from '../../../shared/src/runs';
import { DisposableStore } from '../Disposables';
import { CommandId, TreeItemContext } from '../ids';
import type { OutputLog } from '../OutputLog';
import {
  age,
  COMMANDS_GROUP,
  runDescription,
  runLabel,
  runMarkdown,
  runOutcome,
  sourceKey,
} from '../presentation/runs';
import { regressionAlertSettings } from '../SettingsSync';
import type { RunsData } from './RunsData';

export type RunsNode =
  | { kind: 'project'; root: string }
  | { kind: 'source'; root: string; source: string; runs: RunSummary[] }
  | { kind: 'run'; root: string; run: RunSummary; previous: RunSummary | undefined };

/**
 * Runs: (project →) notebook or script → its runs, newest first. A run's row shows the
 * parameters that changed since the previous run of its source and its headline metric, with
 * a red icon when that (or another metric, by more than the regression threshold) got worse.
 * Refreshed when runs or versions are recorded.
 */
export class RunsTree implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly _onDidChangeTreeData = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private readonly store = new DisposableStore();

  constructor(
    private readonly data: RunsData,
    private readonly log: OutputLog,
  ) {
    this.store.track(this._onDidChangeTreeData);
    this.store.track(data.onDidChange(() => this.refresh()));
  }

  refresh(): void {
    this._onDidChangeTreeData.fire(undefined);
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'project': {
        const item = new vscode.TreeItem(path.basename(node.root), vscode.TreeItemCollapsibleState.Expanded);
        item.id = `runs-project:${node.root}`;
        item.description = node.root;
        item.iconPath = new vscode.ThemeIcon('database');
        item.contextValue = TreeItemContext.RunsProject;
        return item;
      }
      case 'source': {
        const item = new vscode.TreeItem(node.source, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `runs-source:${node.root}:${node.source}`;
        const newest = node.runs[0];
        item.description = `${node.runs.length} run${node.runs.length === 1 ? '' : 's'}${newest ? ` · ${age(newest.startedAt)}` : ''}`;
        if (node.source !== COMMANDS_GROUP) item.resourceUri = vscode.Uri.file(path.join(node.root, node.source));
        item.iconPath = new vscode.ThemeIcon(
          node.source === COMMANDS_GROUP ? 'terminal' : node.source.endsWith('.ipynb') ? 'notebook' : 'file-code',
        );
        item.tooltip =
          node.source === COMMANDS_GROUP
            ? '`mlsnap run`s of no tracked script'
            : `Runs of ${node.source}, newest first`;
        item.contextValue = TreeItemContext.RunSource;
        return item;
      }
      case 'run': {
        const { run, previous } = node;
        const item = new vscode.TreeItem(runLabel(run, previous), vscode.TreeItemCollapsibleState.None);
        item.id = `run:${node.root}:${run.id}`;
        const threshold = regressionAlertSettings(node.root).thresholdPercent;
        item.description = runDescription(run, previous, Date.now(), threshold);
        item.tooltip = new vscode.MarkdownString(runMarkdown(run, previous));
        item.iconPath = runIcon(run, previous, threshold);
        item.contextValue = TreeItemContext.Run;
        item.command = { command: CommandId.OpenRunsTable, title: 'Open in Runs Table', arguments: [node] };
        return item;
      }
    }
  }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    // Empty trees let the welcome views ("daemon not running", "no runs yet") show.
    if (!this.data.running) return [];
    if (!node) {
      const roots = this.data.roots;
      if (roots.length === 1 && roots[0] !== undefined) return this.sources(roots[0]);
      // Projects with runs only: an empty tree shows the welcome view.
      const withRuns = await Promise.all(
        roots.map(async (root) => ((await this.sources(root)).length > 0 ? root : null)),
      );
      return withRuns.filter((r) => r !== null).map((root) => ({ kind: 'project', root }));
    }
    if (node.kind === 'project') return this.sources(node.root);
    if (node.kind === 'source')
      return node.runs.map((run, i) => ({
        kind: 'run',
        root: node.root,
        run,
        // The list is one source's, newest first: its previous run is the next one.
        previous: node.runs[i + 1],
      }));
    return [];
  }

  getParent(node: RunsNode): RunsNode | undefined {
    if (node.kind === 'source' && this.data.roots.length > 1) return { kind: 'project', root: node.root };
    return undefined;
  }

  /** One node a source, in the order of their newest runs. */
  private async sources(root: string): Promise<RunsNode[]> {
    let runs: RunSummary[];
    try {
      runs = await this.data.list(root);
    } catch (e) {
      // A daemon that has not got runs yet, or went away: the view stays empty, the log says why.
      this.log.warn(`runs of ${root}: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    }
    const groups = new Map<string, RunSummary[]>();
    for (const r of runs) {
      const key = sourceKey(r);
      const list = groups.get(key) ?? [];
      list.push(r);
      groups.set(key, list);
    }
    return [...groups].map(([source, list]) => ({ kind: 'source', root, source, runs: list }));
  }

  dispose(): void {
    this.store.dispose();
  }
}

function runIcon(run: RunSummary, previous: RunSummary | undefined, thresholdPercent: number): vscode.ThemeIcon {
  if (run.finishedAt === null) return new vscode.ThemeIcon('loading~spin');
  if (run.exitCode !== null && run.exitCode !== 0)
    return new vscode.ThemeIcon('error', new vscode.ThemeColor('charts.red'));
  switch (runOutcome(run, previous, thresholdPercent).verdict) {
    case 'worse':
      return new vscode.ThemeIcon('arrow-circle-down', new vscode.ThemeColor('charts.red'));
    case 'better':
      return new vscode.ThemeIcon('arrow-circle-up', new vscode.ThemeColor('charts.green'));
    default:
      return new vscode.ThemeIcon('beaker');
  }
}
