import * as path from 'node:path';
import * as vscode from 'vscode';
import { MlsnapError } from '../../../shared/src/errors';
import { estimateLine } from '../../../shared/src/estimateText';
import type { BundleFormat, BundleResult, GateCheckResult } from '../../../shared/src/release';
import { withLongCallProgress } from '../connection/LongCallProgress';
import { askExistingFolder } from '../environment/FolderPrompt';
import type { VersionChooser } from '../history/HistoryFeature';
import type { VersionRef } from '../history/HistoryService';
import { CommandId } from '../ids';
import { refOf } from '../presentation/versionUri';
import type { OutputLog } from '../OutputLog';
import {
  bundleFormatPickItems,
  bundleMessage,
  bundleOverwriteQuestion,
  demotedMessage,
  demoteQuestion,
  mainBundleFile,
  promotedMessage,
  promotionQuestion,
  stageNameProblem,
  stagePickItems,
  stageVersion,
} from '../presentation/release';
import { ProgressTracker, remotePickItem } from '../presentation/remotes';
import type { ModelsNode } from './ModelsTree';
import type { ReleaseData, RemoteRef } from './ReleaseData';

/** What a release command was run on, as its arguments say. */
export type ReleaseTarget =
  /** The palette, a keybinding, a view title button: the command asks. */
  | { kind: 'palette' }
  /** A History version or file row, a Models stage row, an explorer Uri. */
  | { kind: 'argument'; value: unknown };

/** A version on its way to a stage: where, and what to call it. */
interface Promotion extends RemoteRef {
  version: VersionRef['version'];
  stage: string;
}

/** What the user said in the promotion's dialog. */
interface PromotionAnswer {
  reason?: string;
  force?: boolean;
}

type StageRow = Extract<ModelsNode, { kind: 'stage' }>;

const PROMOTE = 'Promote';
const PROMOTE_ANYWAY = 'Promote Anyway…';
const DEMOTE = 'Demote';
const RETRY = 'Retry';
const OVERWRITE = 'Overwrite';
const REVEAL = 'Reveal';
const OPEN_FOLDER = 'Open Folder';
const ADD_REMOTE = 'Add Remote…';

/**
 * What the release commands do: promote a model version to a stage on a remote after its
 * gates (shown in a modal, overridable with a reason), demote a stage, and write a
 * deployment bundle. Commands stay thin and delegate here; a failure not handled here is
 * shown by the command registrar, with its sentence.
 */
export class ReleaseService {
  constructor(
    private readonly data: ReleaseData,
    private readonly versions: VersionChooser,
    private readonly log: OutputLog,
  ) {}

  async promote(on: ReleaseTarget): Promise<void> {
    const target = await this.versionOf(on, 'Promote which version?');
    if (!target) return;
    const ref = refOf(target.version);
    const remote = await this.chooseRemote(target.root, `Promote ${ref} on which remote?`);
    if (!remote) return;
    const stage = await this.chooseStage({ root: target.root, remote }, target.version.path, ref);
    if (!stage) return;
    await this.promoteTo({ root: target.root, remote, version: target.version, stage });
  }

  async demote(on: ReleaseTarget): Promise<void> {
    const row = stageRowOf(on) ?? (await this.pickStage());
    if (!row) return;
    const { info } = row;
    const question = demoteQuestion(info, row.remote);
    const answer = await vscode.window.showWarningMessage(
      question.message,
      { modal: true, detail: question.detail },
      DEMOTE,
    );
    if (answer !== DEMOTE) return;
    const reason = await askReason(`Demote ${info.stage} of ${info.model}: why? (optional)`, false);
    if (reason !== undefined) await this.runDemotion(row, reason);
  }

  /** The move; again when someone else moved the stage meanwhile and the user says Retry. */
  private async runDemotion(row: StageRow, reason: string): Promise<void> {
    const { info } = row;
    for (;;) {
      try {
        await this.data.demote(row, { model: info.model, stage: info.stage, ...(reason ? { reason } : {}) });
        this.data.changed();
        void vscode.window.showInformationMessage(`mlsnap: ${demotedMessage(info.model, info.stage, row.remote)}`);
        return;
      } catch (e) {
        if (!isConflict(e)) throw e;
        const picked = await this.log.showError(`Demoting ${info.stage} of ${info.model}`, e, RETRY);
        if (picked !== RETRY) return;
      }
    }
  }

  async exportBundle(on: ReleaseTarget): Promise<void> {
    const target = await this.versionOf(on, 'Export a deployment bundle of which version?');
    if (!target) return;
    const ref = refOf(target.version);
    const format = await vscode.window.showQuickPick(bundleFormatPickItems(), {
      title: `Export ${ref} as a deployment bundle for…`,
      matchOnDescription: true,
    });
    if (!format) return;
    const dir = await askExistingFolder({
      title: `Export the ${format.label} bundle of ${ref} into which folder?`,
      defaultPath: target.root,
      openLabel: 'Export Here',
    });
    if (!dir) return;
    const written = await this.writeBundle(target.root, { ref, dir, format: format.format });
    if (written) void this.announceBundle(ref, written);
  }

