import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EnvironmentProbe } from './EnvironmentProbe';
import { LOCKFILE_MAX_BYTES } from './Lockfiles';
import { findOnPath } from './PythonLocations';
import {
  createVenv,
  DEBIAN_PYTHON,
  envWith,
  MemoryBlobSink,
  metadataVersion,
  notebookJson,
  RecordingLog,
  tempDir,
} from './env.testkit';

const tmp = tempDir('probe');
after(tmp.cleanup);

function makeProject(name: string): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function write(file: string, content: string | Buffer, mode?: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  if (mode !== undefined) chmodSync(file, mode);
}

function probe(
  projectRoot: string,
  opts: { interpreter?: string; envTimeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
) {
  const blobs = new MemoryBlobSink();
  const log = new RecordingLog();
  const p = new EnvironmentProbe({
    projectRoot,
    config: { interpreter: opts.interpreter, envTimeoutMs: opts.envTimeoutMs ?? 20_000 },
    blobs,
    log,
    env: opts.env ?? envWith({}),
  });
  return { probe: p, blobs, log };
}

function sitePackagesOf(venv: string): string {
  const lib = path.join(venv, 'lib');
  const pythonDir = readdirSync(lib).find((d) => d.startsWith('python'));
  assert.ok(pythonDir, `no python dir in ${lib}`);
  return path.join(lib, pythonDir, 'site-packages');
}

function kernelJson(argv0: string): string {
  return JSON.stringify({
    argv: [argv0, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
    display_name: 'k',
    language: 'python',
  });
}

/** A process counts as gone once it is dead or a zombie (in a container nobody may reap orphans). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

// One real venv shared by the tests (python3 -m venv takes a few seconds); it lives outside every
// project so that only the mechanism under test (kernelspec, lineage, ...) can find it.
const outsideVenv = path.join(tmp.dir, 'outside-venv');
let outsideVenvPython = '';
before(() => {
  outsideVenvPython = createVenv(outsideVenv);
});

describe('(a) project virtualenv', () => {
  const project = makeProject('with-venv');
  let venvPython = '';
  before(() => {
    venvPython = createVenv(path.join(project, '.venv'));
  });

  test('a model file in a project with .venv gets that venv, its version and pip from its site-packages', async () => {
    const { probe: p } = probe(project);
    write(path.join(project, 'models', 'm.pt'), 'x');
    const { environment, lineage } = await p.capture('models/m.pt', Date.now());
    assert.equal(lineage, null);
    assert.equal(environment.complete, true, environment.incompleteReason);
    const interpreter = environment.interpreter;
    assert.ok(interpreter);
    assert.equal(interpreter.foundBy, 'virtualenv');
    // The venv path is kept even though bin/python is a symlink to the base interpreter.
    assert.equal(path.dirname(interpreter.executable), path.join(project, '.venv', 'bin'));
    assert.equal(interpreter.prefix, path.join(project, '.venv'));
    const expectedVersion = execFileSync(venvPython, ['-c', 'import platform; print(platform.python_version())'], {
      encoding: 'utf8',
    }).trim();
    assert.equal(interpreter.version, expectedVersion);
    const pip = environment.packages.find((pkg) => pkg.name === 'pip');
    assert.ok(pip, 'pip missing');
    assert.equal(pip.version, metadataVersion(venvPython, 'pip'));
    assert.equal(pip.location, sitePackagesOf(path.join(project, '.venv')));
    // A venv without system site packages must not show Debian's ML stack.
    assert.ok(!environment.packages.some((pkg) => pkg.name === 'torch'));
  });

  test('asks the interpreter again after a .pth file extends sys.path, and sees the new package', async () => {
    const { probe: p } = probe(project);
    const first = await p.capture('models/m.pt', Date.now());
    assert.ok(!first.environment.packages.some((pkg) => pkg.name === 'mlsnap-extra'));
    const extraDir = path.join(tmp.dir, 'extra-path');
    write(path.join(extraDir, 'mlsnap_extra-0.4.dist-info', 'METADATA'), 'Name: mlsnap-extra\nVersion: 0.4\n');
    await new Promise((r) => setTimeout(r, 20));
    const pth = path.join(sitePackagesOf(path.join(project, '.venv')), 'mlsnap_extra.pth');
    write(pth, `${extraDir}\n`);
    try {
      const second = await p.capture('models/m.pt', Date.now());
      const extra = second.environment.packages.find((pkg) => pkg.name === 'mlsnap-extra');
      assert.deepEqual(extra, { name: 'mlsnap-extra', version: '0.4', location: extraDir });
    } finally {
      rmSync(pth);
    }
  });

  test('conda-meta records in the interpreter prefix are listed', async () => {
    const metaDir = path.join(project, '.venv', 'conda-meta');
    write(
      path.join(metaDir, 'numpy-1.26.4-py311h64a7726_0.json'),
      JSON.stringify({
        name: 'numpy',
        version: '1.26.4',
        build: 'py311h64a7726_0',
        channel: 'https://conda.anaconda.org/conda-forge/linux-64',
        files: ['a'],
      }),
    );
    write(path.join(metaDir, 'history'), '');
    try {
      const { environment } = await probe(project).probe.capture('models/m.pt', Date.now());
      assert.deepEqual(environment.conda, {
        prefix: path.join(project, '.venv'),
        packages: [
          {
            name: 'numpy',
            version: '1.26.4',
            build: 'py311h64a7726_0',
            channel: 'https://conda.anaconda.org/conda-forge/linux-64',
          },
        ],
      });
    } finally {
      rmSync(metaDir, { recursive: true });
    }
  });
});

describe('interpreter runs and wrappers', () => {
  test('runs an interpreter once and again only when a sys.path directory changes; records what a wrapper runs', async () => {
    const project = makeProject('wrapper');
    const counter = path.join(project, 'runs.txt');
    const wrapper = path.join(tmp.dir, 'bin-wrapper', 'python-wrapper');
    write(wrapper, `#!/bin/sh\necho run >> '${counter}'\nexec '${outsideVenvPython}' "$@"\n`, 0o755);
    const { probe: p } = probe(project, { interpreter: wrapper });
    const runs = (): number => (existsSync(counter) ? readFileSync(counter, 'utf8').trim().split('\n').length : 0);

    const first = await p.capture('model.onnx', Date.now());
    await p.capture('model.onnx', Date.now());
    assert.equal(runs(), 1);
    const interpreter = first.environment.interpreter;
    assert.ok(interpreter);
    assert.equal(interpreter.foundBy, 'configured');
    assert.equal(interpreter.executable, outsideVenvPython);
    assert.match(interpreter.detail, /wrapper/);

    const sitePackages = sitePackagesOf(outsideVenv);
    const later = new Date(Date.now() + 5_000);
    utimesSync(sitePackages, later, later);
    await p.capture('model.onnx', Date.now());
    assert.equal(runs(), 2);
  });

  test("Debian's python as configured interpreter yields its ML packages", async () => {
    const project = makeProject('debian');
    const { environment } = await probe(project, { interpreter: DEBIAN_PYTHON }).probe.capture('m.joblib', Date.now());
    assert.equal(environment.complete, true, environment.incompleteReason);
    assert.equal(environment.interpreter?.executable, DEBIAN_PYTHON);
    assert.equal(environment.interpreter?.prefix, '/usr');
    for (const distribution of ['torch', 'scikit-learn', 'onnx', 'numpy']) {
      const found = environment.packages.find((pkg) => pkg.name === distribution);
      assert.equal(found?.version, metadataVersion(DEBIAN_PYTHON, distribution), distribution);
    }
  });
});

describe('(c) notebook kernelspec', () => {
  const jupyterPath = path.join(tmp.dir, 'jupyter-path');
  before(() => {
    write(path.join(jupyterPath, 'kernels', 'outside-venv', 'kernel.json'), kernelJson(outsideVenvPython));
  });

  test('resolves the kernelspec on JUPYTER_PATH to the venv python, not python3 on PATH', async () => {
    const project = makeProject('kernelspec');
    write(
      path.join(project, 'nb.ipynb'),
      notebookJson({ kernelName: 'outside-venv', cells: [{ source: 'print(1)' }] }),
    );
    const env = envWith({ JUPYTER_PATH: jupyterPath });
    const pathPython = await findOnPath('python3', env);
    assert.ok(
      pathPython !== null && !pathPython.startsWith(outsideVenv),
      'python3 on PATH must be another interpreter',
    );

    const { environment } = await probe(project, { env }).probe.capture('nb.ipynb', Date.now());
    assert.equal(environment.complete, true, environment.incompleteReason);
    assert.equal(environment.interpreter?.foundBy, 'kernelspec');
    assert.equal(environment.interpreter?.executable, outsideVenvPython);
    assert.equal(environment.interpreter?.prefix, outsideVenv);
    assert.match(environment.interpreter?.detail ?? '', /outside-venv/);
    assert.ok(environment.packages.some((pkg) => pkg.name === 'pip'));
  });

  test("a bare 'python3' argv in a venv's share/jupyter means that venv's python", async () => {
    const project = makeProject('envlevel');
    // The kernelspec lives in the env-level dir of the venv; JUPYTER_PATH names that dir.
    write(path.join(outsideVenv, 'share', 'jupyter', 'kernels', 'envkernel', 'kernel.json'), kernelJson('python3'));
    write(path.join(project, 'nb.ipynb'), notebookJson({ kernelName: 'envkernel', cells: [{ source: 'x = 1' }] }));
    const env = envWith({ JUPYTER_PATH: path.join(outsideVenv, 'share', 'jupyter') });
    const { environment } = await probe(project, { env }).probe.capture('nb.ipynb', Date.now());
    assert.equal(environment.interpreter?.foundBy, 'kernelspec');
    assert.equal(environment.interpreter?.prefix, outsideVenv);
    assert.equal(path.dirname(environment.interpreter?.executable ?? ''), path.join(outsideVenv, 'bin'));
  });

  test('a kernel for another language is not taken for a Python interpreter', async () => {
    const project = makeProject('r-kernel');
    const rPath = path.join(tmp.dir, 'jupyter-path-r');
    write(
      path.join(rPath, 'kernels', 'ir', 'kernel.json'),
      JSON.stringify({ argv: ['/usr/bin/R', '--slave'], language: 'R' }),
    );
    write(path.join(project, 'analysis.ipynb'), notebookJson({ kernelName: 'ir', cells: [{ source: 'x <- 1' }] }));
    const { environment } = await probe(project, { env: envWith({ JUPYTER_PATH: rPath }) }).probe.capture(
      'analysis.ipynb',
      Date.now(),
    );
    assert.equal(environment.interpreter?.foundBy, 'path');
    assert.match(environment.interpreter?.detail ?? '', /runs R, not Python/);
  });

  test('a kernelspec installed nowhere falls back to the next source and says so', async () => {
    const project = makeProject('missing-kernel');
    write(path.join(project, 'nb.ipynb'), notebookJson({ kernelName: 'no-such-kernel', cells: [{ source: 'x = 1' }] }));
    const { environment } = await probe(project).probe.capture('nb.ipynb', Date.now());
    assert.equal(environment.interpreter?.foundBy, 'path');
    assert.match(environment.interpreter?.detail ?? '', /no-such-kernel' is not installed/);
  });
});

describe('(d) lineage', () => {
  const jupyterPath = path.join(tmp.dir, 'jupyter-path-lineage');
  before(() => {
    write(path.join(jupyterPath, 'kernels', 'trainer', 'kernel.json'), kernelJson(outsideVenvPython));
  });

  test('a model file takes the interpreter of the notebook that saved it most recently before it appeared', async () => {
    const project = makeProject('lineage');
    const fileMtime = Date.parse('2025-03-01T12:00:00Z');
    const iso = (offsetMs: number): string => new Date(fileMtime + offsetMs).toISOString();
    write(
      path.join(project, 'notebooks', 'train.ipynb'),
      notebookJson({
        kernelName: 'trainer',
        cells: [
          {
            source: 'import torch\nmodel = torch.nn.Linear(2, 2)',
            execution: { 'iopub.status.busy': iso(-9_000), 'shell.execute_reply': iso(-8_000) },
          },
          {
            source: 'torch.save(model.state_dict(), "models/net.pt")',
            execution: {
              'iopub.execute_input': iso(-1_500),
              'iopub.status.idle': iso(200),
              'shell.execute_reply': iso(150),
            },
          },
          { source: 'evaluate(model)', execution: { 'shell.execute_reply': iso(60_000) } },
        ],
      }),
    );
    // Ran after the file appeared (it loads the model): not its producer.
    write(
      path.join(project, 'eval.ipynb'),
      notebookJson({
        kernelName: 'python3',
        cells: [{ source: 'state = torch.load("models/net.pt")', execution: { 'shell.execute_reply': iso(30_000) } }],
      }),
    );
    // Names the file and ran before, but long before the notebook did.
    write(path.join(project, 'old_train.py'), '#!/usr/bin/python3\ntorch.save(m, "net.pt")\n');
    const anHourEarlier = new Date(fileMtime - 3_600_000);
    utimesSync(path.join(project, 'old_train.py'), anHourEarlier, anHourEarlier);
    // Inside a skipped directory: never a candidate.
    write(path.join(project, 'node_modules', 'x', 'train.py'), 'torch.save(m, "models/net.pt")\n');
    write(path.join(project, 'models', 'net.pt'), 'weights');

    const env = envWith({ JUPYTER_PATH: jupyterPath });
    const { environment, lineage } = await probe(project, { env }).probe.capture('models/net.pt', fileMtime);
    assert.equal(lineage?.sourcePath, 'notebooks/train.ipynb');
    assert.match(lineage?.reason ?? '', /models\/net\.pt/);
    assert.equal(environment.interpreter?.foundBy, 'lineage');
    assert.equal(environment.interpreter?.executable, outsideVenvPython);
    assert.match(environment.interpreter?.detail ?? '', /notebooks\/train\.ipynb/);
    assert.match(environment.interpreter?.detail ?? '', /kernelspec 'trainer'/);
  });

  test('a script with an absolute #! line names its interpreter', async () => {
    const project = makeProject('lineage-script');
    write(
      path.join(project, 'export.py'),
      `#!${DEBIAN_PYTHON}\nimport json\njson.dump(m, open("metrics.json", "w"))\n`,
    );
    const scriptTime = Date.now() - 10_000;
    utimesSync(path.join(project, 'export.py'), new Date(scriptTime), new Date(scriptTime));
    write(path.join(project, 'metrics.json'), '{}');
    const { environment, lineage } = await probe(project).probe.capture('metrics.json', Date.now());
    assert.equal(lineage?.sourcePath, 'export.py');
    assert.equal(environment.interpreter?.foundBy, 'lineage');
    assert.equal(environment.interpreter?.executable, DEBIAN_PYTHON);
    assert.match(environment.interpreter?.detail ?? '', /#! line/);
  });

  test('end to end: nbconvert executes a notebook that torch.saves a model; the model gets its kernel and torch', async () => {
    const project = makeProject('lineage-nbconvert');
    mkdirSync(path.join(project, 'models'));
    write(
      path.join(project, 'train.ipynb'),
      notebookJson({
        kernelName: 'python3',
        cells: [
          { source: 'import torch\nnet = torch.nn.Linear(2, 2)' },
          { source: 'torch.save(net.state_dict(), "models/net.pt")' },
        ],
      }),
    );
    execFileSync(DEBIAN_PYTHON, ['-m', 'nbconvert', '--to', 'notebook', '--execute', '--inplace', 'train.ipynb'], {
      cwd: project,
      stdio: 'pipe',
      timeout: 120_000,
      env: { ...envWith({}), PYDEVD_DISABLE_FILE_VALIDATION: '1' },
    });
    const mtime = statSync(path.join(project, 'models', 'net.pt')).mtimeMs;
    const { environment, lineage } = await probe(project).probe.capture('models/net.pt', mtime);
    assert.equal(lineage?.sourcePath, 'train.ipynb');
    assert.match(lineage?.reason ?? '', /execution timestamp/);
    assert.equal(environment.interpreter?.foundBy, 'lineage');
    // /usr/share/jupyter/kernels/python3 (Debian's python3-ipykernel) starts /usr/bin/python3.
    assert.equal(environment.interpreter?.executable, DEBIAN_PYTHON);
    assert.equal(
      environment.packages.find((pkg) => pkg.name === 'torch')?.version,
      metadataVersion(DEBIAN_PYTHON, 'torch'),
    );
  });
});

describe('(e) timeouts and broken interpreters', () => {
  test('an interpreter that hangs gives complete:false within envTimeoutMs and its processes are killed', async () => {
    const project = makeProject('timeout');
    const pidFile = path.join(project, 'sh.pid');
    const sleepPidFile = path.join(project, 'sleep.pid');
    const hanging = path.join(project, 'hanging-python');
    write(hanging, `#!/bin/sh\necho $$ > '${pidFile}'\nsleep 30 &\necho $! > '${sleepPidFile}'\nwait\n`, 0o755);
    const { probe: p, log } = probe(project, { interpreter: hanging, envTimeoutMs: 1_500 });
    const started = Date.now();
    const { environment } = await p.capture('model.pt', Date.now());
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 2_500, `took ${elapsed} ms`);
    assert.equal(environment.complete, false);
    assert.match(environment.incompleteReason ?? '', /timed out after 1500 ms while running .*hanging-python/);
    assert.equal(environment.interpreter?.foundBy, 'configured');
    assert.equal(environment.interpreter?.executable, hanging);
    assert.deepEqual(environment.packages, []);
    assert.ok(environment.machine.cpus > 0, 'machine facts are there even on timeout');
    assert.ok(log.warnings.some((w) => w.includes('timed out')));

    await new Promise((r) => setTimeout(r, 300));
    for (const file of [pidFile, sleepPidFile]) {
      const pid = Number(readFileSync(file, 'utf8').trim());
      assert.equal(isAlive(pid), false, `${file} (${pid}) still running`);
    }
  });

  test('a configured interpreter that does not exist gives complete:false and a reason, without throwing', async () => {
    const project = makeProject('missing-interpreter');
    const { probe: p, log } = probe(project, { interpreter: '/nonexistent/bin/python3' });
    const { environment } = await p.capture('model.pt', Date.now());
    assert.equal(environment.complete, false);
    assert.match(environment.incompleteReason ?? '', /\/nonexistent\/bin\/python3 failed/);
    assert.ok(log.warnings.length > 0);
  });

  test('an interpreter that exits with an error gives complete:false with its exit code and last stderr line', async () => {
    const project = makeProject('failing-interpreter');
    const failing = path.join(project, 'failing-python');
    write(
      failing,
      '#!/bin/sh\necho "Traceback (most recent call last):" >&2\necho "ImportError: boom" >&2\nexit 3\n',
      0o755,
    );
    const { environment } = await probe(project, { interpreter: failing }).probe.capture('model.pt', Date.now());
    assert.equal(environment.complete, false);
    assert.match(environment.incompleteReason ?? '', /exited with code 3: ImportError: boom/);
  });
});

describe('(g) environment variables, lockfiles, machine', () => {
  test('env var names are recorded sorted, values never', async () => {
    const project = makeProject('envvars');
    const env = envWith({ MLSNAP_TEST_SECRET: 'hunter2-secret-value', AAA_FIRST: 'x' });
    const { environment } = await probe(project, { env }).probe.capture('m.pt', Date.now());
    assert.ok(environment.envVarNames.includes('MLSNAP_TEST_SECRET'));
    assert.ok(environment.envVarNames.includes('PATH'));
    assert.deepEqual(environment.envVarNames, [...environment.envVarNames].sort());
    assert.equal(JSON.stringify(environment).includes('hunter2-secret-value'), false);
  });

  test('lockfiles at the project root are stored compressed; oversized ones are skipped with a warning', async () => {
    const project = makeProject('lockfiles');
    write(path.join(project, 'requirements.txt'), 'torch==1.13\n');
    write(path.join(project, 'requirements-dev.txt'), 'pytest\n');
    write(path.join(project, 'pyproject.toml'), '[project]\nname = "x"\n');
    write(path.join(project, 'README.md'), 'no');
    write(path.join(project, 'sub', 'requirements.txt'), 'not at the root\n');
    write(path.join(project, 'requirements-huge.txt'), Buffer.alloc(LOCKFILE_MAX_BYTES + 1, 0x61));
    const { probe: p, blobs, log } = probe(project);
    const { environment } = await p.capture('m.pt', Date.now());
    assert.deepEqual(
      environment.lockfiles.map((l) => l.path),
      ['pyproject.toml', 'requirements-dev.txt', 'requirements.txt'],
    );
    const requirements = environment.lockfiles.find((l) => l.path === 'requirements.txt');
    assert.equal(blobs.text(requirements?.blob), 'torch==1.13\n');
    assert.ok(blobs.compressFlags.every((c) => c));
    assert.ok(log.warnings.some((w) => w.includes('requirements-huge.txt')));
  });

  test('machine facts come from the OS; GPUs say why they are empty', async () => {
    const project = makeProject('machine');
    const emptyBin = path.join(tmp.dir, 'empty-bin');
    mkdirSync(emptyBin, { recursive: true });
    // A PATH without nvidia-smi (and without python3: the interpreter is configured).
    const env = envWith({ PATH: emptyBin });
    const { environment } = await probe(project, { env, interpreter: DEBIAN_PYTHON }).probe.capture('m.pt', Date.now());
    assert.equal(environment.machine.arch, os.arch());
    assert.equal(environment.machine.memoryBytes, os.totalmem());
    assert.equal(environment.machine.release, os.release());
    assert.deepEqual(environment.gpus, []);
    assert.equal(environment.gpuNote, 'nvidia-smi not found');
  });
});
