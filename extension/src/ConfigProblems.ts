import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ProjectInfo } from '../../shared/src/domain';
import type { DaemonConnection } from './connection/DaemonConnection';
import { DisposableStore } from './Disposables';
import type { OutputLog } from './OutputLog';
import type { ProjectCatalog } from './ProjectCatalog';

const OPEN_CONFIG = 'Open config.json';

/**
 * Tells the user, once per problem, when a hand edit of a project's `.mlsnap/config.json`
 * was refused by the daemon (the previous settings stay in force), with the file one click
 * away. The daemon's sentence names the key and what it must be.
 */
export class ConfigProblems implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly shown = new Map<string, string>();

  constructor(
    daemon: DaemonConnection,
    private readonly catalog: ProjectCatalog,
    private readonly log: OutputLog,
  ) {
    this.store.track(daemon.onDidChangeProject((p) => void this.onProject(p)));
  }

  private async onProject(p: ProjectInfo): Promise<void> {
    if (!this.catalog.roots.includes(p.root)) return;
    if (p.configProblem === undefined) {
      this.shown.delete(p.root);
      return;
    }
    if (this.shown.get(p.root) === p.configProblem) return;
    this.shown.set(p.root, p.configProblem);
    this.log.info(p.configProblem);
    const choice = await vscode.window.showWarningMessage(`mlsnap: ${p.configProblem}`, OPEN_CONFIG);
    if (choice === OPEN_CONFIG)
      await vscode.window.showTextDocument(vscode.Uri.file(path.join(p.storeDir, 'config.json')));
  }

  dispose(): void {
    this.store.dispose();
  }
}
