import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DaemonConnection } from './connection/DaemonConnection';
import { DisposableStore } from './Disposables';
import { ContextKey } from './ids';
import { projectOf } from './presentation/versionUri';

/**
 * The mlsnap projects of this window: workspace folders (or folders inside them) that hold a
 * `.mlsnap` store. Sets the context key that picks the "no project" welcome view.
 */
export class ProjectCatalog implements vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  readonly onDidChange = this._onDidChange.event;
  private readonly store = new DisposableStore();
  private _roots: string[] = [];

  constructor(private readonly daemon: DaemonConnection) {
    this.store.track(this._onDidChange);
    this.store.track(daemon.onDidChangeProject(() => void this.refresh()));
    this.store.track(daemon.onDidChangeState(() => void this.refresh()));
    this.store.track(vscode.workspace.onDidChangeWorkspaceFolders(() => void this.refresh()));
  }

  get roots(): readonly string[] {
    return this._roots;
  }

  /** The project and project-relative path of a file, or null when it is in none. */
  locate(uri: vscode.Uri): { root: string; rel: string } | null {
    if (uri.scheme !== 'file') return null;
    return projectOf(uri.fsPath, this._roots);
  }

  async refresh(): Promise<void> {
    // Only projects the daemon records count: a folder that merely ships a .mlsnap/ (a cloned
    // repository) is not recorded until the user initializes it.
    const roots = new Set<string>();
    if (this.daemon.state === 'running') {
      try {
        const status = await this.daemon.call('daemon/status', {});
        const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => realpath(f.uri.fsPath));
        // Projects the daemon serves that lie inside this window's folders.
        for (const p of status.projects)
          if (folders.some((f) => p.root === f || p.root.startsWith(f + path.sep))) roots.add(p.root);
      } catch {
        // The daemon went away meanwhile; the state change will refresh again.
      }
    }
    const next = [...roots].sort();
    const changed = next.join('\n') !== this._roots.join('\n');
    this._roots = next;
    await vscode.commands.executeCommand('setContext', ContextKey.ProjectInitialized, next.length > 0);
    if (changed) this._onDidChange.fire();
  }

  dispose(): void {
    this.store.dispose();
  }
}

function realpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}
