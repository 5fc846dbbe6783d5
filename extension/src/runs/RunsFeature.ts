import * as vscode from 'vscode';
import { commandRegistrar } from '../Commands';
import type { DaemonConnection } from '../connection/DaemonConnection';
import { DisposableStore } from '../Disposables';
import type { VersionDiffer } from '../history/HistoryFeature';
import { ViewId } from '../ids';
import type { OutputLog } from '../OutputLog';
import type { ProjectCatalog } from '../ProjectCatalog';
import { RegressionAlerts } from './RegressionAlerts';
import { registerRunsCommands } from './RunsCommands';
import { RunsData } from './RunsData';
import { RunsPanels } from './RunsPanel';
import { RunsService } from './RunsService';
import { RunsTree } from './RunsTree';

/**
 * Runs in the editor: the Runs view (source → runs, what changed, the headline metric), the
 * Runs table (a webview: sort, filter, compare, charts, a model's trend), the regression alert,
 * and their commands. Owns every disposable it creates.
 */
export class RunsFeature implements vscode.Disposable {
  private readonly store = new DisposableStore();

  constructor(daemon: DaemonConnection, catalog: ProjectCatalog, differ: VersionDiffer, log: OutputLog) {
    const data = this.store.track(new RunsData(daemon, catalog));
    const tree = this.store.track(new RunsTree(data, log));
    this.store.track(vscode.window.createTreeView(ViewId.Runs, { treeDataProvider: tree, showCollapseAll: true }));
    const panels = this.store.track(new RunsPanels(data, differ, log));
    this.store.track(new RegressionAlerts(daemon, catalog, panels, log));
    registerRunsCommands(commandRegistrar(this.store, log), new RunsService(data, catalog, panels), tree);
  }

  dispose(): void {
    this.store.dispose();
  }
}
