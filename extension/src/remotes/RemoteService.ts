import * as path from 'node:path';
import * as vscode from 'vscode';
import { MlsnapError } from '../../../shared/src/errors';
import type { Credentials, PushResult, RemoteAddParams, RemoteInfo } from '../../../shared/src/protocol';
import type { DaemonConnection, LongCallOptions } from '../connection/DaemonConnection';
import { withLongCallProgress } from '../connection/LongCallProgress';
import { DisposableStore } from '../Disposables';
import { CommandId } from '../ids';
import type { OutputLog } from '../OutputLog';
import {
  distinctFindings,
  findingLine,
  findingPickItem,
  ProgressTracker,
  pullSummary,
  pushSummary,
  refusalDetail,
  refusalSentence,
  remotePickItem,
  strippingHelps,
} from '../presentation/remotes';
import type { ProjectCatalog } from '../ProjectCatalog';
import { AddRemoteWizard, askCredentials, type RemoteAnswers } from './AddRemoteWizard';
import type { RemoteSecrets } from './RemoteSecrets';

/** A remote of a project: what Push, Pull and the other remote commands act on. */
export interface RemoteTarget {
  root: string;
  remote: RemoteInfo;
}

/** What a refused push is run again with. */
interface GateAnswer {
  stripOutputs?: boolean;
  allow?: string[];
}

export const STRIP_OUTPUTS = 'Push with outputs stripped';
export const ALLOW = 'Allow…';
const CREATE_AND_ADD = 'Create and Add';
const EDIT_AND_RETRY = 'Edit and Retry';
const SET_CREDENTIALS = 'Set Credentials…';
const PUSH_NOW = 'Push Now';
const ADD_REMOTE = 'Add Remote…';

/**
 * What the remote commands do: add a remote (the daemon checks it), push with the secret gate,
 * pull, and keep credentials in SecretStorage, handing them to the daemon over its socket.
 * Commands stay thin and delegate here.
 */