  /** Gates, the dialog, the move; again from the gates when someone else moved the stage meanwhile. */
  private async promoteTo(p: Promotion): Promise<void> {
    const ref = refOf(p.version);
    for (;;) {
      const check = await this.data.gates(p, ref, p.stage);
      const answer = await this.confirmPromotion(p, check);
      if (!answer) return;
      try {
        await this.runPromotion(p, answer);
        return;
      } catch (e) {
        if (!isConflict(e)) throw e;
        const picked = await this.log.showError(`Promoting ${ref} to ${p.stage}`, e, RETRY);
        if (picked !== RETRY) return;
      }
    }
  }

  private async runPromotion(p: Promotion, answer: PromotionAnswer): Promise<void> {
    const ref = refOf(p.version);
    const r = await withLongCallProgress(
      `mlsnap: promoting ${ref} to ${p.stage} on ${p.remote}`,
      this.log,
      new ProgressTracker(),
      (opts) => this.data.promote(p, { ref, stage: p.stage, ...answer }, opts),
    );
    if (r === undefined) return;
    this.data.changed();
    const seq = r.stage.local?.seq ?? p.version.seq;
    this.log.info(`promoted ${ref} to ${p.stage} on ${p.remote}${r.forced ? ` (forced: ${answer.reason ?? ''})` : ''}`);
    void vscode.window.showInformationMessage(
      `mlsnap: ${promotedMessage(p.version.path, seq, p.stage, p.remote, r.forced)}`,
    );
  }

  /**
   * The gates' results in a modal: "Promote" when all passed (then an optional reason),
   * "Promote Anyway…" when some failed (then a required reason, sent with force).
   */
  private async confirmPromotion(p: Promotion, check: GateCheckResult): Promise<PromotionAnswer | undefined> {
    const ref = refOf(p.version);
    const seqs = await this.data.localSeqs(p.root, p.version.path).catch(() => new Map<string, number>());
    const serving = await this.servingEstimate(p.root, ref);
    const q = promotionQuestion(ref, p.remote, check, seqs, serving);
    const options = { modal: true, detail: q.detail };
    const picked = q.passed
      ? await vscode.window.showInformationMessage(q.message, options, PROMOTE)
      : await vscode.window.showWarningMessage(q.message, options, PROMOTE_ANYWAY);
    if (picked === undefined) return undefined;
    const reason = await askReason(
      q.passed ? `Promote ${ref} to ${p.stage}: why? (optional)` : `Promote ${ref} to ${p.stage} anyway: why?`,
      !q.passed,
    );
    if (reason === undefined) return undefined;
    if (!q.passed) return { reason, force: true };
    return reason ? { reason } : {};
  }

