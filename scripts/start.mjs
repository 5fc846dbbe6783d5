// `npm start`: build, package the extension, and open a real VS Code with it on examples/demo.
// - desktop VS Code (`code --extensionDevelopmentPath`) when `code` is on PATH;
// - otherwise code-server, installed on first use into .cache/ by scripts/code-server.mjs,
//   serving http://127.0.0.1:PORT (PORT defaults to 8080) — open the printed URL.
// The extension starts the mlsnap daemon itself. Ctrl-C stops code-server (the daemon stays,
// one per user; `bin/mlsnap daemon stop` stops it).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCodeServer } from './code-server.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const demo = path.join(repo, 'examples', 'demo');
const vsix = path.join(repo, 'dist', 'mlsnap.vsix');

const pkg = spawnSync(process.execPath, [path.join(repo, 'scripts', 'package.mjs'), vsix], {
  cwd: repo,
  stdio: 'inherit',
});
if (pkg.status !== 0) process.exit(pkg.status ?? 1);

if (spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0) {
  console.log('mlsnap: opening desktop VS Code on examples/demo with the extension from this folder');
  const r = spawnSync('code', ['--extensionDevelopmentPath', repo, demo], { stdio: 'inherit' });
  process.exit(r.status ?? 0);
}

const bin = await ensureCodeServer();
const state = path.join(repo, '.cache', 'start');
const extensionsDir = path.join(state, 'extensions');
const userData = path.join(state, 'user-data');
fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
fs.writeFileSync(
  path.join(userData, 'User', 'settings.json'),
  JSON.stringify(
    { 'security.workspace.trust.enabled': false, 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off' },
    null,
    2,
  ),
);
const install = spawnSync(
  process.execPath,
  [bin, '--extensions-dir', extensionsDir, '--user-data-dir', userData, '--install-extension', vsix, '--force'],
  { stdio: 'inherit' },
);
if (install.status !== 0) process.exit(install.status ?? 1);

const port = await freePort(Number(process.env.PORT ?? 8080));
const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(demo)}`;
const server = spawn(
  process.execPath,
  [
    bin,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--user-data-dir',
    userData,
    '--extensions-dir',
    extensionsDir,
    demo,
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
console.log(
  `\nmlsnap: VS Code (code-server) with the mlsnap extension on examples/demo:\n\n    ${url}\n\nOpen it in a browser; the "mlsnap" activity bar item shows the history. Ctrl-C stops.\n`,
);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.kill('SIGTERM'));
server.on('exit', (code) => process.exit(code ?? 0));

/** `wanted` when it is free, else any free port. */
function freePort(wanted) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => {
      const any = net.createServer();
      any.listen(0, '127.0.0.1', () => {
        const p = any.address().port;
        any.close(() => resolve(p));
      });
    });
    s.listen(wanted, '127.0.0.1', () => s.close(() => resolve(wanted)));
  });
}
