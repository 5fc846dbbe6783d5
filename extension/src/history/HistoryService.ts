import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VersionDiff } from '../../../shared/src/diff';
import type { VersionInfo } from '../../../shared/src/domain';
import { MlsnapError } from '../../../shared/src/errors';
import { activeUri } from '../activeEditor';
import type { DaemonConnection } from '../connection/DaemonConnection';
import { ViewId } from '../ids';
import { age, size } from '../presentation/summaries';
import { isNotebook, opensInEditorDiff } from '../presentation/versionUri';
import type { ProjectCatalog } from '../ProjectCatalog';
import { documentUriFor } from '../VersionDocuments';
import type { DiffPanels } from './DiffPanel';
import type { EnvironmentTree } from './EnvironmentTree';

/** A version together with the project it belongs to: what every command acts on. */
export interface VersionRef {
  root: string;
  version: VersionInfo;
}

/** What the commands do. Commands stay thin and delegate here. */
export class HistoryService {
  constructor(
    private readonly daemon: DaemonConnection,
    private readonly catalog: ProjectCatalog,
    private readonly environment: EnvironmentTree,
    private readonly panels: DiffPanels,
  ) {}

  async initProject(folder?: vscode.Uri): Promise<string | undefined> {
    const target = folder ?? (await this.pickWorkspaceFolder());
    if (!target) return undefined;
    const info = await this.daemon.call('project/init', { root: target.fsPath });
    await this.catalog.refresh();
    void vscode.window.showInformationMessage(
      `mlsnap: recording ${path.basename(info.root)} (${info.versions} version${info.versions === 1 ? '' : 's'} so far)`,
    );
    return info.root;
  }

  async snapshotFile(uri: vscode.Uri | undefined): Promise<void> {
    const target = this.locate(uri ?? activeUri());
    const r = await this.daemon.call('snapshot/create', { root: target.root, paths: [target.rel], trigger: 'manual' });
    const v = r.snapshot?.versions[0];
    void vscode.window.showInformationMessage(
      v ? `mlsnap: recorded ${v.path}@${v.seq}` : `mlsnap: ${target.rel} is unchanged since its last version`,
    );
  }

  async snapshotProject(): Promise<void> {
    for (const root of this.requireProjects()) {
      const r = await this.daemon.call('snapshot/create', { root, trigger: 'manual' });
      const n = r.snapshot?.versionCount ?? 0;
      void vscode.window.showInformationMessage(
        `mlsnap: ${n === 0 ? 'nothing changed' : `recorded ${n} version${n === 1 ? '' : 's'}`} in ${path.basename(root)}`,
      );
    }
  }

  /** The versions of a file, newest first. */
  async versionsOf(root: string, rel: string): Promise<VersionInfo[]> {
    return this.daemon.call('version/log', { root, path: rel, limit: 500 });
  }

  async compareWithPrevious(ref: VersionRef | undefined): Promise<void> {
    const current = ref ?? (await this.latestOfActive());
    const versions = await this.versionsOf(current.root, current.version.path);
    const previous = versions.find((v) => v.seq < current.version.seq);
    if (!previous) {
      void vscode.window.showInformationMessage(
        `mlsnap: ${current.version.path}@${current.version.seq} is the first version; there is nothing before it`,
      );
      return;
    }
    await this.diff({ root: current.root, version: previous }, current);
  }

  /** Compare the active file (on disk) with a version picked from its history. */
  async compareWithVersion(uri: vscode.Uri | undefined): Promise<void> {
    const target = this.locate(uri ?? activeUri());
    const picked = await this.pickVersion(target.root, target.rel, 'Compare the current file with…');
    if (!picked) return;
    const left = documentUriFor(target.root, picked);
    const right = vscode.Uri.file(path.join(target.root, target.rel));
    await vscode.commands.executeCommand('vscode.diff', left, right, `${target.rel}@${picked.seq} ↔ current`);
  }

  async compareTwoVersions(ref: VersionRef | undefined): Promise<void> {
    const target = ref ? { root: ref.root, rel: ref.version.path } : this.locate(activeUri());
    const first = ref?.version ?? (await this.pickVersion(target.root, target.rel, 'First version'));
    if (!first) return;
    const second = await this.pickVersion(
      target.root,
      target.rel,
      `Compare ${target.rel}@${first.seq} with…`,
      first.seq,
    );
    if (!second) return;
    const [older, newer] = first.seq < second.seq ? [first, second] : [second, first];
    await this.diff({ root: target.root, version: older }, { root: target.root, version: newer });
  }

