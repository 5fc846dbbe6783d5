import * as vscode from 'vscode';
import type { DaemonConnection } from '../connection/DaemonConnection';
import { DisposableStore } from '../Disposables';
import type { OutputLog } from '../OutputLog';
import type { ProjectCatalog } from '../ProjectCatalog';
import { snapshotOnSaveSetting } from '../SettingsSync';

/**
 * Something the daemon should hear before a saved file's version is recorded, so the version
 * is recorded with it (which interpreter a notebook's kernel runs). SnapshotOnSave waits for
 * it, but never longer than SAVE_HOOK_WAIT_MS: a save is recorded either way.
 */
export interface BeforeSnapshotOnSave {
  /** Resolves once what concerns `uri` has been told to the daemon (or there was nothing to tell). */
  beforeSnapshot(uri: vscode.Uri): Promise<void>;
}

/** The longest a save's version waits for the hooks. */
export const SAVE_HOOK_WAIT_MS = 1500;

/** Save → an immediate version (trigger "save"); the watcher's event for it finds it unchanged. */
export class SnapshotOnSave implements vscode.Disposable {
  private readonly store = new DisposableStore();

  constructor(
    private readonly daemon: DaemonConnection,
    private readonly catalog: ProjectCatalog,
    private readonly log: OutputLog,
    private readonly hooks: readonly BeforeSnapshotOnSave[] = [],
  ) {
    this.store.track(vscode.workspace.onDidSaveTextDocument((doc) => void this.onSave(doc.uri)));
    this.store.track(vscode.workspace.onDidSaveNotebookDocument((nb) => void this.onSave(nb.uri)));
  }

  private async onSave(uri: vscode.Uri): Promise<void> {
    const hit = this.catalog.locate(uri);
    // In an untrusted workspace nothing is recorded automatically: capture runs interpreters.
    if (!hit || this.daemon.state !== 'running' || !vscode.workspace.isTrusted) return;
    if (!snapshotOnSaveSetting(uri)) return;
    await this.runHooks(uri, hit.rel);
    try {
      await this.daemon.call('snapshot/create', { root: hit.root, paths: [hit.rel], trigger: 'save' });
    } catch (e) {
      this.log.warn(`snapshot on save of ${hit.rel} failed: ${String(e)}`);
    }
  }

  /** Every hook, together, for at most SAVE_HOOK_WAIT_MS; a failing one is logged, not fatal. */
  private async runHooks(uri: vscode.Uri, rel: string): Promise<void> {
    if (this.hooks.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), SAVE_HOOK_WAIT_MS)),
    );
    const all = Promise.all(
      this.hooks.map((h) =>
        h.beforeSnapshot(uri).catch((e: unknown) => this.log.warn(`before the snapshot of ${rel}: ${String(e)}`)),
      ),
    );
    try {
      if ((await Promise.race([all, timeout])) === 'timeout')
        this.log.info(`snapshot on save of ${rel}: recorded without waiting longer for the editor's hints`);
    } finally {
      clearTimeout(timer);
    }
  }

  dispose(): void {
    this.store.dispose();
  }
}
