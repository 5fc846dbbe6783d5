import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  ResponseError,
  State,
  type LanguageClientOptions,
  type StreamInfo,
} from 'vscode-languageclient/node';
import { isAlive, logFilePath, readDaemonFile } from '../../../shared/node/daemonFiles';
import type { ProjectInfo, SnapshotInfo, VersionInfo } from '../../../shared/src/domain';
import type { RunSummary } from '../../../shared/src/runs';
import { isErrorPayload, MlsnapError } from '../../../shared/src/errors';
import {
  rpcMethod,
  type DaemonNotifications,
  type MethodName,
  type NotificationName,
  type ParamsOf,
  type ResultOf,
  type TransferProgress,
} from '../../../shared/src/protocol';
import { DisposableStore } from '../Disposables';
import type { OutputLog } from '../OutputLog';
import type { DaemonLauncher } from './DaemonLauncher';
import { pollUntil } from '../../../shared/src/pollUntil';

export type DaemonState = 'starting' | 'running' | 'stopped';

/**
 * Methods that take a progressToken (push, pull, clone, remote add and check): their params
 * name it, unlike `daemon/status`'s, which take nothing at all.
 */
export type LongMethod = {
  [M in MethodName]: string extends keyof ParamsOf<M> ? never : 'progressToken' extends keyof ParamsOf<M> ? M : never;
}[MethodName];

/** How a long call reports and stops: progress as the daemon sends it, the editor's Cancel. */
export interface LongCallOptions {
  onProgress?: (p: TransferProgress) => void;
  token?: vscode.CancellationToken;
}

const START_TIMEOUT_MS = 20_000;

/**
 * This window's connection to the per-user daemon, through vscode-languageclient over the
 * daemon's Unix socket. Connection-lifetime disposables live in `connectionScope` and are
 * cleared on every disconnect. When the daemon goes away the state becomes `stopped` and the
 * daemon home is watched: a daemon started by anyone (CLI, another window) is joined again.
 */
export class DaemonConnection implements vscode.Disposable {
  private readonly _onDidChangeState = new vscode.EventEmitter<DaemonState>();
  readonly onDidChangeState = this._onDidChangeState.event;
  private readonly _onDidRecord = new vscode.EventEmitter<{ root: string; snapshot: SnapshotInfo }>();
  readonly onDidRecord = this._onDidRecord.event;
  private readonly _onDidTag = new vscode.EventEmitter<{ root: string; version: VersionInfo }>();
  readonly onDidTag = this._onDidTag.event;
  private readonly _onDidChangeProject = new vscode.EventEmitter<ProjectInfo>();
  readonly onDidChangeProject = this._onDidChangeProject.event;
  private readonly _onDidProgress = new vscode.EventEmitter<{ token: string; progress: TransferProgress }>();
  /** A run was inferred, gained outputs or ended; `previous` is its source's run before it. */
  private readonly _onDidRun = new vscode.EventEmitter<{
    root: string;
    run: RunSummary;
    previous: RunSummary | null;
  }>();
  readonly onDidRun = this._onDidRun.event;
  /** A stage on a remote of a project was moved from this daemon (promote, demote). */
  private readonly _onDidMoveStage = new vscode.EventEmitter<DaemonNotifications['mlsnap/didMoveStage']>();
  readonly onDidMoveStage = this._onDidMoveStage.event;

  private readonly lifetime = new DisposableStore();
  private readonly connectionScope = new DisposableStore();
  private client: LanguageClient | null = null;
  private homeWatcher: fs.FSWatcher | null = null;
  private joinTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private _state: DaemonState = 'stopped';
  private connecting: Promise<boolean> | null = null;

  constructor(
    private readonly home: string,
    private readonly launcher: DaemonLauncher,
    private readonly log: OutputLog,
  ) {
    this.lifetime.track(this._onDidChangeState);
    this.lifetime.track(this._onDidRecord);
    this.lifetime.track(this._onDidTag);
    this.lifetime.track(this._onDidChangeProject);
    this.lifetime.track(this._onDidProgress);
    this.lifetime.track(this._onDidRun);
    this.lifetime.track(this._onDidMoveStage);
  }

