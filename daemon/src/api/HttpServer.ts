import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { HTTP_STATUS, MlsnapError, type ErrorPayload } from '../../../shared/src/errors';
import {
  API_PREFIX,
  CONTENT_ROUTE,
  isMethodName,
  METHODS,
  NDJSON,
  TOKEN_HEADER,
  type LongCallLine,
  type MethodName,
} from '../../../shared/src/protocol';
import type { Log } from '../Log';
import type { DaemonService } from '../service/DaemonService';
import { translateError } from './translateError';

/** Host header values that are loopback literals: anything else may be DNS rebinding. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The HTTP API on 127.0.0.1. Checks run before any route, in this order: Host (DNS
 * rebinding), Origin (browsers), token (constant-time). No CORS headers are ever sent, so a
 * page in a browser can neither read answers nor pass a preflight.
 */
export class HttpServer {
  private server: Server | null = null;

  constructor(
    private readonly service: DaemonService,
    private readonly token: string,
    private readonly log: Log,
    private readonly allowedOrigins: ReadonlySet<string> = new Set(),
  ) {}

  async listen(port = 0): Promise<{ host: string; port: number }> {
    const app = this.buildApp();
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(port, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    this.server = server;
    const addr = server.address() as AddressInfo;
    return { host: addr.address, port: addr.port };
  }

  /** The port listened on, or null before listen(). */
  private port(): number | null {
    const addr = this.server?.address();
    return typeof addr === 'object' && addr !== null ? addr.port : null;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private buildApp(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.set('etag', false);
    app.use((req, res, next) => this.guard(req, res, next));
    app.use(express.json({ limit: '1mb', type: 'application/json' }));
    app.post(`${API_PREFIX}*method`, (req, res) => void this.dispatch(req, res));
    app.get(CONTENT_ROUTE, (req, res) => void this.content(req, res));
    app.use((_req: Request, res: Response) => sendError(res, new MlsnapError('not-found', 'no such route')));
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const e = err as { type?: string; status?: number; message?: string };
      // body-parser errors carry a status; they are the client's fault and safe to describe.
      if (e.status !== undefined && e.status < 500)
        return sendError(res, new MlsnapError('bad-request', `request body: ${e.message ?? 'invalid'}`));
      this.log.error('HTTP request failed', err);
      return sendError(res, new MlsnapError('internal', 'internal error; see the daemon log'));
    });
    return app;
  }

  private guard(req: Request, res: Response, next: NextFunction): void {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    const host = hostOf(req.headers.host);
    if (host === null || !LOOPBACK_HOSTS.has(host.name)) {
      return sendError(res, new MlsnapError('forbidden', 'Host must be 127.0.0.1, localhost or [::1]'));
    }
    // The port too: another local service's page rebinding to us would name its own port.
    const port = this.port();
    if (port !== null && host.port !== port) {
      return sendError(res, new MlsnapError('forbidden', `Host must name this daemon's port, ${port}`));
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.allowedOrigins.has(origin)) {
      return sendError(res, new MlsnapError('forbidden', 'requests from web pages are refused'));
    }
    if (!this.tokenMatches(req.headers[TOKEN_HEADER])) {
      return sendError(
        res,
        new MlsnapError('unauthorized', `missing or wrong ${TOKEN_HEADER} header; read the token from daemon.json`),
      );
    }
    if (req.method === 'POST' && !req.is('application/json')) {
      return sendError(res, new MlsnapError('bad-request', 'POST bodies must be application/json'));
    }
    next();
  }