  /**
   * Notebooks (and plain text) open in VS Code's own diff editors; models, metrics and other
   * binaries in the rendered typed diff, the same content as `mlsnap diff`.
   */
  async diff(left: VersionRef, right: VersionRef): Promise<void> {
    if (opensInEditorDiff(right.version.path)) {
      const title = `${left.version.path}@${left.version.seq} ↔ @${right.version.seq}`;
      await vscode.commands.executeCommand(
        'vscode.diff',
        documentUriFor(left.root, left.version),
        documentUriFor(right.root, right.version),
        title,
      );
      return;
    }
    this.panels.show(await this.typedDiff(left, right));
  }

  /** mlsnap's diff of two versions of a file, by their numbers (a Runs comparison's changed output). */
  async diffVersions(root: string, rel: string, before: number, after: number): Promise<void> {
    const [a, b] = await Promise.all(
      [before, after].map((seq) =>
        this.daemon.call('ref/show', { root, ref: `${rel}@${seq}` }).then((r) => {
          if (!r.version) throw new MlsnapError('not-found', `${rel}@${seq} names no version`);
          return r.version;
        }),
      ),
    );
    if (!a || !b) return;
    await this.diff({ root, version: a }, { root, version: b });
  }

  async compareEnvironments(ref: VersionRef | undefined): Promise<void> {
    const current = ref ?? (await this.latestOfActive());
    const previous = (await this.versionsOf(current.root, current.version.path)).find(
      (v) => v.seq < current.version.seq,
    );
    if (!previous) {
      void vscode.window.showInformationMessage(
        `mlsnap: ${current.version.path}@${current.version.seq} is the first version; there is nothing before it`,
      );
      return;
    }
    this.panels.show(await this.typedDiff({ root: current.root, version: previous }, current), true);
  }

  private typedDiff(left: VersionRef, right: VersionRef): Promise<VersionDiff> {
    return this.daemon.call('diff/versions', {
      root: right.root,
      before: `${left.version.path}@${left.version.seq}`,
      after: `${right.version.path}@${right.version.seq}`,
    });
  }

  async openVersion(ref: VersionRef | undefined): Promise<void> {
    const target = ref ?? (await this.pickFromActive('Open which version?'));
    if (!target) return;
    const uri = documentUriFor(target.root, target.version);
    if (isNotebook(target.version.path)) {
      await vscode.commands.executeCommand('vscode.openWith', uri, 'jupyter-notebook', { preview: true });
    } else {
      await vscode.window.showTextDocument(uri, { preview: true });
    }
    await this.showEnvironment(target, false);
  }

  async restoreVersion(ref: VersionRef | undefined): Promise<void> {
    const target = ref ?? (await this.pickFromActive('Restore which version?'));
    if (!target) return;
    const v = target.version;
    const answer = await vscode.window.showWarningMessage(
      `Restore ${v.path}@${v.seq} (${age(v.createdAt)}, ${size(v.size)})? Unsaved work in the file is snapshotted first.`,
      { modal: true },
      'Restore',
    );
    if (answer !== 'Restore') return;
    const r = await this.daemon.call('version/restore', { root: target.root, ref: `${v.path}@${v.seq}` });
    const saved = r.savedFirst
      ? ` (its previous contents are ${r.savedFirst.path}@${r.savedFirst.seq})`
      : r.movedAside
        ? ` (its previous contents could not be recorded and were moved to ${r.movedAside})`
        : '';
    void vscode.window.showInformationMessage(`mlsnap: restored ${v.path}@${v.seq}${saved}`);
  }

  async tagVersion(ref: VersionRef | undefined): Promise<void> {
    const target = ref ?? (await this.pickFromActive('Tag which version?'));
    if (!target) return;
    const name = await vscode.window.showInputBox({
      title: `Tag ${target.version.path}@${target.version.seq}`,
      prompt: 'A name for this version (letters, digits, ".", "_", "-"); tagged versions survive gc',
      validateInput: (s) =>
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(s) && !/^[0-9]+$/.test(s) && s !== 'latest'
          ? null
          : 'letters, digits, ".", "_" or "-"; not a number, not "latest"',
    });
    if (!name) return;
    await this.daemon.call('version/tag', {
      root: target.root,
      ref: `${target.version.path}@${target.version.seq}`,
      name,
    });
  }

