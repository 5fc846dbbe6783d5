import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMessageConnection, SocketMessageReader, SocketMessageWriter, ResponseError } from 'vscode-jsonrpc/node';
import { MlsnapError } from '../../../shared/src/errors';
import { rpcMethod } from '../../../shared/src/protocol';
import { Log } from '../Log';
import type { DaemonService } from '../service/DaemonService';
import type { ProjectRegistry } from '../service/ProjectRegistry';
import { HttpServer } from './HttpServer';
import { RpcServer } from './RpcServer';
import { translateError } from './translateError';

function errno(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, path: '/p/.mlsnap/tmp/x' });
}

test('typed errors pass as they are; errno I/O failures become io; the rest internal without detail', () => {
  const lines: string[] = [];
  const log = new Log('t', 'debug', (l) => lines.push(l));
  const typed = new MlsnapError('not-found', 'no such ref', 'a.pt');
  assert.equal(translateError(typed, 'ref/show', log), typed);
  const full = translateError(errno('ENOSPC', 'ENOSPC: no space left on device, write'), 'snapshot/create', log);
  assert.equal(full.kind, 'io');
  assert.match(full.message, /no space left/);
  assert.equal(full.path, '/p/.mlsnap/tmp/x');
  const bug = translateError(new TypeError('cannot read properties of undefined (secret detail)'), 'ref/show', log);
  assert.equal(bug.kind, 'internal');
  assert.doesNotMatch(bug.message, /secret detail/);
  assert.ok(
    lines.some((l) => l.includes('secret detail')),
    'the detail goes to the log',
  );
});

/** A service whose one method fails the way a full disk does. */
function failingService(): DaemonService {
  const fail = async (): Promise<never> => {
    throw errno('ENOSPC', 'ENOSPC: no space left on device, write');
  };
  return {
    call: fail,
    content: fail,
    onDidTag: () => () => undefined,
    release: { onDidMove: () => () => undefined },
  } as unknown as DaemonService;
}

test('HTTP and JSON-RPC translate the same failure to the same typed error', async () => {
  const log = new Log('t', 'error', () => undefined);
  const service = failingService();
  const http = new HttpServer(service, 'tok', log);
  const { port } = await http.listen(0);
  const res = await fetch(`http://127.0.0.1:${port}/api/store/check`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-mlsnap-token': 'tok' },
    body: '{"root":"/p"}',
  });
  const viaHttp = (await res.json()) as { kind: string; message: string };
  await http.close();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlsnap-rpc-'));
  const registry = {
    onDidRecord: () => () => undefined,
    onDidRun: () => () => undefined,
    onDidChangeProject: () => () => undefined,
    all: () => [],
  } as unknown as ProjectRegistry;
  const rpc = new RpcServer(path.join(dir, 'd.sock'), service, registry, log);
  await rpc.listen();
  const socket = net.connect(path.join(dir, 'd.sock'));
  const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
  conn.listen();
  let viaRpc: { kind: string; message: string } | undefined;
  try {
    await conn.sendRequest(rpcMethod('store/check'), { root: '/p' });
  } catch (e) {
    viaRpc = (e as ResponseError<{ kind: string; message: string }>).data;
  }
  conn.dispose();
  socket.destroy();
  await rpc.close('test over');
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(viaHttp.kind, 'io');
  assert.deepEqual(viaRpc, viaHttp);
});
