import type * as vscode from 'vscode';
import type { DaemonConnection } from '../connection/DaemonConnection';
import { DisposableStore } from '../Disposables';
import type { Identity } from '../presentation/summaries';

/**
 * Who the daemon records each project's versions as (ProjectInfo.author/host), so History
 * can name the author of versions recorded by anyone else. Asked once per project, then kept
 * current from the daemon's project notifications.
 */
export class ProjectIdentities implements vscode.Disposable {
  private readonly known = new Map<string, Identity>();
  private readonly store = new DisposableStore();

  constructor(private readonly daemon: DaemonConnection) {
    this.store.track(daemon.onDidChangeProject((p) => this.known.set(p.root, { author: p.author, host: p.host })));
  }

  async of(root: string): Promise<Identity> {
    const known = this.known.get(root);
    if (known) return known;
    const p = await this.daemon.call('project/status', { root });
    const id = { author: p.author, host: p.host };
    this.known.set(root, id);
    return id;
  }

  dispose(): void {
    this.store.dispose();
  }
}
