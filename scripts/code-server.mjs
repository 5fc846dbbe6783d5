// A real VS Code for the UI tests: code-server (VS Code's own server and web workbench, from
// npm) driven by playwright-core in Debian's Chromium. See shared/notes or the test harness in
// test/support/vscode.ts. Installed once into <repo>/.cache/code-server-<version>/ (ignored by
// git); a marker file is written only after every step succeeded and the native modules load,
// so a half-finished install is redone from scratch on the next run.
//
// Usage: node scripts/code-server.mjs install   (install if needed, print the bin path)
//        node scripts/code-server.mjs path      (print the bin path; exit 1 if not installed)
// Import: const bin = await ensureCodeServer();
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
export const CHROMIUM = '/usr/bin/chromium';
export const DEBIAN_PACKAGES = ['libkrb5-dev', 'ripgrep', 'chromium'];

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE_DIR = path.join(REPO, '.cache', `code-server-${CODE_SERVER_VERSION}`);
const MARKER = path.join(CACHE_DIR, '.installed.json');
const LOCK = `${CACHE_DIR}.lock`;
const PKG_DIR = path.join(CACHE_DIR, 'node_modules', 'code-server');
const VSCODE_DIR = path.join(PKG_DIR, 'lib', 'vscode');
/** The code-server launcher (a `#!/usr/bin/env node` script). */
export const CODE_SERVER_BIN = path.join(PKG_DIR, 'out', 'node', 'entry.js');

// Native modules of VS Code's server, rebuilt against this Node (install scripts were skipped).
const VSCODE_NATIVE = [
  'kerberos',
  'node-pty',
  '@parcel/watcher',
  '@vscode/spdlog',
  'native-watchdog',
  '@vscode/deviceid',
];

function log(msg) {
  console.log(`[code-server] ${msg}`);
}

function fail(msg) {
  const err = new Error(msg);
  err.codeServerInstall = true;
  throw err;
}