  /** One line of the serving needs, or null when the file cannot be estimated (the dialog goes on without it). */
  private async servingEstimate(root: string, ref: string): Promise<string | null> {
    try {
      return estimateLine(await this.data.estimate(root, ref));
    } catch (e) {
      this.log.info(`no serving estimate for ${ref}: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
  }

  /** `release/bundle`; files of an earlier bundle there are overwritten only when the user says so. */
  private async writeBundle(
    root: string,
    p: { ref: string; dir: string; format: BundleFormat },
  ): Promise<BundleResult | undefined> {
    try {
      return await this.data.bundle(root, p);
    } catch (e) {
      const question = isConflict(e) ? bundleOverwriteQuestion((e as Error).message) : null;
      if (question === null) throw e;
      const answer = await vscode.window.showWarningMessage(
        question,
        { modal: true, detail: `Files of the earlier bundle in ${p.dir} are replaced; other files there stay.` },
        OVERWRITE,
      );
      return answer === OVERWRITE ? this.data.bundle(root, { ...p, force: true }) : undefined;
    }
  }

  private async announceBundle(ref: string, r: BundleResult): Promise<void> {
    this.log.info(`${bundleMessage(ref, r)}: ${r.files.join(', ')}`);
    if (r.unsatisfiable.length > 0)
      this.log.warn(`the bundle's Dockerfile leaves out pins no index has: ${r.unsatisfiable.join(', ')}`);
    const picked = await vscode.window.showInformationMessage(`mlsnap: ${bundleMessage(ref, r)}`, REVEAL, OPEN_FOLDER);
    const main = mainBundleFile(r);
    if (picked === REVEAL) await reveal(vscode.Uri.file(main ? path.join(r.dir, main) : r.dir));
    else if (picked === OPEN_FOLDER)
      await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(r.dir), { forceNewWindow: true });
  }

  /**
   * The version a command acts on: the History row it was run on (a file row: its only
   * version, or one picked); from the palette, a tracked model file, then one of its versions.
   */
  private async versionOf(on: ReleaseTarget, title: string): Promise<VersionRef | undefined> {
    const named = on.kind === 'argument' ? this.versions.fromArgument(on.value, title) : null;
    if (named) return named;
    const file = await this.pickModelFile(title);
    return file ? this.versions.chooseVersionOf(file, title) : undefined;
  }

  private async pickModelFile(title: string): Promise<vscode.Uri | undefined> {
    const roots = this.requireProjects();
    const files = (await Promise.all(roots.map((root) => this.data.modelFiles(root)))).flat();
    if (files.length === 0)
      throw new MlsnapError(
        'not-found',
        'no model file has a version yet; save one (.pt, .safetensors, .onnx, …) first',
      );
    const several = roots.length > 1;
    const picked = await vscode.window.showQuickPick(
      files.map((f) => ({
        label: f.path,
        description: `${f.versions} version${f.versions === 1 ? '' : 's'}${several ? ` · ${path.basename(f.root)}` : ''}`,
        uri: vscode.Uri.file(path.join(f.root, f.path)),
      })),
      { title: `${title} First the model file:`, matchOnDescription: true },
    );
    return picked?.uri;
  }

  /** The remote to move a stage on: the only one, or one picked (the default first). With none, offer to add one. */
  private async chooseRemote(root: string, title: string): Promise<string | undefined> {
    const remotes = [...(await this.data.remotesOf(root))].sort((a, b) => Number(b.isDefault) - Number(a.isDefault));
    if (remotes.length === 0) {
      const picked = await vscode.window.showInformationMessage(
        `mlsnap: ${path.basename(root)} has no remote yet; stages live on a team remote (S3, Azure Blob or a shared folder). Add one to release models.`,
        ADD_REMOTE,
      );
      if (picked === ADD_REMOTE) await vscode.commands.executeCommand(CommandId.AddRemote, root);
      return undefined;
    }
    if (remotes.length === 1) return remotes[0]?.name;
    const picked = await vscode.window.showQuickPick(
      remotes.map((r) => ({ ...remotePickItem(r), name: r.name })),
      { title, matchOnDescription: true },
    );
    return picked?.name;
  }

  /** The stages on the remote, staging and production, or a new name typed into "Other…". */
  private async chooseStage(r: RemoteRef, model: string, ref: string): Promise<string | undefined> {
    const existing = await this.data.stages(r);
    const picked = await vscode.window.showQuickPick(stagePickItems(existing, model), {
      title: `Promote ${ref} to which stage on ${r.remote}?`,
      matchOnDescription: true,
    });
    if (!picked) return undefined;
    if (picked.stage !== null) return picked.stage;
    const typed = await vscode.window.showInputBox({
      title: `Promote ${ref}: the new stage's name`,
      prompt: 'Lower-case letters, digits, ".", "_" or "-" (like canary-2)',
      ignoreFocusOut: true,
      validateInput: (s) => stageNameProblem(s),
    });
    return typed?.trim() || undefined;
  }

  /** From the palette: a stage holding a version, of any remote of any project. */
  private async pickStage(): Promise<StageRow | undefined> {
    const rows: StageRow[] = [];
    for (const root of this.requireProjects())
      for (const remote of await this.data.remotesOf(root)) {
        const stages = await this.data.stages({ root, remote: remote.name });
        for (const info of stages.filter((s) => s.pointer.target !== null))
          rows.push({ kind: 'stage', root, remote: remote.name, info });
      }
    if (rows.length === 0) throw new MlsnapError('not-found', 'no stage holds a version; there is nothing to demote');
    const picked = await vscode.window.showQuickPick(
      rows.map((row) => ({
        label: `${row.info.model} ${row.info.stage}`,
        description: `${stageVersion(row.info)} · on ${row.remote}`,
        row,
      })),
      { title: 'Demote which stage?', matchOnDescription: true },
    );
    return picked?.row;
  }

  private requireProjects(): readonly string[] {
    // With no daemon the catalog is empty: say what is wrong (its action starts it), not "no project".
    this.data.requireRunning();
    if (this.data.roots.length === 0)
      throw new MlsnapError('not-initialized', 'no mlsnap project in this workspace; run "mlsnap: Initialize Project"');
    return this.data.roots;
  }
}

/** Why a move was made; `required` for a forced promotion. Undefined when cancelled, '' for no reason. */
async function askReason(title: string, required: boolean): Promise<string | undefined> {
  const typed = await vscode.window.showInputBox({
    title,
    prompt: required
      ? 'Required: it goes into the audit record with the failed gates'
      : 'It goes into the audit record; Enter with nothing skips it',
    ignoreFocusOut: true,
    ...(required
      ? { validateInput: (s: string) => (s.trim() === '' ? 'a reason is required to override gates' : null) }
      : {}),
  });
  return typed?.trim();
}

/** Someone else moved the stage first (compare-and-swap lost), or the bundle's files exist. */
function isConflict(e: unknown): boolean {
  return e instanceof MlsnapError && e.kind === 'conflict';
}

/** In the Explorer when the file is in the workspace, else in the OS's file manager. */
async function reveal(uri: vscode.Uri): Promise<void> {
  if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
  else await vscode.commands.executeCommand('revealFileInOS', uri);
}

/** A Models stage row holding a version. */
function stageRowOf(on: ReleaseTarget): StageRow | undefined {
  if (on.kind !== 'argument') return undefined;
  const n = on.value as Partial<ModelsNode> | null | undefined;
  return n && typeof n === 'object' && n.kind === 'stage' ? (n as StageRow) : undefined;
}
