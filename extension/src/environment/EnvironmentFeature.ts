import type * as vscode from 'vscode';
import { commandRegistrar } from '../Commands';
import type { DaemonConnection } from '../connection/DaemonConnection';
import { DisposableStore } from '../Disposables';
import type { VersionChooser } from '../history/HistoryFeature';
import type { OutputLog } from '../OutputLog';
import type { ProjectCatalog } from '../ProjectCatalog';
import { registerEnvironmentCommands } from './EnvironmentCommands';
import { EnvironmentService } from './EnvironmentService';

/**
 * A version's environment, beyond showing it: Export Environment… (requirements.txt,
 * environment.yml, pyproject.toml for uv, Dockerfile, .devcontainer/) and Reproduce
 * Environment in Folder… (a new venv, compared with the record). Owns every disposable it
 * creates.
 */
export class EnvironmentFeature implements vscode.Disposable {
  private readonly store = new DisposableStore();

  constructor(daemon: DaemonConnection, catalog: ProjectCatalog, versions: VersionChooser, log: OutputLog) {
    const service = new EnvironmentService(daemon, catalog, versions, log);
    registerEnvironmentCommands(commandRegistrar(this.store, log), service);
  }

  dispose(): void {
    this.store.dispose();
  }
}