/** Run a command; returns the spawnSync result. `check` throws on a non-zero exit. */
function run(cmd, args, { cwd = CACHE_DIR, check = true, quiet = false, env } = {}) {
  const started = Date.now();
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: quiet ? 'pipe' : ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      npm_config_update_notifier: 'false',
      ...env,
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (check && r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    fail(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status ?? r.signal} after ${secs}s:\n${out}`);
  }
  if (!quiet) log(`  ${cmd} ${args.join(' ')}: ${r.status === 0 ? 'ok' : `exit ${r.status}`} (${secs}s)`);
  return r;
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function missingDebianPackages() {
  return DEBIAN_PACKAGES.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

/** Step 1: libkrb5-dev (kerberos builds against it), ripgrep (VS Code's search), chromium. */
export function ensureDebianPackages() {
  const missing = missingDebianPackages();
  if (missing.length === 0) return;
  const cmd = `apt-get install -y ${DEBIAN_PACKAGES.join(' ')}`;
  if (!isRoot() || spawnSync('which', ['apt-get'], { stdio: 'ignore' }).status !== 0) {
    fail(`the VS Code UI tests need Debian packages: ${missing.join(' ')}. Install them with:\n  sudo ${cmd}`);
  }
  log(`installing Debian packages (a minute or two): ${missing.join(' ')}`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  // Another process (another test run) may hold the dpkg lock: wait for it rather than fail.
  const lockWait = ['-o', 'DPkg::Lock::Timeout=600'];
  run('apt-get', ['update', '-qq', ...lockWait], { cwd: REPO, env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...lockWait, ...missing], { cwd: REPO, env });
  const still = missingDebianPackages();
  if (still.length) fail(`apt-get ran but these are still missing: ${still.join(' ')}; run: sudo ${cmd}`);
}

function readMarker() {
  try {
    return JSON.parse(fs.readFileSync(MARKER, 'utf8'));
  } catch {
    return null;
  }
}

/** Installed, complete, and built for this Node's ABI. */
export function isInstalled() {
  const m = readMarker();
  return (
    !!m && m.version === CODE_SERVER_VERSION && m.nodeAbi === process.versions.modules && fs.existsSync(CODE_SERVER_BIN)
  );
}

/** Require each native module in a fresh node; throws naming the ones that do not load. */
function verifyNativeModules() {
  const probe = (dir, mods) => {
    const script = `const bad=[];for (const m of ${JSON.stringify(mods)}) { try { require(m); } catch (e) { bad.push(m + ': ' + String(e && e.message || e).split('\\n')[0]); } } if (bad.length) { console.error(bad.join('\\n')); process.exit(1); }`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) fail(`native modules do not load in ${dir}:\n${r.stderr.trim()}`);
  };
  probe(VSCODE_DIR, VSCODE_NATIVE);
  // node-pty's post-install step fails (it wants to npx node-gyp for compile_commands.json)
  // after pty.node is built: prove the terminal works by running a command in a pty.
  const pty = spawnSync(
    process.execPath,
    [
      '-e',
      "const t=require('node-pty').spawn('/bin/echo',['pty-ok'],{});let o='';t.onData(d=>o+=d);t.onExit(()=>{console.log(o.trim());process.exit(o.includes('pty-ok')?0:1)})",
    ],
    { cwd: VSCODE_DIR, encoding: 'utf8', timeout: 20_000 },
  );
  if (pty.status !== 0) fail(`node-pty does not run a terminal: ${pty.stdout}${pty.stderr}`);
  probe(PKG_DIR, ['argon2']);
  const rg = path.join(VSCODE_DIR, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg');
  if (spawnSync(rg, ['--version'], { stdio: 'ignore' }).status !== 0) fail(`${rg} does not run`);
  // Its own XDG_CONFIG_HOME: code-server writes a default config.yaml there on every start.
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(CACHE_DIR, '.config'),
    XDG_DATA_HOME: path.join(CACHE_DIR, '.local'),
  };
  const v = spawnSync(process.execPath, [CODE_SERVER_BIN, '--version'], { encoding: 'utf8', timeout: 60_000, env });
  if (v.status !== 0 || !v.stdout.includes(CODE_SERVER_VERSION))
    fail(`code-server --version failed: ${v.stdout}${v.stderr}`);
  log(`  native modules load; ${v.stdout.trim().split('\n')[0]}`);
}

/** Steps 2-4 of the notes, from an empty folder. */
function installCodeServer() {
  const t0 = Date.now();
  log(`installing code-server ${CODE_SERVER_VERSION} into ${path.relative(REPO, CACHE_DIR)} (1-3 minutes)`);
  fs.rmSync(CACHE_DIR, { recursive: true, force: true });
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  // A package.json of its own, or npm would walk up and install into the repository itself.
  fs.writeFileSync(
    path.join(CACHE_DIR, 'package.json'),
    `${JSON.stringify({ name: 'mlsnap-code-server-cache', private: true }, null, 2)}\n`,
  );

  log('step 2/4: npm install code-server (scripts off)');
  run('npm', ['install', '--ignore-scripts', '--no-save', '--loglevel=error', `code-server@${CODE_SERVER_VERSION}`]);

  log('step 3/4: VS Code server dependencies, ripgrep link, native modules');
  run('npm', ['install', '--omit=dev', '--ignore-scripts', '--loglevel=error'], { cwd: VSCODE_DIR });
  // @vscode/ripgrep's install script downloads rg from GitHub: link Debian's instead.
  const rgDir = path.join(VSCODE_DIR, 'node_modules', '@vscode', 'ripgrep', 'bin');
  fs.mkdirSync(rgDir, { recursive: true });
  fs.rmSync(path.join(rgDir, 'rg'), { force: true });
  fs.symlinkSync('/usr/bin/rg', path.join(rgDir, 'rg'));
  // One at a time: node-pty's post-install step exits non-zero after pty.node is built (the
  // module works), and a failure must not hide the others'. The load check below decides.
  for (const mod of VSCODE_NATIVE) {
    const r = run('npm', ['rebuild', '--foreground-scripts=false', '--loglevel=error', mod], {
      cwd: VSCODE_DIR,
      check: false,
    });
    if (r.status !== 0 && mod !== 'node-pty') {
      fail(`npm rebuild ${mod} failed:\n${`${r.stdout}${r.stderr}`.trim().split('\n').slice(-30).join('\n')}`);
    }
  }
  const asar = path.join(VSCODE_DIR, 'node_modules.asar');
  fs.rmSync(asar, { recursive: true, force: true });
  fs.symlinkSync('node_modules', asar);

  log('step 4/4: npm rebuild argon2');
  run('npm', ['rebuild', '--loglevel=error', 'argon2']);

  verifyNativeModules();
  fs.writeFileSync(
    MARKER,
    `${JSON.stringify({ version: CODE_SERVER_VERSION, nodeAbi: process.versions.modules, node: process.version, installedAt: new Date().toISOString(), seconds: Math.round((Date.now() - t0) / 1000) }, null, 2)}\n`,
  );
  log(`installed in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Take the install lock (a directory, created atomically) so that parallel test processes do
 * not install over each other; a lock left by a dead process is taken over.
 */
async function withLock(fn) {
  fs.mkdirSync(path.dirname(LOCK), { recursive: true });
  let waited = false;
  const giveUp = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      fs.writeFileSync(path.join(LOCK, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let pid = Number.NaN;
      try {
        pid = Number.parseInt(fs.readFileSync(path.join(LOCK, 'pid'), 'utf8'), 10);
      } catch {
        // just created (no pid yet) or just removed: look again
      }
      if (Date.now() > giveUp)
        fail(`gave up waiting for the install lock ${LOCK} (held by ${pid}); remove it if no install is running`);
      if (Number.isFinite(pid) && pid > 0 && !pidAlive(pid)) {
        log(`removing a stale install lock left by process ${pid}`);
        fs.rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      if (!waited) log(`another process (${Number.isFinite(pid) ? pid : '?'}) is installing code-server; waiting`);
      waited = true;
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Install everything on first use; returns the path of the code-server launcher. */
export async function ensureCodeServer() {
  if (isInstalled() && missingDebianPackages().length === 0) return CODE_SERVER_BIN;
  return withLock(() => {
    ensureDebianPackages();
    if (!isInstalled()) installCodeServer();
    return CODE_SERVER_BIN;
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cmd = process.argv[2] ?? 'install';
  if (cmd === 'path') {
    if (!isInstalled()) {
      console.error(`code-server ${CODE_SERVER_VERSION} is not installed; run: node scripts/code-server.mjs install`);
      process.exit(1);
    }
    console.log(CODE_SERVER_BIN);
  } else if (cmd === 'install') {
    const t0 = Date.now();
    try {
      const bin = await ensureCodeServer();
      log(`ready (${((Date.now() - t0) / 1000).toFixed(0)}s): ${bin}`);
      console.log(bin);
    } catch (e) {
      console.error(e.codeServerInstall ? `[code-server] ${e.message}` : e);
      process.exit(1);
    }
  } else {
    console.error('usage: node scripts/code-server.mjs install|path');
    process.exit(2);
  }
}