export class RemoteService implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly _onDidChange = new vscode.EventEmitter<string>();
  /** A project's remotes, or what they hold, changed (fires the project's root). */
  readonly onDidChange = this._onDidChange.event;

  constructor(
    private readonly daemon: DaemonConnection,
    private readonly catalog: ProjectCatalog,
    private readonly secrets: RemoteSecrets,
    private readonly log: OutputLog,
  ) {
    this.store.track(this._onDidChange);
  }

  remotesOf(root: string): Promise<RemoteInfo[]> {
    return this.daemon.call('remote/list', { root });
  }

  async addRemote(root?: string): Promise<void> {
    const project = root ?? (await this.pickProject('Add a remote to which project?'));
    if (!project) return;
    // Asked first: when the daemon is down this fails before any question is asked.
    const wizard = new AddRemoteWizard(await this.remotesOf(project));
    let answers = await wizard.run();
    while (answers) {
      const outcome = await this.tryAdd(project, answers);
      if (outcome === 'done') return;
      answers = outcome === 'create' ? { ...answers, create: true } : await wizard.run(answers);
    }
  }

  /** One attempt at `remote/add`; on failure the user picks what next. */
  private async tryAdd(root: string, a: RemoteAnswers): Promise<'done' | 'create' | 'edit'> {
    let added: RemoteInfo;
    try {
      const result = await this.withProgress(`mlsnap: checking remote ${a.name}`, (opts) =>
        this.daemon.callLong('remote/add', addParams(root, a), opts),
      );
      if (result === undefined) return 'done';
      added = result;
    } catch (e) {
      const missing = e instanceof MlsnapError && e.kind === 'remote' && /does not exist/.test(e.message);
      const action = missing && !a.create ? CREATE_AND_ADD : EDIT_AND_RETRY;
      const picked = await this.log.showError(`Adding remote ${a.name}`, e, action);
      if (picked === CREATE_AND_ADD) return 'create';
      return picked === EDIT_AND_RETRY ? 'edit' : 'done';
    }
    await this.keepSecrets(root, added.name, a.credentials);
    this._onDidChange.fire(root);
    const unpushed =
      added.unpushed > 0 ? `; ${added.unpushed} version${added.unpushed === 1 ? '' : 's'} not pushed` : '';
    const picked = await vscode.window.showInformationMessage(
      `mlsnap: added remote ${added.name} (${added.url})${added.isDefault ? ', the default' : ''}${unpushed}`,
      ...(added.unpushed > 0 ? [PUSH_NOW] : []),
    );
    if (picked === PUSH_NOW) await vscode.commands.executeCommand(CommandId.Push, root);
    return 'done';
  }

  /** Push, and when the secret gate refuses, show its findings and push again as the user says. */
  async push(root?: string): Promise<void> {
    const target = await this.pickRemote(root, 'Push to which remote?');
    if (!target) return;
    let answer: GateAnswer = {};
    for (;;) {
      const r = await this.transfer(target, `pushing to ${target.remote.name}`, (opts, credentials) =>
        this.daemon.callLong(
          'remote/push',
          { root: target.root, remote: target.remote.name, ...answer, ...credentials },
          opts,
        ),
      );
      if (r === undefined) return;
      if (r.pushed) {
        this._onDidChange.fire(target.root);
        void vscode.window.showInformationMessage(`mlsnap: ${pushSummary(r)}`);
        return;
      }
      const next = await this.askAboutFindings(r, answer);
      if (!next) return;
      answer = next;
    }
  }

  async pull(root?: string): Promise<void> {
    const target = await this.pickRemote(root, 'Pull from which remote?');
    if (!target) return;
    const r = await this.transfer(target, `pulling from ${target.remote.name}`, (opts, credentials) =>
      this.daemon.callLong('remote/pull', { root: target.root, remote: target.remote.name, ...credentials }, opts),
    );
    if (r === undefined) return;
    this._onDidChange.fire(target.root);
    void vscode.window.showInformationMessage(`mlsnap: ${pullSummary(r)}`);
  }

  /** Ask for a remote's credentials again (expired keys, a new token) and hand them to the daemon. */
  async setCredentials(root?: string, target?: RemoteTarget): Promise<boolean> {
    const t =
      target ?? (await this.pickRemote(root, 'Set the credentials of which remote?', (r) => r.kind !== 'folder'));
    if (!t) return false;
    if (t.remote.kind === 'folder') {
      void vscode.window.showInformationMessage(
        `mlsnap: ${t.remote.name} is a folder; it needs no credentials, only read and write access to ${t.remote.url}`,
      );
      return false;
    }
    const asked = await askCredentials(t.remote.kind, undefined, `Credentials of ${t.remote.name} (${t.remote.url})`);
    if (!asked) return false;
    const credentials: Credentials = asked.profile ? { AWS_PROFILE: asked.profile } : asked.credentials;
    await this.keepSecrets(t.root, t.remote.name, credentials);
    await this.daemon.call('remote/credentials', { root: t.root, name: t.remote.name, credentials });
    void vscode.window.setStatusBarMessage(`mlsnap: credentials of ${t.remote.name} updated`, 5000);
    return true;
  }

  async removeRemote(root?: string): Promise<void> {
    const t = await this.pickRemote(root, 'Remove which remote?');
    if (!t) return;
    const answer = await vscode.window.showWarningMessage(
      `Remove remote ${t.remote.name} (${t.remote.url}) from ${path.basename(t.root)}?`,
      {
        modal: true,
        detail: "Nothing on the remote is deleted, and teammates' versions already pulled stay in History.",
      },
      'Remove',
    );
    if (answer !== 'Remove') return;
    await this.daemon.call('remote/remove', { root: t.root, name: t.remote.name });
    await this.secrets.delete(t.root, t.remote.name).catch((e: unknown) => this.log.warn(String(e)));
    this._onDidChange.fire(t.root);
    void vscode.window.setStatusBarMessage(`mlsnap: removed remote ${t.remote.name}`, 5000);
  }

  /**
   * The daemon keeps credentials in memory only, so a restarted daemon has none: on every
   * connection, hand it those SecretStorage holds for each remote of each open project.
   */
  async resendCredentials(): Promise<void> {
    if (this.daemon.state !== 'running') return;
    let sent = 0;
    for (const root of this.catalog.roots) {
      const remotes = await this.remotesOf(root).catch(() => []);
      for (const r of remotes) {
        const credentials = await this.secrets.get(root, r.name).catch(() => undefined);
        if (!credentials) continue;
        try {
          await this.daemon.call('remote/credentials', { root, name: r.name, credentials });
          sent++;
        } catch (e) {
          this.log.warn(`handing the daemon the credentials of ${r.name} in ${root}: ${String(e)}`);
        }
      }
    }
    if (sent > 0) this.log.info(`handed the daemon the credentials of ${sent} remote${sent === 1 ? '' : 's'}`);
  }

  /**
   * Run a push or pull under a cancellable progress notification. Returns undefined when the
   * user cancelled it or it failed for want of credentials (then the user was asked for them).
   */
  private async transfer<T>(
    target: RemoteTarget,
    title: string,
    run: (opts: LongCallOptions, credentials: { credentials?: Credentials }) => Promise<T>,
  ): Promise<T | undefined> {
    for (;;) {
      // Sent with the call too: the daemon may have restarted since it last heard them.
      const stored = await this.secrets.get(target.root, target.remote.name).catch(() => undefined);
      try {
        return await this.withProgress(`mlsnap: ${title}`, (opts) => run(opts, stored ? { credentials: stored } : {}));
      } catch (e) {
        if (!needsCredentials(e, target.remote)) throw e;
        const picked = await this.log.showError(title, e, SET_CREDENTIALS);
        if (picked !== SET_CREDENTIALS || !(await this.setCredentials(target.root, target))) return undefined;
      }
    }
  }

  /** A cancellable notification showing the daemon's progress; undefined when cancelled. */
  private withProgress<T>(title: string, run: (opts: LongCallOptions) => Promise<T>): Promise<T | undefined> {
    return withLongCallProgress(title, this.log, new ProgressTracker(), run);
  }

  /** The secret gate refused: show what it found (file, cell, line, rule) and how to go on. */
  private async askAboutFindings(r: PushResult, previous: GateAnswer): Promise<GateAnswer | undefined> {
    this.log.warn(`push to ${r.remote} refused by the secret gate:\n  ${r.findings.map(findingLine).join('\n  ')}`);
    const actions = [...(strippingHelps(r.findings) && !previous.stripOutputs ? [STRIP_OUTPUTS] : []), ALLOW];
    const picked = await vscode.window.showWarningMessage(
      refusalSentence(r),
      { modal: true, detail: refusalDetail(r.findings) },
      ...actions,
    );
    if (picked === STRIP_OUTPUTS) return { ...previous, stripOutputs: true };
    if (picked !== ALLOW) return undefined;
    const chosen = await vscode.window.showQuickPick(distinctFindings(r.findings).map(findingPickItem), {
      title: 'Allow which findings? They are pushed as they are; the push records that you allowed them.',
      canPickMany: true,
      ignoreFocusOut: true,
      matchOnDescription: true,
    });
    if (!chosen || chosen.length === 0) return undefined;
    return { ...previous, allow: [...new Set([...(previous.allow ?? []), ...chosen.map((c) => c.id)])] };
  }

  private async keepSecrets(root: string, name: string, credentials: Credentials): Promise<void> {
    try {
      await this.secrets.set(root, name, credentials);
    } catch (e) {
      // The daemon has them for now; say that they will not outlive it.
      this.log.warn(`keeping the credentials of ${name} in secret storage: ${String(e)}`);
      void vscode.window.showWarningMessage(
        `mlsnap: VS Code's secret storage refused the credentials of ${name}; the daemon keeps them until it restarts.`,
      );
    }
  }

  /** The project to act on: the only one, or the one picked. */
  private async pickProject(title: string): Promise<string | undefined> {
    const roots = this.requireProjects();
    if (roots.length === 1) return roots[0];
    const picked = await vscode.window.showQuickPick(
      roots.map((root) => ({ label: path.basename(root), description: root, root })),
      { title },
    );
    return picked?.root;
  }

  /**
   * The remote to act on: the only one, or one picked (default remotes first). With none,
   * offer to add one.
   */
  private async pickRemote(
    root: string | undefined,
    title: string,
    filter: (r: RemoteInfo) => boolean = () => true,
  ): Promise<RemoteTarget | undefined> {
    const roots = root ? [root] : this.requireProjects();
    const lists = await Promise.all(roots.map(async (r) => ({ root: r, remotes: await this.remotesOf(r) })));
    const targets = lists
      .flatMap((l) => l.remotes.filter(filter).map((remote) => ({ root: l.root, remote })))
      .sort((a, b) => Number(b.remote.isDefault) - Number(a.remote.isDefault));
    if (targets.length === 0) {
      const which = roots.length === 1 ? path.basename(roots[0] as string) : 'no project of this workspace';
      const has = roots.length === 1 ? 'has no' : 'has a';
      const picked = await vscode.window.showInformationMessage(
        `mlsnap: ${which} ${has} ${lists.some((l) => l.remotes.length > 0) ? 'remote of that kind' : 'remote'} yet; add one (S3, Azure Blob or a shared folder) to push and pull versions.`,
        ADD_REMOTE,
      );
      if (picked === ADD_REMOTE)
        await vscode.commands.executeCommand(CommandId.AddRemote, roots.length === 1 ? roots[0] : undefined);
      return undefined;
    }
    if (targets.length === 1) return targets[0];
    const several = roots.length > 1;
    const picked = await vscode.window.showQuickPick(
      targets.map((t) => ({ ...remotePickItem(t.remote, several ? path.basename(t.root) : undefined), t })),
      { title, matchOnDescription: true },
    );
    return picked?.t;
  }

  private requireProjects(): readonly string[] {
    // With no daemon the catalog is empty: say what is wrong, not "no project".
    this.daemon.requireRunning();
    if (this.catalog.roots.length === 0)
      throw new MlsnapError('not-initialized', 'no mlsnap project in this workspace; run "mlsnap: Initialize Project"');
    return this.catalog.roots;
  }

  dispose(): void {
    this.store.dispose();
  }
}

function addParams(root: string, a: RemoteAnswers): Omit<RemoteAddParams, 'progressToken'> {
  return {
    root,
    name: a.name,
    url: a.url,
    ...(a.endpoint !== undefined ? { endpoint: a.endpoint } : {}),
    ...(a.region !== undefined ? { region: a.region } : {}),
    ...(a.profile !== undefined ? { profile: a.profile } : {}),
    ...(a.create ? { create: true } : {}),
    ...(Object.keys(a.credentials).length > 0 ? { credentials: a.credentials } : {}),
  };
}

/** A cloud remote that refused us for want of (good) credentials: asking for them again helps. */
function needsCredentials(e: unknown, remote: RemoteInfo): boolean {
  return (
    remote.kind !== 'folder' &&
    e instanceof MlsnapError &&
    e.kind === 'remote' &&
    /credential|refused access|SAS|token/i.test(e.message)
  );
}
