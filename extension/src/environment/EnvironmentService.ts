import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Pin } from '../../../shared/src/environmentExport';
import { MlsnapError } from '../../../shared/src/errors';
import type { ReproduceResult } from '../../../shared/src/reproduce';
import { activeUri } from '../activeEditor';
import type { DaemonConnection, LongCallOptions } from '../connection/DaemonConnection';
import { withLongCallProgress } from '../connection/LongCallProgress';
import type { VersionChooser } from '../history/HistoryFeature';
import type { VersionRef } from '../history/HistoryService';
import { refOf } from '../presentation/versionUri';
import type { OutputLog } from '../OutputLog';
import {
  defaultReproduceDir,
  differenceLines,
  exportedMessage,
  exportTargets,
  flaggedDetails,
  flaggedSentence,
  formatPickItems,
  indexUrlProblem,
  overwriteQuestion,
  ReproduceProgress,
  reproduceLog,
  reproduceSentence,
  sourcePickItems,
  type ExportTarget,
} from '../presentation/environment';
import type { ProjectCatalog } from '../ProjectCatalog';
import { reproduceFindLinksSetting } from '../SettingsSync';
import { askExistingFolder, askNewFolder } from './FolderPrompt';

/** What a command was run on, as its arguments say. */
export type EnvironmentTarget =
  /** The palette (or a keybinding): the active editor's file, else what the Environment view shows. */
  | { kind: 'palette' }
  /** The Environment view's title buttons: the version it shows. */
  | { kind: 'shown' }
  /** Whatever VS Code passed: a History row (version or file), an explorer Uri, an Environment row. */
  | { kind: 'argument'; value: unknown };

/** Where pip installs from: the daemon's findLinks / indexUrl params. */
type InstallSource = { findLinks?: string; indexUrl?: string };

const OPEN = 'Open';
const OPEN_FOLDER = 'Open Folder';
const SHOW_DETAILS = 'Show Details';
const SHOW_DIFFERENCES = 'Show Differences';
const OVERWRITE = 'Overwrite';

/**
 * What the environment commands do: export a version's environment as files (requirements,
 * conda, uv, Dockerfile, devcontainer) written where the user says, and rebuild it in a new
 * venv through the daemon, comparing what got installed with the record. Commands stay thin
 * and delegate here.
 */
export class EnvironmentService {
  constructor(
    private readonly daemon: DaemonConnection,
    private readonly catalog: ProjectCatalog,
    private readonly versions: VersionChooser,
    private readonly log: OutputLog,
  ) {}

