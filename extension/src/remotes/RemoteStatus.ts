import * as vscode from 'vscode';
import { setContext } from '../Commands';
import type { DaemonConnection } from '../connection/DaemonConnection';
import { DisposableStore } from '../Disposables';
import { CommandId, ContextKey, REMOTE_STATUS_BAR_ITEM } from '../ids';
import { unpushedStatus, type ProjectRemotes } from '../presentation/remotes';
import type { ProjectCatalog } from '../ProjectCatalog';
import type { RemoteService } from './RemoteService';

/** Several notifications come at once (a snapshot of many files): ask the daemon once after them. */
const DEBOUNCE_MS = 300;

/**
 * The status bar item counting versions not yet pushed to each project's default remote
 * (hidden while no project has a remote); a click pushes. It also keeps the "has a remote"
 * context key that shows the Push and Pull buttons.
 */
export class RemoteStatus implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly item: vscode.StatusBarItem;
  private timer: NodeJS.Timeout | undefined;
  /** Answers of an older update that arrive late are dropped. */
  private generation = 0;

  constructor(
    private readonly daemon: DaemonConnection,
    private readonly catalog: ProjectCatalog,
    private readonly service: RemoteService,
  ) {
    this.item = this.store.track(
      vscode.window.createStatusBarItem(REMOTE_STATUS_BAR_ITEM, vscode.StatusBarAlignment.Left, 49),
    );
    this.item.name = 'mlsnap remotes';
    this.item.command = CommandId.Push;
    this.store.track(daemon.onDidChangeState(() => this.schedule()));
    this.store.track(daemon.onDidRecord(() => this.schedule()));
    this.store.track(daemon.onDidChangeProject(() => this.schedule()));
    this.store.track(catalog.onDidChange(() => this.schedule()));
    this.store.track(service.onDidChange(() => this.schedule()));
    this.store.track(new vscode.Disposable(() => clearTimeout(this.timer)));
  }

  schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.update(), DEBOUNCE_MS);
  }

  async update(): Promise<void> {
    const generation = ++this.generation;
    const projects: ProjectRemotes[] =
      this.daemon.state === 'running'
        ? await Promise.all(
            this.catalog.roots.map(async (root) => ({
              root,
              remotes: await this.service.remotesOf(root).catch(() => []),
            })),
          )
        : [];
    if (generation !== this.generation) return;
    const status = unpushedStatus(projects);
    await setContext(ContextKey.HasRemote, status !== null);
    if (!status) {
      this.item.hide();
      return;
    }
    this.item.text = status.text;
    this.item.tooltip = status.tooltip;
    this.item.show();
  }

  dispose(): void {
    this.store.dispose();
  }
}