  get state(): DaemonState {
    return this._state;
  }

  private setState(s: DaemonState): void {
    if (s === this._state) return;
    this._state = s;
    this.log.info(`daemon: ${s}`);
    this._onDidChangeState.fire(s);
  }

  /** Join the running daemon, or start one and join it. */
  async connectOrStart(): Promise<void> {
    if (await this.connect()) return;
    this.setState('starting');
    try {
      await this.launcher.start(this.home);
      await this.waitForDaemon();
      if (!(await this.connect()))
        throw new MlsnapError(
          'daemon-unavailable',
          `the daemon started but its socket did not answer; see ${logFilePath(this.home)}`,
        );
    } catch (e) {
      this.setState('stopped');
      this.watchHome();
      throw e;
    }
  }

  /** Stop the daemon (every window loses it) and start a fresh one. */
  async restart(): Promise<void> {
    if (this._state === 'running') {
      await this.call('daemon/shutdown', {}).catch(() => undefined);
      await this.disconnected();
    }
    await this.connectOrStart();
  }

  /** Throws what every call throws while no daemon answers: the error whose action starts it. */
  requireRunning(): void {
    if (!this.client || this._state !== 'running') {
      throw new MlsnapError(
        'daemon-unavailable',
        'the mlsnap daemon is not running; use "mlsnap: Start/Restart Daemon"',
      );
    }
  }

  /** `token`: cancelling it cancels the request (the daemon stops the call and answers an error). */
  async call<M extends MethodName>(
    method: M,
    params: ParamsOf<M>,
    token?: vscode.CancellationToken,
  ): Promise<ResultOf<M>> {
    this.requireRunning();
    const client = this.client as LanguageClient;
    try {
      return (await (token
        ? client.sendRequest(rpcMethod(method), params, token)
        : client.sendRequest(rpcMethod(method), params))) as ResultOf<M>;
    } catch (e) {
      if (e instanceof ResponseError && isErrorPayload(e.data)) throw MlsnapError.fromPayload(e.data);
      throw e;
    }
  }

  /**
   * A long call with its own progress token: the daemon's `mlsnap/didProgress` notifications
   * naming it go to `onProgress` while the call runs.
   */
  async callLong<M extends LongMethod>(
    method: M,
    params: Omit<ParamsOf<M>, 'progressToken'>,
    opts: LongCallOptions = {},
  ): Promise<ResultOf<M>> {
    const progressToken = randomUUID();
    const { onProgress } = opts;
    const sub = onProgress
      ? this._onDidProgress.event((e) => e.token === progressToken && onProgress(e.progress))
      : undefined;
    try {
      return await this.call(method, { ...params, progressToken } as ParamsOf<M>, opts.token);
    } finally {
      sub?.dispose();
    }
  }

