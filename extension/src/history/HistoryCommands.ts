import * as path from 'node:path';
import * as vscode from 'vscode';
import { activeUri } from '../activeEditor';
import type { RegisterCommand } from '../Commands';
import { CommandId, ViewId } from '../ids';
import type { HistoryService, VersionRef } from './HistoryService';
import type { HistoryNode, HistoryTree } from './HistoryTree';

/** What the History feature's commands act on. */
export interface HistoryCommandTargets {
  service: HistoryService;
  tree: HistoryTree;
  treeView: vscode.TreeView<HistoryNode>;
  follow: { set(on: boolean): void };
}

/**
 * The History feature's commands. Each is a thin adapter from its arguments (tree node,
 * explorer Uri, nothing) to a HistoryService call.
 */
export function registerHistoryCommands(register: RegisterCommand, t: HistoryCommandTargets): void {
  registerRecordingCommands(register, t.service);
  registerVersionCommands(register, t.service);
  registerViewCommands(register, t);
}

function registerRecordingCommands(register: RegisterCommand, h: HistoryService): void {
  register(CommandId.InitProject, 'Initialize Project', (a) => h.initProject(asUri(a)));
  register(CommandId.SnapshotFile, 'Snapshot Now', (a) => h.snapshotFile(asUri(a)));
  register(CommandId.SnapshotProject, 'Snapshot Project', () => h.snapshotProject());
}

function registerVersionCommands(register: RegisterCommand, h: HistoryService): void {
  register(CommandId.CompareWithPrevious, 'Compare with Previous', (a) => h.compareWithPrevious(asVersion(a)));
  register(CommandId.CompareWithVersion, 'Compare with Version', (a) => h.compareWithVersion(asUri(a)));
  register(CommandId.CompareTwoVersions, 'Compare Two Versions', (a) => h.compareTwoVersions(asVersion(a)));
  register(CommandId.OpenVersion, 'Open Version', (a) => h.openVersion(asVersion(a)));
  register(CommandId.RestoreVersion, 'Restore Version', (a) => h.restoreVersion(asVersion(a)));
  register(CommandId.TagVersion, 'Tag Version', (a) => h.tagVersion(asVersion(a)));
  register(CommandId.ShowEnvironment, 'Show Environment', (a) => h.showEnvironment(asVersion(a)));
  register(CommandId.CompareEnvironments, 'Compare Environment with Previous', (a) =>
    h.compareEnvironments(asVersion(a)),
  );
  register(CommandId.FilterEnvironment, 'Filter Environment', () => h.filterEnvironment());
}

function registerViewCommands(register: RegisterCommand, t: HistoryCommandTargets): void {
  register(CommandId.ShowHistory, 'Show History', (a) => showHistory(t, asUri(a) ?? activeUri()));
  register(CommandId.ShowHistoryOfPath, 'Show History', (root, rel) =>
    showHistory(t, vscode.Uri.file(path.join(String(root), String(rel)))),
  );
  register(CommandId.Refresh, 'Refresh', async () => t.tree.refresh());
  register(CommandId.FollowActiveEditorOn, 'Follow Active Editor', async () => t.follow.set(true));
  register(CommandId.FollowActiveEditorOff, 'Follow Active Editor', async () => t.follow.set(false));
}

/** Reveal a file in the History view, expanded to its versions. */
export async function showHistory(
  t: Pick<HistoryCommandTargets, 'service' | 'tree' | 'treeView'>,
  uri: vscode.Uri | undefined,
): Promise<void> {
  const target = t.service.locate(uri);
  const count = (await t.service.versionsOf(target.root, target.rel)).length;
  await vscode.commands.executeCommand(`${ViewId.History}.focus`);
  await t.treeView.reveal(t.tree.fileNode(target.root, target.rel, count), {
    expand: true,
    select: true,
    focus: false,
  });
}

function asVersion(a: unknown): VersionRef | undefined {
  const n = a as Partial<HistoryNode> | undefined;
  return n && n.kind === 'version'
    ? { root: n.root as string, version: (n as Extract<HistoryNode, { kind: 'version' }>).version }
    : undefined;
}

function asUri(a: unknown): vscode.Uri | undefined {
  if (a instanceof vscode.Uri) return a;
  const n = a as Partial<HistoryNode> | undefined;
  if (n && n.kind === 'file')
    return vscode.Uri.file(path.join(n.root as string, (n as Extract<HistoryNode, { kind: 'file' }>).path));
  return undefined;
}
