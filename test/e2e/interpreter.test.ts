import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentInfo, VersionInfo } from '../../shared/src/domain';
import type { RunResult, ShowResult } from '../../shared/src/protocol';
import { daemonApi, MLSNAP, mlsnap, mlsnapJson } from '../support/cli';
import { tempDir, waitFor } from '../support/tmp';

/**
 * The interpreter that really ran a file, as users run notebooks: VS Code's `.venv` kernel
 * (known from the notebook's metadata), a live kernel in the notebook's folder, and
 * `mlsnap run` of a script with a venv's python.
 */
const home = tempDir('interp-home');
const root = tempDir('interp-project');
const runtimeDir = tempDir('interp-runtime');
const opts = { cwd: root, home, env: { JUPYTER_RUNTIME_DIR: runtimeDir } };
const kernels: ChildProcess[] = [];

after(() => {
  for (const k of kernels) k.kill('SIGKILL');
  mlsnap(['daemon', 'stop'], opts);
});

/** The distributions a venv's python sees, by importlib.metadata: what the record must list. */
function installed(python: string): Map<string, string> {
  const out = execFileSync(
    python,
    ['-c', 'import importlib.metadata as m\nfor d in m.distributions(): print(d.metadata["Name"], d.version)'],
    { encoding: 'utf8' },
  );
  return new Map(
    out
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string])
      .map(([n, v]) => [n.toLowerCase(), v]),
  );
}

function venv(dir: string, systemSite: boolean): string {
  execFileSync('/usr/bin/python3', ['-m', 'venv', ...(systemSite ? ['--system-site-packages'] : []), dir]);
  return path.join(dir, 'bin', 'python');
}

/** A notebook as VS Code writes it once its kernel is a venv. */
function vscodeNotebook(meta: { displayName: string; hash?: string; version?: string }, cells: string[]): string {
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: meta.displayName, language: 'python' },
      language_info: {
        name: 'python',
        version: meta.version ?? '3.11.2',
        codemirror_mode: { name: 'ipython', version: 3 },
      },
      ...(meta.hash !== undefined ? { vscode: { interpreter: { hash: meta.hash } } } : {}),
    },
    cells: cells.map((source, i) => ({
      id: `c${i}`,
      cell_type: 'code',
      source,
      metadata: {},
      outputs: [],
      execution_count: 1,
    })),
  });
}

function environmentOf(ref: string): EnvironmentInfo {
  const show = mlsnapJson<ShowResult>(['show', ref], opts);
  assert.ok(show.environment, `${ref} has an environment`);
  return show.environment;
}

test("a notebook whose VS Code metadata names the project's .venv is recorded with that venv and its packages", () => {
  const python = venv(path.join(root, '.venv'), false);
  assert.equal(mlsnap(['init'], opts).status, 0);
  const hash = createHash('sha256').update(python).digest('hex');
  fs.writeFileSync(path.join(root, 'vscode.ipynb'), vscodeNotebook({ displayName: '.venv', hash }, ['x = 1']));
  mlsnapJson(['snapshot', 'vscode.ipynb'], opts);
  const env = environmentOf('vscode.ipynb@latest');
  assert.equal(env.interpreter?.executable, python);
  assert.equal(env.interpreter?.foundBy, 'notebook-metadata');
  assert.match(env.interpreter?.detail ?? '', /interpreter\.hash is the sha256 of/);
  assert.equal(env.interpreter?.version, '3.11.2');
  const recorded = new Map(env.packages.map((p) => [p.name.toLowerCase(), p.version]));
  assert.deepEqual(recorded, installed(python), "the venv's own packages, not the system Python's");
});

test('the display name alone finds the venv; a language_info.version it does not have rejects it', () => {
  const python = path.join(root, '.venv', 'bin', 'python');
  fs.writeFileSync(path.join(root, 'named.ipynb'), vscodeNotebook({ displayName: '.venv (Python 3.11.2)' }, ['y = 2']));
  mlsnapJson(['snapshot', 'named.ipynb'], opts);
  const named = environmentOf('named.ipynb@latest');
  assert.equal(named.interpreter?.executable, python);
  assert.equal(named.interpreter?.foundBy, 'notebook-metadata');

  fs.writeFileSync(
    path.join(root, 'other.ipynb'),
    vscodeNotebook({ displayName: '.venv', version: '3.9.18' }, ['z = 3']),
  );
  mlsnapJson(['snapshot', 'other.ipynb'], opts);
  const other = environmentOf('other.ipynb@latest');
  assert.notEqual(other.interpreter?.foundBy, 'notebook-metadata');
  assert.match(other.interpreter?.detail ?? '', /is Python 3\.11\.2, not 3\.9\.18/);
});