  async exportEnvironment(on: EnvironmentTarget): Promise<void> {
    const target = await this.versionOf(on, 'Export the environment of which version?');
    if (!target) return;
    const ref = refOf(target.version);
    const format = await vscode.window.showQuickPick(formatPickItems(), {
      title: `Export the environment of ${ref} as…`,
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (!format) return;
    // Asked before the folder: a version recorded without an environment fails here, at once.
    const exported = await this.daemon.call('environment/export', { root: target.root, ref, format: format.format });
    const dir = await askExistingFolder({
      title: `Export ${format.label} (the environment of ${ref}) into which folder?`,
      defaultPath: target.root,
      openLabel: 'Export Here',
    });
    if (!dir) return;
    const targets = exportTargets(dir, exported.files);
    if (!(await this.mayOverwrite(targets, dir))) return;
    for (const t of targets) {
      const uri = vscode.Uri.file(t.file);
      await vscode.workspace.fs.createDirectory(vscode.Uri.file(path.dirname(t.file)));
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(t.content));
    }
    const written = targets.map((t) => t.rel);
    this.log.info(`exported the environment of ${ref} (${format.format}) to ${dir}: ${written.join(', ')}`);
    void this.announceExport(exportedMessage(ref, dir, written), targets[0]);
    if (exported.flagged.length > 0) void this.warnFlagged(ref, exported.flagged);
  }

  async reproduceEnvironment(on: EnvironmentTarget): Promise<void> {
    const target = await this.versionOf(on, 'Reproduce the environment of which version?');
    if (!target) return;
    const ref = refOf(target.version);
    const source = await this.askSource(target.root, ref);
    if (!source) return;
    const dir = await askNewFolder({
      title: `Reproduce ${ref}: a new (or empty) folder for its venv`,
      defaultPath: defaultReproduceDir(target.root, target.version.path, target.version.seq),
      saveLabel: 'Reproduce Here',
    });
    if (!dir) return;
    const r = await this.withProgress(`mlsnap: reproducing the environment of ${ref}`, (opts) =>
      this.daemon.callLong('environment/reproduce', { root: target.root, ref, dir, ...source }, opts),
    );
    if (r === undefined) return;
    this.log.info(reproduceLog(ref, r));
    void this.announceReproduction(ref, r);
  }

  /**
   * The version a command acts on: the History row or Environment view it was run on; from
   * the palette, the active editor's file (its only version, or one picked), else the version
   * the Environment view shows.
   */
  private async versionOf(on: EnvironmentTarget, title: string): Promise<VersionRef | undefined> {
    if (on.kind === 'argument') {
      const named = this.versions.fromArgument(on.value, title);
      if (named) return named;
      if (this.versions.isEnvironmentRow(on.value)) return this.shown();
    }
    if (on.kind === 'shown') return this.shown();
    // With no daemon nothing is known: say so (its action starts it), not "open a file".
    this.daemon.requireRunning();
    const active = activeUri();
    if (active && this.catalog.locate(active)) return this.versions.chooseVersionOf(active, title);
    const shown = this.versions.shownInEnvironment();
    if (shown) return shown;
    throw new MlsnapError(
      'bad-request',
      'open a notebook or model file of an mlsnap project, or pick a version in the History view',
    );
  }

  private shown(): VersionRef {
    const shown = this.versions.shownInEnvironment();
    if (!shown)
      throw new MlsnapError(
        'bad-request',
        'the Environment view shows no version yet; run "Show Environment" on a version in History',
      );
    return shown;
  }

  /** Existing files are overwritten only when the user says so, in a modal. */
  private async mayOverwrite(targets: readonly ExportTarget[], dir: string): Promise<boolean> {
    const existing: string[] = [];
    for (const t of targets) if (await exists(vscode.Uri.file(t.file))) existing.push(t.rel);
    if (existing.length === 0) return true;
    const answer = await vscode.window.showWarningMessage(
      overwriteQuestion(existing, dir),
      { modal: true, detail: 'Their current contents are replaced by the export.' },
      OVERWRITE,
    );
    return answer === OVERWRITE;
  }

  private async announceExport(message: string, main: ExportTarget | undefined): Promise<void> {
    const picked = await vscode.window.showInformationMessage(`mlsnap: ${message}`, ...(main ? [OPEN] : []));
    if (picked === OPEN && main) await vscode.window.showTextDocument(vscode.Uri.file(main.file));
  }

  private async warnFlagged(ref: string, pins: readonly Pin[]): Promise<void> {
    const picked = await vscode.window.showWarningMessage(`mlsnap: ${flaggedSentence(pins.length)}`, SHOW_DETAILS);
    if (picked !== SHOW_DETAILS) return;
    this.log.warn(flaggedDetails(ref, pins));
    this.log.channel.show(true);
  }

  private async announceReproduction(ref: string, r: ReproduceResult): Promise<void> {
    if (r.identical) {
      const picked = await vscode.window.showInformationMessage(`mlsnap: ${reproduceSentence(r)}`, OPEN_FOLDER);
      if (picked === OPEN_FOLDER)
        await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(r.dir), { forceNewWindow: true });
      return;
    }
    const picked = await vscode.window.showWarningMessage(`mlsnap: ${reproduceSentence(r)}`, SHOW_DIFFERENCES);
    if (picked !== SHOW_DIFFERENCES) return;
    this.log.warn(differenceLines(ref, r));
    this.log.channel.show(true);
  }

  /** Where pip installs from; undefined when the user cancels. */
  private async askSource(root: string, ref: string): Promise<InstallSource | undefined> {
    const configured = reproduceFindLinksSetting(root);
    const picked = await vscode.window.showQuickPick(sourcePickItems(configured), {
      title: `Reproduce ${ref}: install the packages from…`,
      matchOnDescription: true,
    });
    switch (picked?.source) {
      case undefined:
        return undefined;
      case 'default':
        return {};
      case 'setting':
        return configured === undefined ? {} : { findLinks: configured };
      case 'wheels': {
        const findLinks = await askExistingFolder({
          title: `Reproduce ${ref}: the folder of wheels to install from (nothing is downloaded)`,
          defaultPath: configured ?? root,
          openLabel: 'Install from Here',
        });
        return findLinks === undefined ? undefined : { findLinks };
      }
      case 'index': {
        const indexUrl = await vscode.window.showInputBox({
          title: `Reproduce ${ref}: the package index`,
          prompt: 'The index URL pip installs from (pip --index-url)',
          placeHolder: 'https://pypi.example.com/simple',
          ignoreFocusOut: true,
          validateInput: (s) => indexUrlProblem(s),
        });
        return indexUrl === undefined ? undefined : { indexUrl: indexUrl.trim() };
      }
    }
  }

  /** A cancellable notification showing the daemon's progress; undefined when cancelled. */
  private withProgress<T>(title: string, run: (opts: LongCallOptions) => Promise<T>): Promise<T | undefined> {
    return withLongCallProgress(title, this.log, new ReproduceProgress(), run);
  }
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch (e) {
    if (e instanceof vscode.FileSystemError && e.code === 'FileNotFound') return false;
    throw e;
  }
}
