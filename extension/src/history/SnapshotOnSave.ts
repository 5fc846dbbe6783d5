import * as vscode from 'vscode';
import type { DaemonConnection } from '../connection/DaemonConnection';
import { DisposableStore } from '../Disposables';
import type { OutputLog } from '../OutputLog';
import type { ProjectCatalog } from '../ProjectCatalog';
import { snapshotOnSaveSetting } from '../SettingsSync';

/** Save → an immediate version (trigger "save"); the watcher's event for it finds it unchanged. */
export class SnapshotOnSave implements vscode.Disposable {
  private readonly store = new DisposableStore();

  constructor(
    private readonly daemon: DaemonConnection,
    private readonly catalog: ProjectCatalog,
    private readonly log: OutputLog,
  ) {
    this.store.track(vscode.workspace.onDidSaveTextDocument((doc) => void this.onSave(doc.uri)));
    this.store.track(vscode.workspace.onDidSaveNotebookDocument((nb) => void this.onSave(nb.uri)));
  }

  private async onSave(uri: vscode.Uri): Promise<void> {
    const hit = this.catalog.locate(uri);
    // In an untrusted workspace nothing is recorded automatically: capture runs interpreters.
    if (!hit || this.daemon.state !== 'running' || !vscode.workspace.isTrusted) return;
    if (!snapshotOnSaveSetting(uri)) return;
    try {
      await this.daemon.call('snapshot/create', { root: hit.root, paths: [hit.rel], trigger: 'save' });
    } catch (e) {
      this.log.warn(`snapshot on save of ${hit.rel} failed: ${String(e)}`);
    }
  }

  dispose(): void {
    this.store.dispose();
  }
}
