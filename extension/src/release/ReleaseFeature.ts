import * as vscode from 'vscode';
import { commandRegistrar } from '../Commands';
import type { DaemonConnection } from '../connection/DaemonConnection';
import { DisposableStore } from '../Disposables';
import type { VersionChooser } from '../history/HistoryFeature';
import { ViewId } from '../ids';
import type { OutputLog } from '../OutputLog';
import type { ProjectCatalog } from '../ProjectCatalog';
import type { RemoteFeature } from '../remotes/RemoteFeature';
import { ModelsTree } from './ModelsTree';
import { registerReleaseCommands } from './ReleaseCommands';
import { ReleaseData } from './ReleaseData';
import { ReleaseService } from './ReleaseService';

/**
 * Release management in the editor: the Models view (remote → model → stage, with each
 * stage's audit trail on hover), Promote… (gates in a modal, overridable with a reason),
 * Demote, Export Deployment Bundle…, and their commands. Stages live on team remotes, so it
 * reads the remotes' credentials and redraws when they change. Owns every disposable it creates.
 */
export class ReleaseFeature implements vscode.Disposable {
  private readonly store = new DisposableStore();

  constructor(
    daemon: DaemonConnection,
    catalog: ProjectCatalog,
    remotes: RemoteFeature,
    versions: VersionChooser,
    log: OutputLog,
  ) {
    const data = this.store.track(new ReleaseData(daemon, catalog, remotes.secrets, remotes.onDidChange));
    const tree = this.store.track(new ModelsTree(data, log));
    this.store.track(vscode.window.createTreeView(ViewId.Models, { treeDataProvider: tree, showCollapseAll: true }));
    registerReleaseCommands(commandRegistrar(this.store, log), new ReleaseService(data, versions, log), tree);
  }

  dispose(): void {
    this.store.dispose();
  }
}
