import * as vscode from 'vscode';
import type { ConfigureParams } from '../../shared/src/protocol';
import type { DaemonConnection } from './connection/DaemonConnection';
import { DisposableStore } from './Disposables';
import { CONFIG_SECTION, Setting } from './ids';
import type { OutputLog } from './OutputLog';
import type { ProjectCatalog } from './ProjectCatalog';

/**
 * The editor's mlsnap.* settings, read in one place. The daemon applies interpreter, include
 * and exclude per project (project/configure writes them to .mlsnap/config.json), so they are
 * pushed whenever the daemon (re)connects or the settings change; retention runs as versions
 * are recorded. In an untrusted workspace nothing is pushed or deleted: the interpreter names a
 * program to run, and gc deletes history.
 */
export class SettingsSync implements vscode.Disposable {
  private readonly store = new DisposableStore();

  constructor(
    private readonly daemon: DaemonConnection,
    private readonly catalog: ProjectCatalog,
    private readonly log: OutputLog,
  ) {
    // The catalog must know this connection's projects before their settings go out.
    this.store.track(daemon.onDidChangeState(() => void this.catalog.refresh().then(() => this.push())));
    this.store.track(daemon.onDidRecord((e) => void this.applyRetention(e.root)));
    this.store.track(
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(CONFIG_SECTION) && void this.push()),
    );
  }

  /** Send each project's interpreter/include/exclude, where the user set any. */
  async push(): Promise<void> {
    if (this.daemon.state !== 'running' || !vscode.workspace.isTrusted) return;
    for (const root of this.catalog.roots) {
      const settings = projectSettings(root);
      if (Object.keys(settings).length === 0) continue;
      await this.daemon
        .call('project/configure', { root, settings })
        .catch((e: unknown) => this.log.warn(`settings for ${root}: ${String(e)}`));
    }
  }

  /** Only for this window's projects (every window hears of every project's versions). */
  private async applyRetention(root: string): Promise<void> {
    if (!this.catalog.roots.includes(root) || !vscode.workspace.isTrusted) return;
    const keepLast = projectConfig(root).get<number>(Setting.RetentionKeepLast, 0);
    if (!keepLast || keepLast < 1) return;
    await this.daemon
      .call('store/gc', { root, keepLast })
      .catch((e: unknown) => this.log.warn(`retention gc in ${root}: ${String(e)}`));
  }

  dispose(): void {
    this.store.dispose();
  }
}

/** The Node that runs the daemon, when the user named one. */
export function nodePathSetting(): string | undefined {
  return vscode.workspace.getConfiguration(CONFIG_SECTION).get<string>(Setting.NodePath) || undefined;
}

/** Whether saving this file in the editor records a version at once. */
export function snapshotOnSaveSetting(uri: vscode.Uri): boolean {
  return vscode.workspace.getConfiguration(CONFIG_SECTION, uri).get<boolean>(Setting.SnapshotOnSave, true);
}

/** The folder of wheels "Reproduce Environment in Folder…" offers first, when the user set one. */
export function reproduceFindLinksSetting(root: string): string | undefined {
  return projectConfig(root).get<string>(Setting.ReproduceFindLinks)?.trim() || undefined;
}

/** When a run's metrics got worse: whether to warn, and by more than how many percent (0: any worsening). */
export function regressionAlertSettings(root: string): { enabled: boolean; thresholdPercent: number } {
  const c = projectConfig(root);
  const threshold = c.get<number>(Setting.RunsRegressionThreshold, 5);
  return {
    enabled: c.get<boolean>(Setting.RunsRegressionAlerts, true),
    thresholdPercent: typeof threshold === 'number' && Number.isFinite(threshold) && threshold >= 0 ? threshold : 5,
  };
}

function projectConfig(root: string): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(CONFIG_SECTION, vscode.Uri.file(root));
}

/**
 * Only what the user set: an empty include list left at its default must not replace the
 * project's own patterns.
 */
function projectSettings(root: string): ConfigureParams['settings'] {
  const c = projectConfig(root);
  const interpreter = c.get<string>(Setting.Interpreter);
  return {
    ...(interpreter ? { interpreter } : {}),
    ...(explicit(c, Setting.Include) ? { include: c.get<string[]>(Setting.Include) ?? [] } : {}),
    ...(explicit(c, Setting.Exclude) ? { exclude: c.get<string[]>(Setting.Exclude) ?? [] } : {}),
  };
}

function explicit(c: vscode.WorkspaceConfiguration, key: Setting): boolean {
  const i = c.inspect(key);
  return i?.workspaceFolderValue !== undefined || i?.workspaceValue !== undefined || i?.globalValue !== undefined;
}
