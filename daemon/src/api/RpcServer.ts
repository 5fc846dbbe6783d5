import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createMessageConnection,
  ResponseError,
  SocketMessageReader,
  SocketMessageWriter,
  type CancellationToken,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import { asRecord } from '../../../shared/src/check';
import { MlsnapError } from '../../../shared/src/errors';
import {
  METHOD_NAMES,
  RPC_ERROR_CODE,
  rpcMethod,
  type DaemonNotifications,
  type NotificationName,
  type TransferProgress,
} from '../../../shared/src/protocol';
import { VERSION } from '../../../shared/src/version';
import type { Log } from '../Log';
import { translateError } from './translateError';
import { findPathLiterals, hoverMarkdown, lensTitle, resolveLiteral } from '../lsp/ModelPathReferences';
import type { DaemonService } from '../service/DaemonService';
import type { ProjectRegistry } from '../service/ProjectRegistry';

type Disposer = () => void;

interface TextDocumentItem {
  uri: string;
  text: string;
}

/**
 * The editor's endpoint: JSON-RPC with LSP framing on a Unix socket in the 0700 daemon home
 * (the file system is the access check). Each VS Code window is one connection; closing it
 * (or its LSP `exit`) ends that connection only, never the daemon. Daemon methods are the
 * same handlers the HTTP API uses; LSP requests give code lenses and hovers on model paths.
 */
export class RpcServer {
  private server: net.Server | null = null;
  private readonly connections = new Set<Connection>();

  constructor(
    private readonly socketPath: string,
    private readonly service: DaemonService,
    private readonly registry: ProjectRegistry,
    private readonly log: Log,
  ) {}

  async listen(): Promise<void> {
    // A socket file left by a crashed daemon would make listen fail with EADDRINUSE.
    fs.rmSync(this.socketPath, { force: true });
    const server = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve());
    });
    fs.chmodSync(this.socketPath, 0o600);
    this.server = server;
  }

  /** Tell every editor the daemon is stopping, then close every connection and the socket. */
  async close(reason: string): Promise<void> {
    // Wait until each notice is written, so windows hear it before the socket closes.
    await Promise.allSettled([...this.connections].map((c) => c.notifyAndWait('mlsnap/willStop', { reason })));
    // A client handles queued messages after the socket's close event; give it a moment to
    // read the notice before the connection goes.
    if (this.connections.size > 0) await new Promise((r) => setTimeout(r, 100));
    for (const c of [...this.connections]) c.dispose();
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    fs.rmSync(this.socketPath, { force: true });
  }

  broadcast<N extends NotificationName>(name: N, params: DaemonNotifications[N]): void {
    for (const c of this.connections) c.notify(name, params);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  private accept(socket: net.Socket): void {
    const conn = new Connection(socket, this.service, this.registry, this.log, () => this.connections.delete(conn));
    this.connections.add(conn);
  }
}

