import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { Log } from '../../daemon/src/Log';
import { startDaemon, type RunningDaemon } from '../../daemon/src/main';
import { METHOD_NAMES, TOKEN_HEADER } from '../../shared/src/protocol';
import { tempDir } from '../support/tmp';

let daemon: RunningDaemon;
let projectRoot: string;

before(async () => {
  const home = tempDir('api-home');
  projectRoot = tempDir('api-project');
  daemon = await startDaemon({ home, log: new Log('test', 'error') });
});

after(async () => {
  await daemon.stop();
});

function request(opts: {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: daemon.port,
        path: opts.path,
        method: opts.method ?? 'POST',
        headers: opts.headers ?? {},
        setHost: !(opts.headers && 'host' in opts.headers),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const json = { 'content-type': 'application/json' };

test('daemon.json is written with mode 0600 and holds a 256-bit token', () => {
  const file = path.join(daemon.home, 'daemon.json');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const info = JSON.parse(fs.readFileSync(file, 'utf8')) as { token: string; host: string };
  assert.equal(info.host, '127.0.0.1');
  assert.ok(Buffer.from(info.token, 'base64url').length >= 32);
});

test('a correct request works and sends no CORS headers', async () => {
  const r = await request({
    path: '/api/daemon/status',
    headers: { ...json, [TOKEN_HEADER]: daemon.token },
    body: '{}',
  });
  assert.equal(r.status, 200, r.body);
  assert.equal(JSON.parse(r.body).pid, process.pid);
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.ok(!Object.keys(r.headers).some((h) => h.startsWith('access-control-')), JSON.stringify(r.headers));
});

for (const method of METHOD_NAMES) {
  test(`${method}: refused without a token, with a wrong token, with the token in the query`, async () => {
    const wrong = 'A'.repeat(daemon.token.length);
    const cases = [
      { path: `/api/${method}`, headers: json },
      { path: `/api/${method}`, headers: { ...json, [TOKEN_HEADER]: wrong } },
      { path: `/api/${method}?token=${daemon.token}`, headers: json },
    ];
    for (const c of cases) {
      const r = await request({ ...c, body: JSON.stringify({ root: projectRoot }) });
      assert.equal(r.status, 401, `${c.path} ${JSON.stringify(c.headers)} → ${r.status}`);
      assert.equal(JSON.parse(r.body).kind, 'unauthorized');
    }
  });
}

test('a foreign Host (DNS rebinding) is refused even with the right token', async () => {
  const other = daemon.port === 65535 ? 65534 : daemon.port + 1;
  for (const host of [
    'evil.example.com',
    `evil.example.com:${daemon.port}`,
    '127.0.0.1.evil.com',
    '10.0.0.1',
    // Loopback names with another port (a page of another local service, rebound) or none (80).
    `localhost:${other}`,
    `127.0.0.1:${other}`,
    '127.0.0.1',
    'localhost',
  ]) {
    const r = await request({
      path: '/api/daemon/status',
      headers: { ...json, host, [TOKEN_HEADER]: daemon.token },
      body: '{}',
    });
    assert.equal(r.status, 403, host);
    assert.equal(JSON.parse(r.body).kind, 'forbidden');
  }
  for (const host of [`localhost:${daemon.port}`, `[::1]:${daemon.port}`, `127.0.0.1:${daemon.port}`]) {
    const r = await request({
      path: '/api/daemon/status',
      headers: { ...json, host, [TOKEN_HEADER]: daemon.token },
      body: '{}',
    });
    assert.equal(r.status, 200, host);
  }
});

test('a malformed Host is refused, and the daemon keeps serving', async () => {
  const r = await request({
    path: '/api/daemon/status',
    headers: { ...json, host: 'a b/c', [TOKEN_HEADER]: daemon.token },
    body: '{}',
  });
  assert.ok(r.status === 400 || r.status === 403, String(r.status));
  const ok = await request({
    path: '/api/daemon/status',
    headers: { ...json, [TOKEN_HEADER]: daemon.token },
    body: '{}',
  });
  assert.equal(ok.status, 200);
});

test('any Origin is refused (browsers), even with the right token', async () => {
  for (const origin of ['http://evil.example.com', 'http://127.0.0.1:8080', 'null']) {
    const r = await request({
      path: '/api/daemon/status',
      headers: { ...json, origin, [TOKEN_HEADER]: daemon.token },
      body: '{}',
    });
    assert.equal(r.status, 403, origin);
  }
  const pre = await request({
    path: '/api/daemon/status',
    method: 'OPTIONS',
    headers: { origin: 'http://evil.example.com', 'access-control-request-method': 'POST' },
  });
  assert.equal(pre.status, 403);
  assert.equal(pre.headers['access-control-allow-origin'], undefined);
});

test('POST bodies must be JSON: a form post (no preflight in browsers) is refused', async () => {
  const r = await request({
    path: '/api/daemon/status',
    headers: { 'content-type': 'text/plain', [TOKEN_HEADER]: daemon.token },
    body: '{}',
  });
  assert.equal(r.status, 400);
});

test('errors are typed JSON, never a stack trace', async () => {
  const h = { ...json, [TOKEN_HEADER]: daemon.token };
  const bad = await request({ path: '/api/project/status', headers: h, body: '{not json' });
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body).kind, 'bad-request');
  const missing = await request({
    path: '/api/project/status',
    headers: h,
    body: JSON.stringify({ root: projectRoot }),
  });
  assert.equal(missing.status, 404);
  const e = JSON.parse(missing.body) as { kind: string; message: string; path?: string };
  assert.equal(e.kind, 'not-initialized');
  assert.match(e.message, /mlsnap init/);
  assert.equal(e.path, projectRoot);
  const unknown = await request({ path: '/api/no/such', headers: h, body: '{}' });
  assert.equal(unknown.status, 404);
  for (const body of [bad.body, missing.body, unknown.body]) assert.doesNotMatch(body, /at .*\.(ts|js):\d+/);
});

test('paths that escape the project are refused by the daemon itself, not only the CLI', async () => {
  const h = { ...json, [TOKEN_HEADER]: daemon.token };
  const init = await request({ path: '/api/project/init', headers: h, body: JSON.stringify({ root: projectRoot }) });
  assert.equal(init.status, 200, init.body);
  for (const p of ['a/../../etc/passwd', '../x.pt', '/etc/passwd', '.mlsnap/store.db', 'x\u0000.pt']) {
    const r = await request({
      path: '/api/snapshot/create',
      headers: h,
      body: JSON.stringify({ root: projectRoot, paths: [p] }),
    });
    assert.equal(r.status, 400, `${JSON.stringify(p)} → ${r.status} ${r.body}`);
  }
  const badTrigger = await request({
    path: '/api/snapshot/create',
    headers: h,
    body: JSON.stringify({ root: projectRoot, trigger: 'watch' }),
  });
  assert.equal(badTrigger.status, 400);
  const notArray = await request({
    path: '/api/snapshot/create',
    headers: h,
    body: JSON.stringify({ root: projectRoot, paths: 'x.pt' }),
  });
  assert.equal(notArray.status, 400);
});
