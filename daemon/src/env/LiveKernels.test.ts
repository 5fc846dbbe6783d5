import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEBIAN_PYTHON, envWith, notebookJson, tempDir } from './env.testkit';
import { findLiveKernels, kernelForNotebook, type LiveKernel, parseKernelArgv } from './LiveKernels';

const tmp = tempDir('livekernels');
/** Everything started here, each in a process group of its own, killed at the end. */
const started: ChildProcess[] = [];
/** Kernels a server started: in sessions of their own, so not in the server's group. */
const serverKernelPids = new Set<number>();

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already.
    }
  }
}

after(() => {
  for (const child of started) killGroup(child.pid, 'SIGKILL');
  for (const pid of serverKernelPids) killGroup(pid, 'SIGKILL');
  tmp.cleanup();
});

/** Start a real process detached (own process group), keeping the tail of its stderr for failure messages. */
function start(
  file: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; argv0?: string },
): { child: ChildProcess; stderr: () => string } {
  const child = spawn(file, args, { ...opts, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  started.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  child.on('error', (err) => {
    stderr += `\nspawn failed: ${err.message}`;
  });
  return { child, stderr: () => stderr };
}

/** Poll `probe` until it gives a value; fail after `timeoutMs` with `diagnose()` in the message. */
async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  diagnose: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms. ${diagnose()}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** A generous bound for the lookups in tests: a 2-core machine running other test files is slow. */
const LOOKUP_MS = 10_000;

async function kernels(env: NodeJS.ProcessEnv): Promise<LiveKernel[]> {
  return findLiveKernels({ env, timeoutMs: LOOKUP_MS });
}

async function waitForKernel(
  pid: number | undefined,
  env: NodeJS.ProcessEnv,
  stderr: () => string,
): Promise<{ kernel: LiveKernel; all: LiveKernel[] }> {
  assert.ok(pid !== undefined, `the kernel did not start: ${stderr()}`);
  return waitFor(
    `kernel pid ${pid} in findLiveKernels`,
    async () => {
      const all = await kernels(env);
      const kernel = all.find((k) => k.pid === pid);
      return kernel === undefined ? undefined : { kernel, all };
    },
    20_000,
    () => `stderr: ${stderr()}`,
  );
}

const mkdir = (...parts: string[]): string => {
  const dir = path.join(tmp.dir, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
};

describe('parseKernelArgv', () => {
  test('recognises ipykernel started as a module or script, with the connection file as written', () => {
    const cases: [string[], string | null][] = [
      [['/v/bin/python', '-m', 'ipykernel_launcher', '-f', '/r/kernel-1.json'], '/r/kernel-1.json'],
      [['python', '-m', 'ipykernel', '-f', 'kernel-2.json'], 'kernel-2.json'],
      [
        ['python', '-Xfrozen_modules=off', '-m', 'ipykernel_launcher', '--f=/r/kernel-v2-123abc.json'],
        '/r/kernel-v2-123abc.json',
      ],
      [['python', '-X', 'frozen_modules=off', '-Es', '-mipykernel_launcher', '--f', '/r/k.json'], '/r/k.json'],
      [['python', '-m', 'ipykernel_launcher', '-f=/r/a.json'], '/r/a.json'],
      [['python', '-m', 'ipykernel.kernelapp', '--IPKernelApp.connection_file=/r/c.json'], '/r/c.json'],
      [['python', '/site/ipykernel_launcher.py', '-f', '/r/s.json'], '/r/s.json'],
      [['python', '-m', 'ipykernel_launcher'], null],
      // Other kernels: known by a `kernel-*.json` connection file.
      [['/usr/lib/R/bin/exec/R', '--slave', '-f', '/r/kernel-abc.json'], '/r/kernel-abc.json'],
    ];
    for (const [argv, connectionFileArg] of cases) {
      assert.deepEqual(parseKernelArgv(argv), { connectionFileArg }, argv.join(' '));
    }
  });

  test('commands that merely mention ipykernel are no kernels', () => {
    for (const argv of [
      ['python', '-m', 'pip', 'install', 'ipykernel'],
      ['python', '-m', 'ipykernel', 'install', '--user', '--name', 'x'],
      ['python', '-c', 'import ipykernel_launcher', '-m', 'ipykernel_launcher'],
      ['python', 'train.py', '--config', 'ipykernel_launcher'],
      ['python', 'tool.py', '-f', '/r/settings.json'],
      ['conda', 'run', '-n', 'x', 'python', '-m', 'ipykernel_launcher'],
    ]) {
      assert.equal(parseKernelArgv(argv), null, argv.join(' '));
    }
  });
});

describe('kernels started by hand (as VS Code starts them)', () => {
  const venv = path.join(tmp.dir, 'kvenv');
  const venvPython = path.join(venv, 'bin', 'python');
  const nbDir = mkdir('project', 'notebooks');
  const home = mkdir('home1');
  const runtime = mkdir('runtime1');
  const env = envWith({ HOME: home, JUPYTER_RUNTIME_DIR: runtime, JUPYTER_CONFIG_DIR: path.join(home, '.jupyter') });
  let first: LiveKernel;

  before(() => {
    // Debian's python3-ipykernel lives in /usr/lib/python3/dist-packages, which this venv sees.
    execFileSync(DEBIAN_PYTHON, ['-m', 'venv', '--system-site-packages', '--without-pip', venv], {
      stdio: 'pipe',
      timeout: 120_000,
    });
  });

  test('a venv kernel: the venv python (not the interpreter it links to), its cwd and connection file', async () => {
    const connectionFile = path.join(tmp.dir, 'kernel-test1.json');
    const spawnedAt = Date.now();
    const { child, stderr } = start(venvPython, ['-m', 'ipykernel_launcher', '-f', connectionFile], {
      cwd: nbDir,
      env,
    });
    const { kernel, all } = await waitForKernel(child.pid, env, stderr);
    first = kernel;
    assert.equal(kernel.executable, venvPython);
    assert.deepEqual(kernel.argv, [venvPython, '-m', 'ipykernel_launcher', '-f', connectionFile]);
    assert.equal(kernel.cwd, nbDir);
    assert.equal(kernel.connectionFile, connectionFile);
    assert.equal(kernel.notebook, undefined);
    // btime is whole seconds: allow for that and a slow start.
    assert.ok(Math.abs(kernel.startedMs - spawnedAt) < 5000, `startedMs ${kernel.startedMs} vs ${spawnedAt}`);

    const choice = kernelForNotebook(path.join(nbDir, 'nb.ipynb'), all);
    assert.ok('kernel' in choice, JSON.stringify(choice));
    assert.equal(choice.kernel.pid, child.pid);
    assert.match(choice.evidence, /only running Jupyter kernel/);
    assert.ok(choice.evidence.includes(nbDir), choice.evidence);

    const elsewhere = kernelForNotebook(path.join(mkdir('project', 'other'), 'nb.ipynb'), all);
    assert.ok('miss' in elsewhere, JSON.stringify(elsewhere));
    assert.match(elsewhere.miss, /^\d+ Jupyter kernels? (is|are) running, none with .*other as working directory/);
  });

  test("VS Code's form: a bare `python` found on the kernel's own PATH, --f=, -X option; the newest of two in a folder wins", async () => {
    const connectionFile = path.join(runtime, 'kernel-v2-123abc.json');
    const kernelEnv = { ...env, PATH: `${path.join(venv, 'bin')}:${env.PATH ?? ''}` };
    const { child, stderr } = start(
      venvPython,
      ['-Xfrozen_modules=off', '-m', 'ipykernel_launcher', `--f=${connectionFile}`],
      { cwd: nbDir, env: kernelEnv, argv0: 'python' },
    );
    const { kernel, all } = await waitForKernel(child.pid, env, stderr);
    assert.equal(kernel.argv[0], 'python');
    assert.equal(kernel.executable, venvPython);
    assert.equal(kernel.connectionFile, connectionFile);
    assert.ok(kernel.startedMs >= first.startedMs);

    assert.ok(
      all.some((k) => k.pid === first.pid),
      'the first kernel still runs',
    );
    const choice = kernelForNotebook(path.join(nbDir, 'nb.ipynb'), all);
    assert.ok('kernel' in choice, JSON.stringify(choice));
    assert.equal(choice.kernel.pid, child.pid);
    assert.match(choice.evidence, /^2 running Jupyter kernels have .* the newest, pid \d+ .* was taken/);
  });

  test('a relative argv[0] is taken from the cwd; a bare connection file name from the runtime dir, where ipykernel writes it', async () => {
    const kernelRuntime = mkdir('runtime-c');
    const { child, stderr } = start(venvPython, ['-m', 'ipykernel', '-f', 'kernel-c.json'], {
      cwd: tmp.dir,
      env: { ...env, JUPYTER_RUNTIME_DIR: kernelRuntime },
      argv0: 'kvenv/bin/python',
    });
    const { kernel } = await waitForKernel(child.pid, env, stderr);
    assert.equal(kernel.executable, venvPython);
    assert.equal(kernel.cwd, tmp.dir);
    const expected = path.join(kernelRuntime, 'kernel-c.json');
    assert.equal(kernel.connectionFile, expected);
    await waitFor(
      'ipykernel writing its connection file',
      () => (existsSync(expected) ? true : undefined),
      60_000,
      stderr,
    );
    killGroup(child.pid, 'SIGKILL');
  });

  test('an aborted signal returns at once, without throwing', async () => {
    const t0 = Date.now();
    const found = await findLiveKernels({ env, signal: AbortSignal.abort() });
    assert.deepEqual(found, []);
    assert.ok(Date.now() - t0 < 1000);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()));
    });
  });
}