test('a live kernel of another venv running in the notebook\'s folder wins over "Python 3"', async () => {
  const kvenv = tempDir('interp-kvenv');
  // Debian's ipykernel lives in the system site-packages; the venv sees it.
  const python = venv(kvenv, true);
  const folder = path.join(root, 'analysis');
  fs.mkdirSync(folder);
  const kernel = spawn(python, ['-m', 'ipykernel_launcher', '-f', path.join(runtimeDir, 'kernel-live1.json')], {
    cwd: folder,
    env: { ...process.env, HOME: home, JUPYTER_RUNTIME_DIR: runtimeDir },
    stdio: 'ignore',
  });
  kernels.push(kernel);
  await waitFor(
    'the kernel to write its connection file',
    () => fs.existsSync(path.join(runtimeDir, 'kernel-live1.json')),
    30_000,
  );

  const notebook = path.join(folder, 'live.ipynb');
  fs.writeFileSync(
    notebook,
    vscodeNotebook({ displayName: 'Python 3' }, [
      'import json',
      'json.dump({"acc": 0.9}, open("live_metrics.json", "w"))',
    ]),
  );
  mlsnapJson(['snapshot', 'analysis/live.ipynb'], opts);
  const env = environmentOf('analysis/live.ipynb@latest');
  assert.equal(env.interpreter?.executable, python);
  assert.equal(env.interpreter?.foundBy, 'live-kernel');
  assert.match(env.interpreter?.detail ?? '', new RegExp(`pid ${kernel.pid ?? 0}`));
  // A file the notebook writes gets the same interpreter through its lineage.
  fs.writeFileSync(path.join(folder, 'live_metrics.json'), '{"acc": 0.9}\n');
  mlsnapJson(['snapshot', 'analysis/live_metrics.json'], opts);
  const metrics = environmentOf('analysis/live_metrics.json@latest');
  assert.equal(metrics.interpreter?.foundBy, 'lineage');
  assert.equal(metrics.interpreter?.executable, python);

  // Another notebook of the same folder whose metadata names the project's .venv exactly: the
  // kernel there (found only by its folder) is another notebook's.
  const dotVenv = path.join(root, '.venv', 'bin', 'python');
  fs.writeFileSync(
    path.join(folder, 'sibling.ipynb'),
    vscodeNotebook({ displayName: '.venv', hash: createHash('sha256').update(dotVenv).digest('hex') }, ['b = 1']),
  );
  mlsnapJson(['snapshot', 'analysis/sibling.ipynb'], opts);
  const sibling = environmentOf('analysis/sibling.ipynb@latest');
  assert.equal(sibling.interpreter?.executable, dotVenv);
  assert.equal(sibling.interpreter?.foundBy, 'notebook-metadata');
  assert.match(sibling.interpreter?.detail ?? '', /names .*\.venv\/bin\/python exactly/);

  kernel.kill('SIGKILL');
  await waitFor('the kernel to exit', () => kernel.exitCode !== null || kernel.signalCode !== null, 10_000);
  fs.writeFileSync(notebook, vscodeNotebook({ displayName: 'Python 3' }, ['print(2)']));
  mlsnapJson(['snapshot', 'analysis/live.ipynb'], opts);
  assert.notEqual(environmentOf('analysis/live.ipynb@latest').interpreter?.foundBy, 'live-kernel');
});

/** A daemon method over its HTTP API, as the editor's connection would call it. */
function callDaemon(method: string, params: unknown): Promise<{ status: number; body: unknown }> {
  return daemonApi(home, method, params);
}

