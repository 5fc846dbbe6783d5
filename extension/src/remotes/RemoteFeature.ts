import type * as vscode from 'vscode';
import { commandRegistrar } from '../Commands';
import type { DaemonConnection } from '../connection/DaemonConnection';
import { DisposableStore } from '../Disposables';
import type { OutputLog } from '../OutputLog';
import type { ProjectCatalog } from '../ProjectCatalog';
import { registerRemoteCommands } from './RemoteCommands';
import { RemoteSecrets } from './RemoteSecrets';
import { RemoteService } from './RemoteService';
import { RemoteStatus } from './RemoteStatus';

/**
 * Team remotes in the editor: Add Remote…, Push, Pull, Set Remote Credentials…, Remove
 * Remote…, the "not pushed" status bar item, and credentials from SecretStorage handed to the
 * daemon whenever it (re)connects or a project opens. Owns every disposable it creates.
 */
export class RemoteFeature implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly service: RemoteService;
  /** A project's remotes, or what they hold, changed: History redraws its marks. */
  readonly onDidChange: vscode.Event<string>;
  /** The remotes' credentials, for other features' calls on a remote (release stages). */
  readonly secrets: RemoteSecrets;

  constructor(daemon: DaemonConnection, catalog: ProjectCatalog, secretStorage: vscode.SecretStorage, log: OutputLog) {
    this.secrets = new RemoteSecrets(secretStorage);
    this.service = this.store.track(new RemoteService(daemon, catalog, this.secrets, log));
    this.onDidChange = this.service.onDidChange;
    this.store.track(new RemoteStatus(daemon, catalog, this.service));
    registerRemoteCommands(commandRegistrar(this.store, log), this.service);
    // A restarted daemon forgot every credential; the catalog must know its projects first.
    this.store.track(
      daemon.onDidChangeState(
        (s) => s === 'running' && void catalog.refresh().then(() => this.service.resendCredentials()),
      ),
    );
    this.store.track(catalog.onDidChange(() => void this.service.resendCredentials()));
  }

  dispose(): void {
    this.store.dispose();
  }
}
