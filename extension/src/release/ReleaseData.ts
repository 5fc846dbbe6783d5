import * as vscode from 'vscode';
import type { Credentials, RemoteInfo } from '../../../shared/src/protocol';
import type {
  AuditRecord,
  BundleFormat,
  BundleResult,
  GateCheckResult,
  PromoteResult,
  ResourceEstimate,
  StageInfo,
} from '../../../shared/src/release';
import type { DaemonConnection, LongCallOptions } from '../connection/DaemonConnection';
import { DisposableStore } from '../Disposables';
import type { LocalSeqs } from '../presentation/release';
import type { ProjectCatalog } from '../ProjectCatalog';
import type { RemoteSecrets } from '../remotes/RemoteSecrets';

/** A remote of a project, by name: what every stage call acts on. */
export interface RemoteRef {
  root: string;
  remote: string;
}

/** Several moves and remote changes come together (a promotion, then History's refresh): read once after. */
const DEBOUNCE_MS = 300;
/** How many versions of a model are read to number the versions its stages and moves name. */
const SEQS_LIMIT = 500;

/**
 * The release calls on the daemon, each with the remote's stored credentials (the daemon may
 * have restarted since it last heard them), and when stages change: a move from this daemon
 * (`mlsnap/didMoveStage`), the projects' remotes changing, the daemon coming or going.
 */
export class ReleaseData implements vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  readonly onDidChange = this._onDidChange.event;
  private readonly store = new DisposableStore();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly daemon: DaemonConnection,
    private readonly catalog: ProjectCatalog,
    private readonly secrets: RemoteSecrets,
    remotesChanged: vscode.Event<string>,
  ) {
    this.store.track(this._onDidChange);
    // Every window hears of every project's moves: only this window's matter.
    this.store.track(daemon.onDidMoveStage((e) => catalog.roots.includes(e.root) && this.schedule()));
    this.store.track(remotesChanged(() => this.schedule()));
    this.store.track(daemon.onDidChangeState(() => this.schedule()));
    this.store.track(catalog.onDidChange(() => this.schedule()));
    this.store.track(new vscode.Disposable(() => clearTimeout(this.timer)));
  }

  get roots(): readonly string[] {
    return this.catalog.roots;
  }

  get running(): boolean {
    return this.daemon.state === 'running';
  }

  /** Throws the error whose action starts the daemon when none answers. */
  requireRunning(): void {
    this.daemon.requireRunning();
  }

  /** Ask the views to read again (the Refresh button, a move seen elsewhere). */
  changed(): void {
    this.schedule();
  }

  remotesOf(root: string): Promise<RemoteInfo[]> {
    return this.daemon.call('remote/list', { root });
  }

  async stages(r: RemoteRef, model?: string): Promise<StageInfo[]> {
    return this.daemon.call('release/stages', {
      ...(await this.remoteParams(r)),
      ...(model === undefined ? {} : { model }),
    });
  }

  /** The moves of one stage of one model, oldest first. */
  async history(r: RemoteRef, model: string, stage: string): Promise<AuditRecord[]> {
    return this.daemon.call('release/history', { ...(await this.remoteParams(r)), model, stage });
  }

  async gates(r: RemoteRef, ref: string, stage: string): Promise<GateCheckResult> {
    return this.daemon.call('release/gates', { ...(await this.remoteParams(r)), ref, stage });
  }

  async promote(
    r: RemoteRef,
    p: { ref: string; stage: string; reason?: string; force?: boolean },
    opts: LongCallOptions,
  ): Promise<PromoteResult> {
    return this.daemon.callLong('release/promote', { ...(await this.remoteParams(r)), ...p }, opts);
  }

  async demote(r: RemoteRef, p: { model: string; stage: string; reason?: string }): Promise<StageInfo> {
    return this.daemon.call('release/demote', { ...(await this.remoteParams(r)), ...p });
  }

  estimate(root: string, ref: string): Promise<ResourceEstimate> {
    return this.daemon.call('release/estimate', { root, ref });
  }

  bundle(root: string, p: { ref: string; dir: string; format: BundleFormat; force?: boolean }): Promise<BundleResult> {
    return this.daemon.call('release/bundle', { root, ...p });
  }

  /** The tracked model files of a project that have versions (what Promote… and the bundle offer). */
  async modelFiles(root: string): Promise<{ root: string; path: string; versions: number }[]> {
    const files = await this.daemon.call('project/files', { root });
    return files
      .filter((f) => f.kind === 'model' && f.versions > 0)
      .map((f) => ({ root, path: f.path, versions: f.versions }));
  }

  /** The numbers this project gives a model's versions, by version id. */
  async localSeqs(root: string, model: string): Promise<LocalSeqs> {
    const versions = await this.daemon.call('version/log', { root, path: model, limit: SEQS_LIMIT });
    return new Map(versions.map((v) => [v.uid, v.seq]));
  }

  private async remoteParams(r: RemoteRef): Promise<{ root: string; remote: string; credentials?: Credentials }> {
    const stored = await this.secrets.get(r.root, r.remote).catch(() => undefined);
    return { root: r.root, remote: r.remote, ...(stored ? { credentials: stored } : {}) };
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this._onDidChange.fire(), DEBOUNCE_MS);
  }

  dispose(): void {
    this.store.dispose();
  }
}