  private tokenMatches(given: string | string[] | undefined): boolean {
    if (typeof given !== 'string') return false;
    const a = Buffer.from(given);
    const b = Buffer.from(this.token);
    // Compare lengths first: timingSafeEqual needs equal lengths; the length is not secret.
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private async dispatch(req: Request, res: Response): Promise<void> {
    // Method names contain a slash ("project/init"): the wildcard gives their segments.
    const segments: unknown = (req.params as Record<string, unknown>)['method'];
    const name = Array.isArray(segments) ? segments.join('/') : String(segments);
    if (!isMethodName(name)) {
      return sendError(res, new MlsnapError('not-found', `unknown method ${String(name)}`));
    }
    const params: unknown = req.body ?? {};
    // A long call stops when its caller goes away (a CLI interrupted with Ctrl-C).
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished)
        abort.abort(new MlsnapError('conflict', `${name} was cancelled: the caller went away`));
    });
    if (METHODS[name].long === true && (req.headers.accept ?? '').includes(NDJSON)) {
      return this.dispatchStreaming(res, name, params, abort.signal);
    }
    try {
      const result = await this.service.call(name, params, { signal: abort.signal });
      res.status(200).json(result);
    } catch (e) {
      this.fail(res, name, e);
    }
  }

  /**
   * A long call asked for NDJSON: progress lines as it goes, then one result or error line.
   * The status is 200 from the first line on; the error line carries the typed error.
   */
  private async dispatchStreaming(
    res: Response,
    name: MethodName,
    params: unknown,
    signal: AbortSignal,
  ): Promise<void> {
    res.status(200).setHeader('Content-Type', NDJSON);
    const line = (l: LongCallLine): void => {
      if (!res.writableEnded) res.write(`${JSON.stringify(l)}\n`);
    };
    res.flushHeaders();
    try {
      const result = await this.service.call(name, params, { signal, progress: (progress) => line({ progress }) });
      line({ result });
    } catch (e) {
      line({ error: translateError(e, name, this.log).toPayload() });
    }
    res.end();
  }

  /**
   * GET /content streams a version's verified bytes (ContentStore.openVerified). Headers wait
   * for the first checked chunk, so a blob that fails before it (a raw blob of the wrong
   * length, zstd that does not decode, any blob up to VERIFY_FIRST_BYTES, checked whole first)
   * is answered with its typed error. A failure after the headers went out cannot change the
   * status: the connection is destroyed instead, so the body ends short of its Content-Length,
   * which every HTTP client reports as an error (the CLI says `io`, exit 8). The verifying
   * stream holds its last chunk back until the check passed, so a corrupt blob never arrives
   * complete.
   */
  private async content(req: Request, res: Response): Promise<void> {
    const { root, ref } = req.query;
    if (typeof root !== 'string' || typeof ref !== 'string') {
      return sendError(res, new MlsnapError('bad-request', 'content needs ?root=...&ref=...'));
    }
    let body: Readable;
    let size: number;
    try {
      const content = await this.service.content(root, ref);
      size = content.size;
      body = await startedStream(content.stream);
    } catch (e) {
      return this.fail(res, 'content', e);
    }
    res.status(200).setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(size));
    // pipeline: a client that disconnects mid-download closes the blob file too.
    pipeline(body, res).catch((e: unknown) => {
      res.destroy();
      if ((e as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE')
        this.log.error(`reading ${ref} failed`, e);
    });
  }

  private fail(res: Response, what: MethodName | 'content', e: unknown): void {
    sendError(res, translateError(e, what, this.log));
  }
}

function sendError(res: Response, e: MlsnapError): void {
  const body: ErrorPayload = e.toPayload();
  res.status(HTTP_STATUS[e.kind]).json(body);
}

/**
 * The same bytes as `stream`, once its first chunk (or its end) has come: a failure before
 * any byte is thrown here, while an answer can still say what went wrong.
 */
async function startedStream(stream: Readable): Promise<Readable> {
  const chunks: AsyncIterator<Buffer> = stream[Symbol.asyncIterator]();
  const first = await chunks.next();
  async function* all(): AsyncGenerator<Buffer> {
    for (let r = first; r.done !== true; r = await chunks.next()) yield r.value;
  }
  const out = Readable.from(all(), { objectMode: false });
  // A reader that goes away before the first read never starts all(): close the blob here.
  out.once('close', () => stream.destroy());
  return out;
}

/** The host and port of a Host header (no port: 80, as HTTP says), or null when it is malformed. */
export function hostOf(header: string | undefined): { name: string; port: number } | null {
  if (header === undefined) return null;
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::([0-9]{1,5}))?$/.exec(header.trim());
  if (!m) return null;
  return { name: (m[1] as string).toLowerCase(), port: m[2] === undefined ? 80 : Number(m[2]) };
}
