import * as vscode from 'vscode';
import type { VersionInfo } from '../../shared/src/domain';
import { activeUri, onDidChangeActiveEditor } from './activeEditor';
import { setContext } from './Commands';
import type { DaemonConnection } from './connection/DaemonConnection';
import { DisposableStore } from './Disposables';
import { CommandId, ContextKey, STATUS_BAR_ITEM } from './ids';
import { age } from './presentation/summaries';
import type { ProjectCatalog } from './ProjectCatalog';

/** Ages are shown to the minute, so a redraw each minute keeps them true. */
const REDRAW_MS = 60_000;

/**
 * The status bar item: the daemon's state, or the active file's last version and its age.
 * It also keeps the "active file tracked" context key, since it is the one asking the daemon
 * about the active file.
 */
export class StatusBar implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly item: vscode.StatusBarItem;
  /** The active file's latest version, as last asked; render() draws from it. */
  private activeLatest: VersionInfo | undefined;

  constructor(
    private readonly daemon: DaemonConnection,
    private readonly catalog: ProjectCatalog,
  ) {
    this.item = this.store.track(
      vscode.window.createStatusBarItem(STATUS_BAR_ITEM, vscode.StatusBarAlignment.Left, 50),
    );
    this.item.name = 'mlsnap';
    this.item.show();
    this.store.track(daemon.onDidChangeState(() => void this.update()));
    this.store.track(daemon.onDidRecord(() => void this.update()));
    this.store.track(onDidChangeActiveEditor(() => void this.update()));
    // The age goes stale: redraw it locally, without asking the daemon.
    const timer = setInterval(() => this.render(), REDRAW_MS);
    this.store.track(new vscode.Disposable(() => clearInterval(timer)));
  }

  /** Ask the daemon for the active file's latest version (on editor change and notifications). */
  async update(): Promise<void> {
    this.activeLatest = await this.latestOfActive();
    await setContext(ContextKey.ActiveFileTracked, this.activeLatest !== undefined);
    this.render();
  }

  private async latestOfActive(): Promise<VersionInfo | undefined> {
    if (this.daemon.state !== 'running') return undefined;
    const uri = activeUri();
    const hit = uri ? this.catalog.locate(uri) : null;
    if (!hit) return undefined;
    const latest = await this.daemon.call('version/log', { root: hit.root, path: hit.rel, limit: 1 }).catch(() => []);
    return latest[0];
  }

  private render(): void {
    if (this.daemon.state !== 'running') this.renderStopped();
    else this.renderRunning(this.activeLatest);
  }

  private renderStopped(): void {
    this.item.text =
      this.daemon.state === 'starting' ? '$(sync~spin) mlsnap: starting' : '$(debug-disconnect) mlsnap: daemon stopped';
    this.item.tooltip = 'The mlsnap daemon is not running. Click to start it.';
    this.item.command = CommandId.StartDaemon;
  }

  private renderRunning(latest: VersionInfo | undefined): void {
    this.item.command = CommandId.ShowHistory;
    this.item.text = latest
      ? `$(history) mlsnap: ${latest.path}@${latest.seq} · ${age(latest.createdAt)}`
      : '$(history) mlsnap: running';
    this.item.tooltip = latest
      ? `Last version of ${latest.path} recorded ${new Date(latest.createdAt).toLocaleString()}. Click for its history.`
      : 'mlsnap daemon running. Click to show the history of the current file.';
  }

  dispose(): void {
    this.store.dispose();
  }
}
