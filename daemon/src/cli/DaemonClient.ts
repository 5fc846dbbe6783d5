import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { isErrorPayload, MlsnapError } from '../../../shared/src/errors';
import {
  API_PREFIX,
  CONTENT_ROUTE,
  NDJSON,
  TOKEN_HEADER,
  type DaemonFile,
  type LongCallLine,
  type TransferProgress,
  type MethodName,
  type ParamsOf,
  type ResultOf,
} from '../../../shared/src/protocol';
import { DAEMON_NODE_FLAGS } from '../../../shared/src/daemonProcess';
import { pollUntil } from '../../../shared/src/pollUntil';
import { ensureHome, isAlive, logFilePath, readDaemonFile } from '../DaemonHome';

/** How long `ensureRunning` waits for a freshly spawned daemon to answer. */
const START_TIMEOUT_MS = 15_000;

/** The CLI's side of the HTTP API. Every call is typed by the protocol module. */
export class DaemonClient {
  constructor(private readonly info: DaemonFile) {}

  get pid(): number {
    return this.info.pid;
  }

  private url(route: string): string {
    return `http://${this.info.host}:${this.info.port}${route}`;
  }

  async call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    const res = await this.post(method, params, {});
    const body: unknown = await res.json().catch(() => null);
    if (res.ok) return body as ResultOf<M>;
    throw refusal(body, res.status, method);
  }

  /** POST a method's params; a daemon that does not answer is `daemon-unavailable`. */
  private post(method: MethodName, params: unknown, headers: Record<string, string>): Promise<Response> {
    return this.fetch(`${API_PREFIX}${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers, [TOKEN_HEADER]: this.info.token },
      body: JSON.stringify(params),
    });
  }

  private async fetch(route: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(this.url(route), init);
    } catch (e) {
      throw new MlsnapError(
        'daemon-unavailable',
        `the daemon at ${this.info.host}:${this.info.port} did not answer (${(e as Error).message})`,
      );
    }
  }

  /**
   * A long call (push, pull, clone, remote check): progress lines as they come, then its
   * result or its typed error (see HttpServer.dispatchStreaming). Interrupting the CLI closes
   * the connection, which cancels the call in the daemon.
   */
  async callLong<M extends MethodName>(
    method: M,
    params: ParamsOf<M>,
    onProgress: (p: TransferProgress) => void,
  ): Promise<ResultOf<M>> {
    const res = await this.post(method, params, { accept: NDJSON });
    if (!res.ok || res.body === null) throw refusal(await res.json().catch(() => null), res.status, method);
    for await (const line of ndjsonLines(res.body)) {
      if ('progress' in line) onProgress(line.progress);
      else if ('result' in line) return line.result as ResultOf<M>;
      else throw MlsnapError.fromPayload(line.error);
    }
    throw new MlsnapError('daemon-unavailable', `the daemon stopped before ${method} finished; see its log`);
  }

  /**
   * A version's bytes as a Node stream. The daemon checks them as it sends them and, when they
   * fail after the headers went out, destroys the connection (see HttpServer.content): the
   * stream then ends with a ContentCutShort, never as if complete. Counting against
   * Content-Length makes that hold whatever the fetch implementation does with a short body.
   */
  async content(root: string, ref: string): Promise<Readable> {
    const q = new URLSearchParams({ root, ref });
    const res = await this.fetch(`${CONTENT_ROUTE}?${q.toString()}`, { headers: { [TOKEN_HEADER]: this.info.token } });
    if (!res.ok) throw refusal(await res.json().catch(() => null), res.status);
    if (!res.body) throw new MlsnapError('internal', 'empty response');
    const length = Number(res.headers.get('content-length') ?? NaN);
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    return Readable.from(counted(body, ref, length), { objectMode: false });
  }

  /** The running daemon, or null when none answers. */
  static async connect(home: string): Promise<DaemonClient | null> {
    const info = readDaemonFile(home);
    if (!info || !isAlive(info.pid)) return null;
    const client = new DaemonClient(info);
    try {
      await client.call('daemon/status', {});
      return client;
    } catch (e) {
      // A daemon that answers but refuses us will refuse a second start too (it holds the
      // lock): say so at once instead of waiting for one that cannot start.
      if (e instanceof MlsnapError && (e.kind === 'unauthorized' || e.kind === 'forbidden'))
        throw refused(home, info, e);
      return null;
    }
  }

  /** Connect, starting the daemon in the background when none is running. */
  static async ensureRunning(home: string, daemonScript: string): Promise<DaemonClient> {
    const running = await DaemonClient.connect(home);
    if (running) return running;
    spawnDaemon(home, daemonScript);
    const started = await pollUntil(() => DaemonClient.connect(home), { timeoutMs: START_TIMEOUT_MS, intervalMs: 100 });
    if (started) return started;
    throw new MlsnapError(
      'daemon-unavailable',
      `the daemon did not start within ${START_TIMEOUT_MS / 1000} s; see ${logFilePath(home)}`,
      logFilePath(home),
    );
  }
}

/** A non-2xx answer: its typed error when it sent one. */
function refusal(body: unknown, status: number, method?: MethodName): MlsnapError {
  if (isErrorPayload(body)) return MlsnapError.fromPayload(body);
  return new MlsnapError('internal', `the daemon answered ${status}${method ? ` to ${method}` : ''}`);
}

async function* ndjsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<LongCallLine> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line !== '') yield JSON.parse(line) as LongCallLine;
    }
  }
  if (buffered.trim() !== '') yield JSON.parse(buffered) as LongCallLine;
}

/** A content response that ended before its Content-Length: the daemon refused the rest. */
export class ContentCutShort extends MlsnapError {
  constructor(
    readonly ref: string,
    readonly received: number,
    detail: string,
  ) {
    super('io', `the daemon stopped sending ${ref} after ${received} bytes (${detail})`);
  }
}

/** The body's bytes; a short or broken one ends with ContentCutShort. */
async function* counted(body: Readable, ref: string, length: number): AsyncGenerator<Buffer> {
  let received = 0;
  try {
    for await (const chunk of body) {
      received += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  } catch (e) {
    throw new ContentCutShort(ref, received, (e as Error).message);
  }
  if (Number.isFinite(length) && received !== length)
    throw new ContentCutShort(ref, received, `${length} were announced`);
}

function refused(home: string, info: DaemonFile, e: MlsnapError): MlsnapError {
  return new MlsnapError(
    e.kind,
    `the daemon (pid ${info.pid}, ${info.host}:${info.port}) refused this request: ${e.message}. ` +
      `${path.join(home, 'daemon.json')} may be stale or from another daemon; restart it with \`kill ${info.pid}\` and run the command again`,
  );
}

/** Start `node daemon.js` detached, its output appended to `<home>/daemon.log`. */
export function spawnDaemon(home: string, daemonScript: string): number {
  if (!fs.existsSync(daemonScript)) {
    throw new MlsnapError(
      'daemon-unavailable',
      `${daemonScript} is missing; run \`npm run build\` in the mlsnap folder`,
      daemonScript,
    );
  }
  ensureHome(home);
  const logFd = fs.openSync(logFilePath(home), 'a', 0o600);
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, daemonScript], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, MLSNAP_HOME: home },
    cwd: path.dirname(daemonScript),
  });
  child.unref();
  fs.closeSync(logFd);
  return child.pid ?? -1;
}