describe("a Jupyter server's sessions", () => {
  const root = mkdir('server-root');
  const sub = mkdir('server-root', 'sub');
  const notebook = path.join(sub, 'a.ipynb');
  const home = mkdir('home2');
  const runtime = mkdir('runtime2');
  const token = randomBytes(16).toString('hex');
  const env = envWith({
    HOME: home,
    JUPYTER_RUNTIME_DIR: runtime,
    JUPYTER_CONFIG_DIR: path.join(home, '.jupyter'),
    JUPYTER_DATA_DIR: path.join(home, 'data'),
  });
  let url = '';
  let kernelId = '';
  let server: { child: ChildProcess; stderr: () => string } | undefined;
  const auth = { Authorization: `token ${token}` };

  before(async () => {
    const probe = spawnSync(DEBIAN_PYTHON, ['-c', 'import jupyter_server'], { stdio: 'ignore' });
    assert.equal(probe.status, 0, 'needs python3-jupyter-server (node scripts/ensure-system.mjs installs it)');
    writeFileSync(notebook, notebookJson({ kernelName: 'python3', cells: [{ source: 'x = 1\n' }] }));
    server = start(
      DEBIAN_PYTHON,
      [
        '-m',
        'jupyter_server',
        '--no-browser',
        `--ServerApp.token=${token}`,
        `--ServerApp.port=${await freePort()}`,
        '--ServerApp.port_retries=50',
        '--ServerApp.ip=127.0.0.1',
        `--ServerApp.root_dir=${root}`,
        '--ServerApp.allow_root=True',
      ],
      { cwd: root, env },
    );
    const info = await waitFor(
      'jpserver-*.json',
      () => {
        const name = readdirSync(runtime).find((n) => /^jpserver-\d+\.json$/.test(n));
        if (name === undefined) return undefined;
        try {
          return JSON.parse(readFileSync(path.join(runtime, name), 'utf8')) as { url: string };
        } catch {
          return undefined; // Being written.
        }
      },
      60_000,
      server.stderr,
    );
    url = info.url;
    const res = await fetch(`${url}api/sessions`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ path: 'sub/a.ipynb', type: 'notebook', name: '', kernel: { name: 'python3' } }),
      signal: AbortSignal.timeout(60_000),
    });
    const body = (await res.json()) as { kernel?: { id?: string } };
    assert.ok(
      res.ok && typeof body.kernel?.id === 'string',
      `POST api/sessions: ${res.status} ${JSON.stringify(body)}`,
    );
    kernelId = body.kernel.id;
  });

  after(async () => {
    // Shut down properly so the server stops its kernels; then make sure, server and kernels.
    if (url !== '') {
      await fetch(`${url}api/shutdown`, { method: 'POST', headers: auth, signal: AbortSignal.timeout(5000) }).catch(
        () => undefined,
      );
    }
    const child = server?.child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    killGroup(child?.pid, 'SIGKILL');
    for (const pid of serverKernelPids) killGroup(pid, 'SIGKILL');
  });

  const sessionKernel = (all: readonly LiveKernel[]): LiveKernel | undefined =>
    all.find((k) => k.connectionFile === path.join(runtime, `kernel-${kernelId}.json`));

  test("the session's kernel carries its notebook and the server, and wins over a newer kernel in the same folder", async () => {
    const kernel = await waitFor(
      'the session kernel with its notebook',
      async () => {
        const k = sessionKernel(await kernels(env));
        if (k !== undefined) serverKernelPids.add(k.pid);
        return k?.notebook === undefined ? undefined : k;
      },
      30_000,
      () => server?.stderr() ?? '',
    );
    assert.equal(kernel.notebook, notebook);
    assert.equal(kernel.server, url);
    assert.ok(!kernel.server?.includes(token));
    // jupyter_server starts a kernel in its notebook's folder, as kernelForNotebook's fallback assumes.
    assert.equal(kernel.cwd, sub);
    assert.ok(kernel.executable !== null && path.isAbsolute(kernel.executable), String(kernel.executable));

    // A second kernel in the same folder, started later: by cwd alone it would be taken.
    const connectionFile = path.join(tmp.dir, 'kernel-by-hand.json');
    const byHand = start(DEBIAN_PYTHON, ['-m', 'ipykernel_launcher', '-f', connectionFile], { cwd: sub, env });
    const { kernel: other, all } = await waitForKernel(byHand.child.pid, env, byHand.stderr);
    assert.ok(other.startedMs >= kernel.startedMs);
    assert.equal(other.notebook, undefined);

    const choice = kernelForNotebook(notebook, all);
    assert.ok('kernel' in choice, JSON.stringify(choice));
    assert.equal(choice.kernel.pid, kernel.pid);
    assert.ok(choice.evidence.includes(url) && choice.evidence.includes(`pid ${kernel.pid}`), choice.evidence);
    assert.ok(!choice.evidence.includes(token));

    // Another notebook in that folder: the session kernel serves a.ipynb, so the one by hand is taken.
    const sibling = kernelForNotebook(path.join(sub, 'b.ipynb'), all);
    assert.ok('kernel' in sibling, JSON.stringify(sibling));
    assert.equal(sibling.kernel.pid, other.pid);
    assert.match(sibling.evidence, /leaving out 1 kernel there that server sessions tie to other notebooks/);
    killGroup(byHand.child.pid, 'SIGKILL');
  });

  test("the server is found next to its kernels' connection files when env names another runtime dir", async () => {
    const all = await kernels({ HOME: mkdir('home-elsewhere') });
    assert.equal(sessionKernel(all)?.notebook, notebook);
  });

  test("a dead server's file and a server that never answers are skipped within the time limit", async () => {
    // A pid that surely ended: a process that already exited.
    const dead = spawnSync(DEBIAN_PYTHON, ['-c', 'import os; print(os.getpid())'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout.trim());
    const deadFile = path.join(runtime, `jpserver-${deadPid}.json`);
    writeFileSync(deadFile, JSON.stringify({ url: 'http://127.0.0.1:9/', token: 'x', root_dir: root, pid: deadPid }));
    // Accepts connections and never answers; its "pid" is ours, which is alive.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const silentFile = path.join(runtime, `nbserver-${process.pid}.json`);
    writeFileSync(
      silentFile,
      JSON.stringify({ url: `http://127.0.0.1:${port}/`, token: 't', notebook_dir: root, pid: process.pid }),
    );
    try {
      const timeoutMs = 3000;
      const t0 = Date.now();
      const all = await findLiveKernels({ env, timeoutMs });
      const elapsed = Date.now() - t0;
      assert.ok(elapsed < timeoutMs + 2000, `took ${elapsed} ms`);
      assert.ok(sockets.length > 0, 'the silent server was asked');
      // The real server answered meanwhile.
      assert.equal(sessionKernel(all)?.notebook, notebook);
    } finally {
      rmSync(deadFile, { force: true });
      rmSync(silentFile, { force: true });
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
