import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  SocketMessageReader,
  SocketMessageWriter,
  type MessageConnection,
  ResponseError,
} from 'vscode-jsonrpc/node';
import { Log } from '../../daemon/src/Log';
import { startDaemon, type RunningDaemon } from '../../daemon/src/main';
import type { ProjectInfo, SnapshotInfo } from '../../shared/src/domain';
import { rpcMethod, RPC_ERROR_CODE, type DaemonFile } from '../../shared/src/protocol';
import { tempDir, waitFor } from '../support/tmp';

let daemon: RunningDaemon;
let root: string;

before(async () => {
  daemon = await startDaemon({ home: tempDir('rpc-home'), log: new Log('test', 'error') });
  root = tempDir('rpc-project');
});
after(async () => {
  await daemon.stop();
});

async function connect(): Promise<MessageConnection> {
  const info = JSON.parse(fs.readFileSync(path.join(daemon.home, 'daemon.json'), 'utf8')) as DaemonFile;
  const socket = net.createConnection(info.socket);
  await new Promise((r) => socket.once('connect', r));
  const c = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
  c.listen();
  const init = (await c.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} })) as {
    capabilities: { codeLensProvider?: unknown };
  };
  assert.ok(init.capabilities.codeLensProvider);
  await c.sendNotification('initialized', {});
  return c;
}

test('the socket is private to the user', () => {
  const info = JSON.parse(fs.readFileSync(path.join(daemon.home, 'daemon.json'), 'utf8')) as DaemonFile;
  assert.equal(fs.statSync(info.socket).mode & 0o777, 0o600);
  assert.equal(fs.statSync(daemon.home).mode & 0o777, 0o700);
});

test('two windows share the daemon; each gets notifications; one closing leaves the other', async () => {
  const a = await connect();
  const b = await connect();
  const info = (await a.sendRequest(rpcMethod('project/init'), { root })) as ProjectInfo;
  assert.equal(info.root, root);
  const seenByB: SnapshotInfo[] = [];
  b.onNotification('mlsnap/didRecord', (p: { root: string; snapshot: SnapshotInfo }) => seenByB.push(p.snapshot));
  const seenByA: SnapshotInfo[] = [];
  a.onNotification('mlsnap/didRecord', (p: { root: string; snapshot: SnapshotInfo }) => seenByA.push(p.snapshot));
  fs.writeFileSync(path.join(root, 'metrics.json'), '{"acc": 1}');
  await waitFor('B to hear of the version', () => seenByB.length > 0 || null);
  await waitFor('A to hear of the version', () => seenByA.length > 0 || null);

  // Window A closes the LSP way: shutdown, exit. The daemon and B carry on.
  await a.sendRequest('shutdown');
  await a.sendNotification('exit');
  await waitFor('the daemon to drop A', () => daemon.rpc.connectionCount === 1 || null);
  fs.writeFileSync(path.join(root, 'metrics.json'), '{"acc": 2}');
  await waitFor('B to hear of the second version', () => seenByB.length > 1 || null);
  const status = (await b.sendRequest(rpcMethod('daemon/status'), {})) as { pid: number };
  assert.equal(status.pid, process.pid);
  b.dispose();
});

test('errors arrive typed, with the payload in data', async () => {
  const c = await connect();
  await assert.rejects(c.sendRequest(rpcMethod('ref/show'), { root, ref: 'missing.pt@1' }), (e: unknown) => {
    assert.ok(e instanceof ResponseError);
    assert.equal(e.code, RPC_ERROR_CODE);
    assert.deepEqual((e.data as { kind: string }).kind, 'not-found');
    return true;
  });
  c.dispose();
});

test('a code lens and a hover name the versions of a model path written in code', async () => {
  const c = await connect();
  fs.mkdirSync(path.join(root, 'models'), { recursive: true });
  fs.writeFileSync(path.join(root, 'models', 'x.pt'), Buffer.alloc(1000, 1));
  await c.sendRequest(rpcMethod('snapshot/create'), { root, paths: ['models/x.pt'] });
  fs.writeFileSync(path.join(root, 'models', 'x.pt'), Buffer.alloc(1000, 2));
  await c.sendRequest(rpcMethod('snapshot/create'), { root, paths: ['models/x.pt'] });
  const uri = pathToFileURL(path.join(root, 'train.py')).toString();
  const text = 'import torch\ntorch.save(model, "models/x.pt")\ntorch.save(m, "models/never.pt")\n';
  await c.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text } });
  const lenses = (await c.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as {
    range: { start: { line: number } };
    command: { title: string };
  }[];
  assert.equal(lenses.length, 1, 'only tracked paths get a lens');
  assert.equal(lenses[0]?.range.start.line, 1);
  assert.match(lenses[0]?.command.title ?? '', /^models\/x\.pt · 2 versions · \d+ s ago$/);
  const hover = (await c.sendRequest('textDocument/hover', {
    textDocument: { uri },
    position: { line: 1, character: 22 },
  })) as { contents: { value: string } } | null;
  assert.ok(hover);
  assert.match(hover.contents.value, /version 2 of 2/);
  const none = await c.sendRequest('textDocument/hover', {
    textDocument: { uri },
    position: { line: 0, character: 2 },
  });
  assert.equal(none, null);
  // Notebook cells arrive with the notebook's path in their URI.
  const cellUri = `vscode-notebook-cell:${path.join(root, 'nb.ipynb')}#W0sZmlsZQ%3D%3D`;
  await c.sendNotification('textDocument/didOpen', {
    textDocument: { uri: cellUri, languageId: 'python', version: 1, text: 'torch.save(m, "models/x.pt")' },
  });
  const cellLenses = (await c.sendRequest('textDocument/codeLens', { textDocument: { uri: cellUri } })) as unknown[];
  assert.equal(cellLenses.length, 1);
  c.dispose();
});

test('stopping the daemon tells every window first', async () => {
  const c = await connect();
  let told = '';
  c.onNotification('mlsnap/willStop', (p: { reason: string }) => (told = p.reason));
  const closed = new Promise((r) => c.onClose(r));
  await daemon.stop();
  await closed;
  await waitFor('the willStop notice', () => told || null, 2000);
  assert.match(told, /stopping/);
});