  private connect(): Promise<boolean> {
    this.connecting ??= this.doConnect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async doConnect(): Promise<boolean> {
    if (this._state === 'running') return true;
    if (this.disposed) return false;
    const info = readDaemonFile(this.home);
    if (!info || !isAlive(info.pid) || !fs.existsSync(info.socket)) return false;
    const client = new LanguageClient(
      'mlsnap',
      'mlsnap daemon',
      () => connectSocket(info.socket),
      this.clientOptions(),
    );
    try {
      await client.start();
    } catch (e) {
      this.log.warn(`could not join the daemon at ${info.socket}: ${String(e)}`);
      await client.dispose().catch(() => undefined);
      return false;
    }
    this.client = client;
    this.stopWatchingHome();
    this.connectionScope.track(client.onDidChangeState((e) => e.newState === State.Stopped && this.onDisconnect()));
    this.listen(client, 'mlsnap/didRecord', (p) => this._onDidRecord.fire(p));
    this.listen(client, 'mlsnap/didTag', (p) => this._onDidTag.fire(p));
    this.listen(client, 'mlsnap/didChangeProject', (p) => this._onDidChangeProject.fire(p.project));
    this.listen(client, 'mlsnap/willStop', () => this.onDisconnect());
    this.listen(client, 'mlsnap/didProgress', (p) => this._onDidProgress.fire(p));
    this.listen(client, 'mlsnap/didRun', (p) => this._onDidRun.fire(p));
    this.listen(client, 'mlsnap/didMoveStage', (p) => this._onDidMoveStage.fire(p));
    this.setState('running');
    return true;
  }

  private listen<N extends NotificationName>(
    client: LanguageClient,
    name: N,
    handler: (p: DaemonNotifications[N]) => void,
  ): void {
    this.connectionScope.track(client.onNotification(name, handler));
  }

  private clientOptions(): LanguageClientOptions {
    return {
      // Python files and notebook cells get code lenses and hovers on model paths.
      documentSelector: [
        { scheme: 'file', language: 'python' },
        { scheme: 'vscode-notebook-cell', language: 'python' },
      ],
      outputChannel: this.log.channel,
      // Restart policy lives here, not in the client: a stopped daemon shows the welcome view.
      errorHandler: {
        // Continue: a broken socket also closes, and `closed` decides. (Shutdown would put the
        // client in "stopping", where languageclient forces its own error toast on close.)
        error: () => ({ action: ErrorAction.Continue, handled: true }),
        closed: () => ({ action: CloseAction.DoNotRestart, handled: true }),
      },
      initializationFailedHandler: () => false,
    };
  }

  /**
   * The daemon went (or is going) away. The client is not stopped from here: stopping it
   * while its socket closes makes languageclient show its own error toast. The socket's close
   * ends it, through the `closed` handler above.
   */
  private onDisconnect(): void {
    if (this._state === 'stopped') return;
    this.client = null;
    this.connectionScope.clear();
    this.setState('stopped');
    this.watchHome();
  }

  /** Resolves when the connection is down, or after 10 s whatever happened (restart goes on). */
  private disconnected(): Promise<void> {
    if (this._state === 'stopped') return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      };
      const timer = setTimeout(done, 10_000);
      const sub = this.onDidChangeState((s) => s === 'stopped' && done());
    });
  }

  /** A new daemon.json means a daemon started: join it. No polling. */
  private watchHome(): void {
    if (this.homeWatcher) return;
    fs.mkdirSync(this.home, { recursive: true, mode: 0o700 });
    this.homeWatcher = fs.watch(this.home, (_event, name) => {
      if (name !== 'daemon.json' || this._state !== 'stopped') return;
      clearTimeout(this.joinTimer);
      this.joinTimer = setTimeout(() => void this.connect(), 200);
    });
  }

  private stopWatchingHome(): void {
    clearTimeout(this.joinTimer);
    this.homeWatcher?.close();
    this.homeWatcher = null;
  }

  private async waitForDaemon(): Promise<void> {
    const up = await pollUntil(
      () => {
        const info = readDaemonFile(this.home);
        return info !== null && isAlive(info.pid) && fs.existsSync(info.socket);
      },
      { timeoutMs: START_TIMEOUT_MS, intervalMs: 100 },
    );
    if (up) return;
    throw new MlsnapError(
      'daemon-unavailable',
      `the daemon did not start within ${START_TIMEOUT_MS / 1000} s; see ${logFilePath(this.home)}`,
    );
  }

  dispose(): void {
    this.disposed = true;
    this.stopWatchingHome();
    this.connectionScope.dispose();
    const client = this.client;
    this.client = null;
    // Ends this window's connection only; the daemon keeps serving other windows.
    if (client) void client.stop(2000).catch(() => undefined);
    this.lifetime.dispose();
  }
}

function connectSocket(socketPath: string): Promise<StreamInfo> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    socket.once('connect', () => resolve({ reader: socket, writer: socket }));
    socket.once('error', reject);
  });
}