  async showEnvironment(ref: VersionRef | undefined, reveal = true): Promise<void> {
    const target = ref ?? (await this.latestOfActive());
    const show = await this.daemon.call('ref/show', {
      root: target.root,
      ref: `${target.version.path}@${target.version.seq}`,
    });
    this.environment.show(target, show.environment, show.git);
    if (reveal) await vscode.commands.executeCommand(`${ViewId.Environment}.focus`);
  }

  async filterEnvironment(): Promise<void> {
    const filter = await vscode.window.showInputBox({
      title: 'Filter the environment',
      value: this.environment.filter,
      prompt: 'Package, variable or any text; empty shows everything',
    });
    if (filter !== undefined) this.environment.setFilter(filter.trim());
  }

  locate(uri: vscode.Uri | undefined): { root: string; rel: string } {
    if (!uri)
      throw new MlsnapError('bad-request', 'open a notebook or model file first, or pick one in the History view');
    const hit = this.catalog.locate(uri);
    if (!hit)
      throw new MlsnapError(
        'not-initialized',
        `${uri.fsPath} is not in an mlsnap project; run "mlsnap: Initialize Project"`,
        uri.fsPath,
      );
    return hit;
  }

  private requireProjects(): readonly string[] {
    if (this.catalog.roots.length === 0)
      throw new MlsnapError('not-initialized', 'no mlsnap project in this workspace; run "mlsnap: Initialize Project"');
    return this.catalog.roots;
  }

  private async latestOfActive(): Promise<VersionRef> {
    const target = this.locate(activeUri());
    const latest = (await this.versionsOf(target.root, target.rel))[0];
    if (!latest)
      throw new MlsnapError(
        'not-found',
        `${target.rel} has no versions yet; save it or run "mlsnap: Snapshot Now"`,
        target.rel,
      );
    return { root: target.root, version: latest };
  }

  /**
   * A version of a file for a command that acts on one: its only version, or one picked from
   * its history (newest first, so the latest is one Enter away). Undefined when the user cancels.
   */
  async chooseVersionOf(uri: vscode.Uri, title: string): Promise<VersionRef | undefined> {
    const target = this.locate(uri);
    const versions = await this.versionsOf(target.root, target.rel);
    if (versions.length === 0)
      throw new MlsnapError(
        'not-found',
        `${target.rel} has no versions yet; save it or run "mlsnap: Snapshot Now"`,
        target.rel,
      );
    if (versions.length === 1) return { root: target.root, version: versions[0] as VersionInfo };
    const v = await this.pickVersion(target.root, target.rel, title);
    return v ? { root: target.root, version: v } : undefined;
  }

  private async pickFromActive(title: string): Promise<VersionRef | undefined> {
    const target = this.locate(activeUri());
    const v = await this.pickVersion(target.root, target.rel, title);
    return v ? { root: target.root, version: v } : undefined;
  }

  private async pickVersion(
    root: string,
    rel: string,
    title: string,
    excludeSeq?: number,
  ): Promise<VersionInfo | undefined> {
    const versions = (await this.versionsOf(root, rel)).filter((v) => v.seq !== excludeSeq);
    if (versions.length === 0) throw new MlsnapError('not-found', `${rel} has no other versions`, rel);
    const picked = await vscode.window.showQuickPick(
      versions.map((v) => ({
        label: `@${v.seq}`,
        description: `${age(v.createdAt)} · ${v.trigger} · ${size(v.size)}${v.tags.length ? ` · ${v.tags.join(', ')}` : ''}`,
        detail: v.message ?? undefined,
        v,
      })),
      { title, matchOnDescription: true },
    );
    return picked?.v;
  }

  private async pickWorkspaceFolder(): Promise<vscode.Uri | undefined> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 0)
      throw new MlsnapError('bad-request', 'open a folder first: mlsnap records projects, not loose files');
    if (folders.length === 1) return folders[0]?.uri;
    return (await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Record which folder?' }))?.uri;
  }
}
