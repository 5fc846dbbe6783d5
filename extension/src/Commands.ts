import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DaemonConnection } from './DaemonConnection';
import type { DisposableStore } from './Disposables';
import { activeUri, type HistoryService, type VersionRef } from './HistoryService';
import { CommandId, ContextKey, ViewId } from './ids';
import type { OutputLog } from './OutputLog';
import type { HistoryNode, HistoryTree } from './views/HistoryTree';

export interface CommandDeps {
  history: HistoryService;
  daemon: DaemonConnection;
  log: OutputLog;
  tree: HistoryTree;
  treeView: vscode.TreeView<HistoryNode>;
  follow: { set(on: boolean): void };
}

/**
 * Every command, registered once for the extension's lifetime: they stay registered while the
 * daemon is down and then say how to fix it (the error's action starts the daemon). Each is a
 * thin adapter from its arguments (tree node, explorer Uri, nothing) to a HistoryService call;
 * errors are shown in one place.
 */
export function registerCommands(store: DisposableStore, d: CommandDeps): void {
  const register = (id: CommandId, what: string, run: (...args: unknown[]) => Promise<unknown>): void => {
    store.track(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          await run(...args);
        } catch (e) {
          await d.log.showError(what, e);
        }
      }),
    );
  };
  const h = d.history;
  register(CommandId.InitProject, 'Initialize Project', (a) => h.initProject(asUri(a)));
  register(CommandId.SnapshotFile, 'Snapshot Now', (a) => h.snapshotFile(asUri(a)));
  register(CommandId.SnapshotProject, 'Snapshot Project', () => h.snapshotProject());
  register(CommandId.ShowHistory, 'Show History', (a) => showHistory(d, asUri(a) ?? activeUri()));
  register(CommandId.ShowHistoryOfPath, 'Show History', (root, rel) => showHistory(d, vscode.Uri.file(path.join(String(root), String(rel)))));
  register(CommandId.CompareWithPrevious, 'Compare with Previous', (a) => h.compareWithPrevious(asVersion(a)));
  register(CommandId.CompareWithVersion, 'Compare with Version', (a) => h.compareWithVersion(asUri(a)));
  register(CommandId.CompareTwoVersions, 'Compare Two Versions', (a) => h.compareTwoVersions(asVersion(a)));
  register(CommandId.OpenVersion, 'Open Version', (a) => h.openVersion(asVersion(a)));
  register(CommandId.RestoreVersion, 'Restore Version', (a) => h.restoreVersion(asVersion(a)));
  register(CommandId.TagVersion, 'Tag Version', (a) => h.tagVersion(asVersion(a)));
  register(CommandId.ShowEnvironment, 'Show Environment', (a) => h.showEnvironment(asVersion(a)));
  register(CommandId.CompareEnvironments, 'Compare Environment with Previous', (a) => h.compareEnvironments(asVersion(a)));
  register(CommandId.FilterEnvironment, 'Filter Environment', () => h.filterEnvironment());
  register(CommandId.StartDaemon, 'Start Daemon', async () => {
    await (d.daemon.state === 'running' ? d.daemon.restart() : d.daemon.connectOrStart());
    void vscode.window.setStatusBarMessage('mlsnap: daemon running', 3000);
  });
  register(CommandId.ShowLog, 'Show Log', async () => d.log.channel.show());
  register(CommandId.Refresh, 'Refresh', async () => d.tree.refresh());
  register(CommandId.FollowActiveEditorOn, 'Follow Active Editor', async () => d.follow.set(true));
  register(CommandId.FollowActiveEditorOff, 'Follow Active Editor', async () => d.follow.set(false));
}

/** Reveal a file in the History view, expanded to its versions. */
export async function showHistory(d: Pick<CommandDeps, 'history' | 'tree' | 'treeView'>, uri: vscode.Uri | undefined): Promise<void> {
  const target = d.history.locate(uri);
  const count = (await d.history.versionsOf(target.root, target.rel)).length;
  await vscode.commands.executeCommand(`${ViewId.History}.focus`);
  await d.treeView.reveal(d.tree.fileNode(target.root, target.rel, count), { expand: true, select: true, focus: false });
}

function asVersion(a: unknown): VersionRef | undefined {
  const n = a as Partial<HistoryNode> | undefined;
  return n && n.kind === 'version' ? { root: n.root as string, version: (n as Extract<HistoryNode, { kind: 'version' }>).version } : undefined;
}

function asUri(a: unknown): vscode.Uri | undefined {
  if (a instanceof vscode.Uri) return a;
  const n = a as Partial<HistoryNode> | undefined;
  if (n && n.kind === 'file') return vscode.Uri.file(path.join(n.root as string, (n as Extract<HistoryNode, { kind: 'file' }>).path));
  return undefined;
}

export function setContext(key: ContextKey, value: unknown): Thenable<unknown> {
  return vscode.commands.executeCommand('setContext', key, value);
}