test("the editor's word on a notebook's kernel comes first; a path that is not there is passed over, saying so", async () => {
  const editorVenv = tempDir('interp-editor');
  const python = venv(editorVenv, false);
  const notebook = path.join(root, 'editor.ipynb');
  fs.writeFileSync(notebook, vscodeNotebook({ displayName: '.venv' }, ['a = 1']));
  const how = "the Jupyter extension's kernel for this notebook (sys.executable)";
  const told = await callDaemon('notebook/kernel', { root, path: notebook, executable: python, how });
  assert.equal(told.status, 200, JSON.stringify(told.body));
  mlsnapJson(['snapshot', 'editor.ipynb'], opts);
  const env = environmentOf('editor.ipynb@latest');
  assert.equal(env.interpreter?.executable, python);
  assert.equal(env.interpreter?.foundBy, 'editor');
  assert.match(env.interpreter?.detail ?? '', /Jupyter extension's kernel/);

  await callDaemon('notebook/kernel', { root, path: 'editor.ipynb', executable: '/nowhere/bin/python', how });
  fs.writeFileSync(notebook, vscodeNotebook({ displayName: '.venv' }, ['a = 2']));
  mlsnapJson(['snapshot', 'editor.ipynb'], opts);
  const fallback = environmentOf('editor.ipynb@latest');
  assert.equal(fallback.interpreter?.foundBy, 'notebook-metadata', 'the next evidence: its .venv display name');
  assert.match(
    fallback.interpreter?.detail ?? '',
    /the editor named \/nowhere\/bin\/python, which is not an executable file here/,
  );
  const refused = await callDaemon('notebook/kernel', { root, path: 'train.py', executable: python, how });
  assert.equal(refused.status, 400);
});

test('mlsnap run -- venv/bin/python train.py records the model it writes with that venv, argv, exit status and output', () => {
  const python = venv(path.join(root, 'trainenv'), true);
  fs.mkdirSync(path.join(root, 'models'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'train.py'),
    [
      'import sys, torch',
      'torch.save({"w": torch.zeros(int(sys.argv[1]))}, "models/net.pt")',
      'print("trained", sys.argv[1])',
      'sys.exit(int(sys.argv[2]))',
    ].join('\n'),
  );
  const r = mlsnap(['run', '--json', '--', 'trainenv/bin/python', 'train.py', '4', '0'], {
    ...opts,
    timeoutMs: 180_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as RunResult;
  assert.deepEqual(result.run.argv, ['trainenv/bin/python', 'train.py', '4', '0']);
  assert.equal(result.run.exitCode, 0);
  assert.equal(result.run.executable, python);
  assert.match(result.run.outputTail ?? '', /trained 4/);
  const model = result.versions.find((v: VersionInfo) => v.path === 'models/net.pt');
  assert.ok(model, `the run recorded models/net.pt: ${result.versions.map((v) => v.path).join(', ')}`);
  assert.equal(model.runId, result.run.id);
  // The watcher may have recorded it while the command ran; either way it is the run's.
  assert.ok(['run', 'watch'].includes(model.trigger), model.trigger);
  const env = environmentOf('models/net.pt@latest');
  assert.equal(env.interpreter?.executable, python);
  assert.equal(env.interpreter?.foundBy, 'run');
  assert.match(env.interpreter?.detail ?? '', /mlsnap run/);
  assert.ok(
    env.packages.some((p) => p.name.toLowerCase() === 'torch'),
    'torch is recorded with it',
  );

  // The command's exit status is mlsnap's; the run still records what it wrote.
  const failed = mlsnap(['run', '--', 'trainenv/bin/python', 'train.py', '5', '3'], { ...opts, timeoutMs: 180_000 });
  assert.equal(failed.status, 3, failed.stderr);
  assert.match(failed.stdout, /trained 5/);
  assert.match(failed.stderr, /exited 3 .*recorded 1 version/s);
  const log = mlsnapJson<VersionInfo[]>(['log', 'models/net.pt'], opts);
  assert.equal(log.length, 2);
  assert.notEqual(log[0]?.runId, log[1]?.runId);
});

test('Ctrl-C reaches the command once, mlsnap waits for its cleanup and records how it ended', async () => {
  fs.writeFileSync(
    path.join(root, 'interrupted.py'),
    [
      'import signal, sys, time',
      'hits = []',
      'signal.signal(signal.SIGINT, lambda *a: hits.append(1))',
      'print("ready", repr(sys.argv[1]), flush=True)',
      'deadline = time.time() + 20',
      'while not hits and time.time() < deadline: time.sleep(0.05)',
      'time.sleep(0.5)  # a checkpoint being saved: a second Ctrl-C here would be lost work',
      'print("interrupted", len(hits), flush=True)',
    ].join('\n'),
  );
  // Its own process group, as a terminal's foreground job: the signal goes to the whole group.
  const cli = spawn(process.execPath, [MLSNAP, 'run', '--', 'trainenv/bin/python', 'interrupted.py', ''], {
    cwd: root,
    env: { ...process.env, MLSNAP_HOME: home, JUPYTER_RUNTIME_DIR: runtimeDir },
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  cli.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => cli.on('close', (code) => resolve(code)));
  await waitFor('the command to start', () => stdout.includes("ready ''"), 60_000);
  process.kill(-(cli.pid ?? 0), 'SIGINT');
  assert.equal(await exited, 0, stderr);
  assert.match(stdout, /interrupted 1\b/);
  assert.match(stderr, /run r[0-9a-f]{16} exited 0/);
});

test('mlsnap run of a command that does not exist exits 127 and says so', () => {
  const r = mlsnap(['run', '--', 'no-such-command-here', '--flag'], opts);
  assert.equal(r.status, 127);
  assert.match(r.stderr, /no-such-command-here: command not found/);
});
