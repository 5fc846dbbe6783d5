import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { InterpreterResolver } from './InterpreterResolver';
import {
  findKernelspec,
  isValidKernelName,
  jupyterDataDirs,
  kernelExecutable,
  SYSTEM_JUPYTER_DIRS,
} from './Kernelspec';
import { InterpreterFactsCache } from './PythonInterpreter';
import { SitePackagesReader } from './PythonPackages';
import {
  createVenv,
  DEBIAN_PYTHON,
  envWith,
  metadataVersion,
  notebookJson,
  RecordingLog,
  tempDir,
} from './env.testkit';

const tmp = tempDir('kernelspec');
after(tmp.cleanup);

function writeKernel(dataDir: string, name: string, content: string): string {
  const dir = path.join(dataDir, 'kernels', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'kernel.json'), content);
  return path.join(dir, 'kernel.json');
}

const spec = (argv0: string): string =>
  JSON.stringify({ argv: [argv0, '-m', 'ipykernel_launcher'], language: 'python' });

describe('jupyterDataDirs', () => {
  test("follows jupyter_core's order: JUPYTER_PATH, user dir, env prefixes, system dirs", () => {
    const env = {
      JUPYTER_PATH: `/a${path.delimiter}${path.delimiter}/b`,
      JUPYTER_DATA_DIR: '/user-data',
      HOME: '/home/u',
    };
    assert.deepEqual(jupyterDataDirs({ env, envPrefixes: ['/proj/.venv', '/opt/conda'] }), [
      '/a',
      '/b',
      '/user-data',
      '/proj/.venv/share/jupyter',
      '/opt/conda/share/jupyter',
      ...SYSTEM_JUPYTER_DIRS,
    ]);
  });

  test('without JUPYTER_DATA_DIR the user dir is under XDG_DATA_HOME or ~/.local/share', () => {
    assert.equal(
      jupyterDataDirs({ env: { HOME: '/home/u' }, envPrefixes: [], systemDirs: [] })[0],
      '/home/u/.local/share/jupyter',
    );
    assert.equal(
      jupyterDataDirs({ env: { HOME: '/home/u', XDG_DATA_HOME: '/xdg' }, envPrefixes: [], systemDirs: [] })[0],
      '/xdg/jupyter',
    );
  });
});

describe('findKernelspec', () => {
  const first = path.join(tmp.dir, 'first');
  const second = path.join(tmp.dir, 'second');
  writeKernel(first, 'shared', spec('/first/python'));
  writeKernel(second, 'shared', spec('/second/python'));
  writeKernel(first, 'broken', '{ not json');
  writeKernel(second, 'broken', spec('/second/broken-ok'));
  writeKernel(second, 'MixedCase', spec('/second/mixed'));

  test('the first data dir holding the kernel wins', async () => {
    assert.deepEqual((await findKernelspec('shared', [first, second]))?.argv[0], '/first/python');
    assert.deepEqual((await findKernelspec('shared', [second, first]))?.argv[0], '/second/python');
  });

  test('a broken kernel.json is skipped like jupyter_client does', async () => {
    assert.equal((await findKernelspec('broken', [first, second]))?.argv[0], '/second/broken-ok');
  });

  test('names match case-insensitively', async () => {
    assert.equal((await findKernelspec('mixedcase', [first, second]))?.argv[0], '/second/mixed');
  });

  test('names from notebook metadata cannot leave the kernels directory', async () => {
    assert.equal(isValidKernelName('../../etc'), false);
    assert.equal(isValidKernelName('py-3.11_env'), true);
    assert.equal(await findKernelspec('../first/kernels/shared', [second]), null);
  });
});

describe('kernelExecutable', () => {
  const env = { PATH: '' };

  test("a bare 'python' under <prefix>/share/jupyter is the prefix's python; elsewhere it is looked up on PATH", async () => {
    const prefix = path.join(tmp.dir, 'prefix');
    mkdirSync(path.join(prefix, 'bin'), { recursive: true });
    const python = path.join(prefix, 'bin', 'python3');
    writeFileSync(python, '#!/bin/sh\n');
    chmodSync(python, 0o755);
    const inPrefix = path.join(prefix, 'share', 'jupyter');
    writeKernel(inPrefix, 'k', spec('python'));
    const found = await findKernelspec('k', [inPrefix]);
    assert.ok(found);
    assert.equal((await kernelExecutable(found, env, tmp.dir)).executable, python);

    const pathDir = path.join(tmp.dir, 'pathdir');
    mkdirSync(pathDir);
    symlinkSync(python, path.join(pathDir, 'python3'));
    const elsewhere = path.join(tmp.dir, 'elsewhere');
    writeKernel(elsewhere, 'k', spec('python3'));
    const found2 = await findKernelspec('k', [elsewhere]);
    assert.ok(found2);
    const result = await kernelExecutable(found2, { PATH: pathDir }, tmp.dir);
    assert.equal(result.executable, path.join(pathDir, 'python3'));
    assert.match(result.how, /PATH/);
  });
});

describe("ipykernel's built-in python3 kernel (no kernel.json anywhere)", () => {
  test('picks the first candidate interpreter that has ipykernel installed, skipping a venv without it', async () => {
    const project = path.join(tmp.dir, 'native-project');
    mkdirSync(project);
    createVenv(path.join(project, '.venv')); // plain venv: no ipykernel
    writeFileSync(
      path.join(project, 'nb.ipynb'),
      notebookJson({ kernelName: 'python3', cells: [{ source: 'x = 1' }] }),
    );
    const home = path.join(tmp.dir, 'home');
    mkdirSync(home);
    const env = envWith({ HOME: home });
    const log = new RecordingLog();
    const resolver = new InterpreterResolver({
      projectRoot: project,
      env,
      facts: new InterpreterFactsCache(env),
      packages: new SitePackagesReader(),
      log,
      // Stand for a machine where Debian's kernel.json is not installed.
      systemJupyterDirs: [],
    });
    const controller = new AbortController();
    const { choice } = await resolver.resolve('nb.ipynb', Date.now(), undefined, {
      signal: controller.signal,
      remainingMs: () => 20_000,
    });
    assert.equal(choice?.foundBy, 'kernelspec');
    assert.equal(realpathSync(choice?.executable ?? ''), realpathSync(DEBIAN_PYTHON));
    assert.match(
      choice?.detail ?? '',
      new RegExp(`ipykernel ${metadataVersion(DEBIAN_PYTHON, 'ipykernel').replaceAll('.', '\\.')}`),
    );
    assert.match(choice?.detail ?? '', /built-in kernel/);
  });
});