/** One editor window: its own documents and its own disposables. */
class Connection {
  private readonly rpc: MessageConnection;
  private readonly documents = new Map<string, string>();
  private readonly disposers: Disposer[] = [];
  private disposed = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly service: DaemonService,
    private readonly registry: ProjectRegistry,
    private readonly log: Log,
    private readonly onDispose: () => void,
  ) {
    this.rpc = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    this.registerLifecycle();
    this.registerDaemonMethods();
    this.registerDocuments();
    this.registerLanguageFeatures();
    this.disposers.push(
      registry.onDidRecord((e) => this.notify('mlsnap/didRecord', e)),
      registry.onDidRun((e) => this.notify('mlsnap/didRun', e)),
      registry.onDidChangeProject((project) => this.notify('mlsnap/didChangeProject', { project })),
      service.onDidTag((e) => this.notify('mlsnap/didTag', e)),
      service.release.onDidMove((e) => this.notify('mlsnap/didMoveStage', e)),
    );
    this.rpc.onClose(() => this.dispose());
    this.rpc.onError(([e]) => this.log.debug(`editor connection error: ${e.message}`));
    socket.on('error', () => this.dispose());
    this.rpc.listen();
  }

  notify<N extends NotificationName>(name: N, params: DaemonNotifications[N]): void {
    void this.notifyAndWait(name, params);
  }

  async notifyAndWait<N extends NotificationName>(name: N, params: DaemonNotifications[N]): Promise<void> {
    if (this.disposed) return;
    await this.rpc.sendNotification(name, params).catch(() => this.dispose());
  }

  private registerLifecycle(): void {
    this.rpc.onRequest('initialize', () => ({
      capabilities: {
        textDocumentSync: 1, // full: documents are small and this keeps the daemon simple
        codeLensProvider: { resolveProvider: false },
        hoverProvider: true,
      },
      serverInfo: { name: 'mlsnapd', version: VERSION },
    }));
    this.rpc.onNotification('initialized', () => undefined);
    this.rpc.onRequest('shutdown', () => null);
    // LSP's exit would end a language server's process; here it ends this window's connection.
    this.rpc.onNotification('exit', () => this.dispose());
  }

  private registerDaemonMethods(): void {
    for (const m of METHOD_NAMES) {
      this.rpc.onRequest(rpcMethod(m), async (params: unknown, token: CancellationToken) => {
        // The editor's Cancel button cancels the request; the call sees it as an abort.
        const abort = new AbortController();
        const cancel = token.onCancellationRequested(() =>
          abort.abort(new MlsnapError('conflict', `${m} was cancelled in the editor`)),
        );
        const progressToken = asRecord(params)?.['progressToken'];
        const progress =
          typeof progressToken === 'string'
            ? (p: TransferProgress) => this.notify('mlsnap/didProgress', { token: progressToken, progress: p })
            : undefined;
        try {
          return await this.service.call(m, params ?? {}, { signal: abort.signal, ...(progress ? { progress } : {}) });
        } catch (e) {
          const err = translateError(e, m, this.log);
          throw new ResponseError(RPC_ERROR_CODE, err.message, err.toPayload());
        } finally {
          cancel.dispose();
        }
      });
    }
  }

  private registerDocuments(): void {
    this.rpc.onNotification('textDocument/didOpen', (p: { textDocument: TextDocumentItem }) => {
      this.documents.set(p.textDocument.uri, p.textDocument.text);
    });
    this.rpc.onNotification(
      'textDocument/didChange',
      (p: { textDocument: { uri: string }; contentChanges: { text: string }[] }) => {
        const last = p.contentChanges[p.contentChanges.length - 1];
        if (last) this.documents.set(p.textDocument.uri, last.text);
      },
    );
    this.rpc.onNotification('textDocument/didClose', (p: { textDocument: { uri: string } }) => {
      this.documents.delete(p.textDocument.uri);
    });
  }

  private registerLanguageFeatures(): void {
    this.rpc.onRequest('textDocument/codeLens', async (p: { textDocument: { uri: string } }) => {
      const refs = await this.references(p.textDocument.uri);
      return refs.map((r) => ({
        range: range(r.line, r.startChar, r.endChar),
        command: {
          title: lensTitle(r.rel, r.count, r.latest),
          command: 'mlsnap.showHistoryOfPath',
          arguments: [r.root, r.rel],
        },
      }));
    });
    this.rpc.onRequest(
      'textDocument/hover',
      async (p: { textDocument: { uri: string }; position: { line: number; character: number } }) => {
        const refs = await this.references(p.textDocument.uri);
        const hit = refs.find(
          (r) => r.line === p.position.line && p.position.character >= r.startChar && p.position.character <= r.endChar,
        );
        if (!hit) return null;
        const project = await this.registry.get(hit.root);
        const env = hit.latest.environmentId === null ? null : project.store.environment(hit.latest.environmentId);
        return {
          contents: {
            kind: 'markdown',
            value: hoverMarkdown(hit.latest, hit.count, env?.interpreter?.executable ?? null),
          },
          range: range(hit.line, hit.startChar, hit.endChar),
        };
      },
    );
  }

  /** Tracked files named by string literals in a document, with their history. */
  private async references(uri: string) {
    const text = this.documents.get(uri);
    const docPath = documentPath(uri);
    if (text === undefined || docPath === null) return [];
    const project = this.registry.all().find((p) => p.pathsRelative(docPath) !== null);
    if (!project) return [];
    const out = [];
    for (const lit of findPathLiterals(text)) {
      const rel = resolveLiteral(lit.text, docPath, project.root);
      const latest = rel === null ? null : project.store.latestVersion(rel);
      if (rel === null || latest === null) continue;
      out.push({ ...lit, rel, latest, count: latest.seq, root: project.root });
    }
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const d of this.disposers.splice(0)) d();
    this.documents.clear();
    this.rpc.dispose();
    // end() flushes what is queued before closing; destroy() if the peer never reads it.
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.onDispose();
  }
}

function range(line: number, start: number, end: number) {
  return { start: { line, character: start }, end: { line, character: end } };
}

/** The file a document URI lives in: `file:` documents and notebook cells (their notebook). */
export function documentPath(uri: string): string | null {
  try {
    const u = new URL(uri);
    if (u.protocol === 'file:') return fileURLToPath(u);
    if (u.protocol === 'vscode-notebook-cell:') return path.normalize(decodeURIComponent(u.pathname));
  } catch {
    return null;
  }
  return null;
}
