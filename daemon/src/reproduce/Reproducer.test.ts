import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { EnvironmentInfo } from '../../../shared/src/domain';
import { classifyPins } from '../../../shared/src/environmentExport/pins';
import { MlsnapError } from '../../../shared/src/errors';
import type { TransferProgress } from '../../../shared/src/protocol';
import { EnvironmentProbe } from '../env/EnvironmentProbe';
import { DEBIAN_PYTHON, envWith, MemoryBlobSink, metadataVersion, RecordingLog, tempDir } from '../env/env.testkit';
import { childEnvironment, identifyPipFailure, reproduce, type ReproduceOptions } from './Reproducer';

const tmp = tempDir('reproduce');
after(tmp.cleanup);

/**
 * The test process's environment without this machine's pip settings (its config files add
 * find-links, indexes and constraints), for the pip runs the tests make themselves: building the
 * wheels and the source venv. reproduce() isolates its own pip when given find-links.
 */
function isolatedEnv(): NodeJS.ProcessEnv {
  const env = envWith({ PIP_CONFIG_FILE: os.devNull });
  for (const key of Object.keys(env)) {
    if (key.startsWith('PIP_') && key !== 'PIP_CONFIG_FILE') delete env[key];
  }
  return env;
}

function buildWheel(name: string, version: string, wheels: string): string {
  const module = name.replace(/-/g, '_');
  const src = path.join(tmp.dir, 'build', name);
  mkdirSync(src, { recursive: true });
  writeFileSync(
    path.join(src, 'setup.py'),
    `from setuptools import setup; setup(name=${JSON.stringify(name)}, version=${JSON.stringify(version)}, py_modules=[${JSON.stringify(module)}])\n`,
  );
  writeFileSync(path.join(src, `${module}.py`), `VERSION = ${JSON.stringify(version)}\n`);
  execFileSync(DEBIAN_PYTHON, ['setup.py', '-q', 'bdist_wheel', '--dist-dir', wheels], {
    cwd: src,
    stdio: 'pipe',
    env: isolatedEnv(),
    timeout: 120_000,
  });
  const wheel = readdirSync(wheels).find((f) => f.startsWith(`${module}-${version}-`) && f.endsWith('.whl'));
  assert.ok(wheel, `no wheel for ${name} in ${wheels}`);
  return path.join(wheels, wheel);
}

const wheels = path.join(tmp.dir, 'wheels');
/** The same wheels less beta's. */
const alphaOnly = path.join(tmp.dir, 'wheels-alpha-only');
const sourceVenv = path.join(tmp.dir, 'source-venv');
const project = path.join(tmp.dir, 'project');
let recorded: EnvironmentInfo;

before(async () => {
  mkdirSync(wheels, { recursive: true });
  mkdirSync(alphaOnly, { recursive: true });
  mkdirSync(project, { recursive: true });
  const alpha = buildWheel('mlsnap-demo-alpha', '1.2.0', wheels);
  buildWheel('mlsnap-demo-beta', '0.3.1', wheels);
  copyFileSync(alpha, path.join(alphaOnly, path.basename(alpha)));

  execFileSync(DEBIAN_PYTHON, ['-m', 'venv', sourceVenv], { stdio: 'pipe', timeout: 180_000 });
  execFileSync(
    path.join(sourceVenv, 'bin', 'python'),
    ['-m', 'pip', 'install', '--no-index', '--find-links', wheels, 'mlsnap-demo-alpha', 'mlsnap-demo-beta'],
    { stdio: 'pipe', env: isolatedEnv(), timeout: 180_000 },
  );
  writeFileSync(path.join(project, 'm.bin'), 'model');
  const probe = new EnvironmentProbe({
    projectRoot: project,
    config: { interpreter: path.join(sourceVenv, 'bin', 'python'), envTimeoutMs: 30_000 },
    blobs: new MemoryBlobSink(),
    log: new RecordingLog(),
    env: envWith({}),
  });
  recorded = (await probe.capture('m.bin', Date.now())).environment;
  assert.equal(recorded.complete, true, recorded.incompleteReason);
  const names = recorded.packages.map((p) => p.name).sort();
  assert.ok(names.includes('mlsnap-demo-alpha') && names.includes('mlsnap-demo-beta'), names.join(', '));
});

function options(dir: string, extra: Partial<ReproduceOptions> = {}) {
  const log = new RecordingLog();
  const progress: TransferProgress[] = [];
  const opts: ReproduceOptions = {
    dir,
    findLinks: wheels,
    signal: new AbortController().signal,
    onProgress: (p) => progress.push(p),
    // This machine's own: PIP_FIND_LINKS=/opt/wheels, and pip.conf files with find-links, extra indexes and a constraint file.
    processEnv: envWith({}),
    log,
    ...extra,
  };
  return { opts, log, progress };
}

/** Live (not zombie) processes whose command line names `text`. */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
      if (cmdline.includes(text) && state !== 'Z') pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function rejectsWith(promise: Promise<unknown>, kind: string): Promise<MlsnapError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof MlsnapError, `expected an MlsnapError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    return err;
  }
  assert.fail(`expected a ${kind} error`);
}

describe('reproduce with real Python and pip, offline', () => {
  test('all wheels at hand: the venv is identical to the record, made from Debian 3.11.2', async () => {
    const dir = path.join(tmp.dir, 'out-identical');
    const { opts, progress } = options(dir);
    const result = await reproduce(recorded, opts);

    assert.equal(result.dir, dir);
    assert.equal(result.recordedPython, '3.11.2');
    assert.equal(result.python.executable, '/usr/bin/python3.11');
    assert.equal(result.python.version, '3.11.2');
    assert.equal(result.python.exactVersion, true);
    assert.deepEqual(result.differences, []);
    assert.equal(result.identical, true);
    assert.equal(result.matching, recorded.packages.length);
    // pip and setuptools come with the venv at the recorded versions: only the two wheels are installed.
    assert.equal(result.commands.length, 1);
    const argv = result.commands[0] ?? [];
    assert.deepEqual(argv.slice(0, 4), [path.join(dir, 'bin', 'python'), '-m', 'pip', 'install']);
    for (const flag of ['--no-deps', '--no-input', '--no-index']) assert.ok(argv.includes(flag), flag);
    assert.equal(argv[argv.indexOf('--find-links') + 1], wheels);
    assert.deepEqual(argv.slice(-2).sort(), ['mlsnap-demo-alpha==1.2.0', 'mlsnap-demo-beta==0.3.1']);
    // Nothing in the requirement list can be read as an option.
    assert.equal(argv.at(-3), '--');
    assert.equal(argv.indexOf('--'), argv.length - 3);
    assert.equal(metadataVersion(path.join(dir, 'bin', 'python'), 'mlsnap-demo-beta'), '0.3.1');

    const phases = [...new Set(progress.map((p) => p.phase))];
    assert.deepEqual(phases, ['python', 'venv', 'install', 'verify']);
    const processing = progress.filter((p) => p.phase === 'install' && /^Processing /.test(p.message ?? ''));
    assert.equal(processing.length, 2);
    assert.deepEqual(
      processing.map((p) => [p.objectsDone, p.objectsTotal]),
      [
        [1, 2],
        [2, 2],
      ],
    );
  });

  test("a wheel that is not at hand: that package is missing with pip's reason, the other installed", async () => {
    const dir = path.join(tmp.dir, 'out-missing');
    const { opts, log } = options(dir, { findLinks: alphaOnly });
    const result = await reproduce(recorded, opts);

    assert.equal(result.identical, false);
    assert.equal(result.differences.length, 1, JSON.stringify(result.differences));
    const [diff] = result.differences;
    assert.equal(diff?.name, 'mlsnap-demo-beta');
    assert.equal(diff?.status, 'missing');
    assert.equal(diff?.recorded, '0.3.1');
    assert.match(
      diff?.reason ?? '',
      /^pip: Could not find a version that satisfies the requirement mlsnap-demo-beta==0\.3\.1/,
    );
    assert.equal(result.matching, recorded.packages.length - 1);
    assert.equal(metadataVersion(path.join(dir, 'bin', 'python'), 'mlsnap-demo-alpha'), '1.2.0');
    // The first run failed on beta; the second ran without it.
    assert.equal(result.commands.length, 2);
    assert.ok(result.commands[0]?.includes('mlsnap-demo-beta==0.3.1'));
    assert.ok(!result.commands[1]?.includes('mlsnap-demo-beta==0.3.1'));
    assert.ok(result.commands[1]?.includes('mlsnap-demo-alpha==1.2.0'));
    assert.ok(
      log.warnings.some((w) => w.includes('mlsnap-demo-beta')),
      log.warnings.join('\n'),
    );
  });

  test('a flagged pin is reported missing with its classification and never given to pip', async () => {
    const site = recorded.packages.find((p) => p.name === 'mlsnap-demo-alpha')?.location ?? sourceVenv;
    const withTorch: EnvironmentInfo = {
      ...recorded,
      packages: [
        ...recorded.packages,
        { name: 'torch', version: '1.13.0a0+gitunknown', installer: 'pip', location: site },
      ],
    };
    const torchPin = classifyPins(withTorch).find((p) => p.name === 'torch');
    assert.ok(torchPin?.problem, 'the classification flags torch 1.13.0a0+gitunknown');

    const dir = path.join(tmp.dir, 'out-flagged');
    const { opts } = options(dir);
    const result = await reproduce(withTorch, opts);
    assert.deepEqual(result.differences, [
      {
        name: 'torch',
        status: 'missing',
        recorded: '1.13.0a0+gitunknown',
        reason: `${torchPin.problem.reason} ${torchPin.problem.instead}`,
      },
    ]);
    assert.equal(result.identical, false);
    assert.equal(result.matching, recorded.packages.length);
    assert.equal(result.commands.length, 1);
    assert.ok(!result.commands.flat().some((a) => a.includes('torch')), JSON.stringify(result.commands));
  });

  test('cancelling while pip runs kills it, rejects with a typed cancel and removes the folder it made', async () => {
    const dir = path.join(tmp.dir, 'out-cancelled');
    const controller = new AbortController();
    let pipLine = '';
    const { opts } = options(dir, {
      signal: controller.signal,
      onProgress: (p) => {
        // A line from pip's stdout: pip is running.
        if (p.phase === 'install' && p.objectsTotal > 0 && /^(Looking|Processing)/.test(p.message ?? '')) {
          pipLine = p.message ?? '';
          controller.abort();
        }
      },
    });
    const err = await rejectsWith(reproduce(recorded, opts), 'conflict');
    assert.equal(err.message, `reproduce into ${dir} was cancelled`);
    assert.notEqual(pipLine, '', 'pip was running when cancelled');
    const deadline = Date.now() + 5000;
    while (processesMentioning(dir).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(processesMentioning(dir), []);
    assert.equal(existsSync(dir), false, 'the half-made venv is gone');
    // So a retry into the same folder is not refused.
    const retry = await reproduce(recorded, options(dir).opts);
    assert.equal(retry.identical, true);
  });

  test('cancelled in a folder that existed (empty): the folder stays, emptied of what was put in it', async () => {
    const dir = path.join(tmp.dir, 'out-cancelled-existing');
    mkdirSync(dir, { recursive: true });
    const controller = new AbortController();
    const { opts } = options(dir, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'install' && p.objectsTotal > 0) controller.abort();
      },
    });
    await rejectsWith(reproduce(recorded, opts), 'conflict');
    assert.equal(existsSync(dir), true);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('offline, pip ignores PIP_FIND_LINKS, pip.conf and the PIP_* variables passed: only --find-links counts', async () => {
    // Each of these names the folder that does hold beta; --find-links names one that does not.
    const conf = path.join(tmp.dir, 'pip-with-beta.conf');
    writeFileSync(conf, `[global]\nfind-links = ${wheels}\n`);
    const dir = path.join(tmp.dir, 'out-offline-isolated');
    const { opts } = options(dir, {
      findLinks: alphaOnly,
      processEnv: envWith({ PIP_FIND_LINKS: wheels, PIP_CONFIG_FILE: conf }),
      pipEnvironment: { PIP_FIND_LINKS: wheels, PIP_CONFIG_FILE: conf },
    });
    const result = await reproduce(recorded, opts);
    assert.deepEqual(
      result.differences.map((d) => [d.name, d.status]),
      [['mlsnap-demo-beta', 'missing']],
    );
    assert.match(
      result.differences[0]?.reason ?? '',
      /Could not find a version that satisfies the requirement mlsnap-demo-beta/,
    );
  });

  test("with neither find-links nor an index URL, the caller's pip settings are pip's", async () => {
    const dir = path.join(tmp.dir, 'out-pip-environment');
    const { opts } = options(dir, { pipEnvironment: { PIP_NO_INDEX: '1', PIP_FIND_LINKS: wheels } });
    delete opts.findLinks;
    const result = await reproduce(recorded, opts);
    assert.deepEqual(result.differences, []);
    assert.equal(result.identical, true);
    const argv = result.commands[0] ?? [];
    assert.ok(!argv.includes('--no-index') && !argv.includes('--find-links'), argv.join(' '));
  });
});

describe('a record without pip (uv venv, --without-pip)', () => {
  test('pip and setuptools, which python -m venv seeds, are uninstalled: identical', async () => {
    const bare = path.join(tmp.dir, 'source-venv-no-pip');
    execFileSync(DEBIAN_PYTHON, ['-m', 'venv', bare], { stdio: 'pipe', timeout: 180_000 });
    const python = path.join(bare, 'bin', 'python');
    const pip = (...args: string[]) =>
      execFileSync(python, ['-m', 'pip', ...args], { stdio: 'pipe', env: isolatedEnv(), timeout: 180_000 });
    pip('install', '--no-index', '--find-links', wheels, 'mlsnap-demo-alpha', 'mlsnap-demo-beta');
    pip('uninstall', '-y', 'pip', 'setuptools');
    const probe = new EnvironmentProbe({
      projectRoot: project,
      config: { interpreter: python, envTimeoutMs: 30_000 },
      blobs: new MemoryBlobSink(),
      log: new RecordingLog(),
      env: envWith({}),
    });
    const pipless = (await probe.capture('m.bin', Date.now())).environment;
    assert.deepEqual(pipless.packages.map((p) => p.name).sort(), ['mlsnap-demo-alpha', 'mlsnap-demo-beta']);

    const dir = path.join(tmp.dir, 'out-no-pip');
    const result = await reproduce(pipless, options(dir).opts);
    assert.deepEqual(result.differences, []);
    assert.equal(result.identical, true);
    assert.equal(result.matching, 2);
    assert.equal(result.commands.length, 2);
    const uninstall = result.commands[1] ?? [];
    assert.deepEqual(uninstall.slice(0, 5), [path.join(dir, 'bin', 'python'), '-m', 'pip', 'uninstall', '-y']);
    const names = uninstall.slice(uninstall.indexOf('--') + 1);
    assert.deepEqual(names, ['setuptools', 'pip'], 'pip last');
    assert.equal(existsSync(path.join(dir, 'bin', 'pip')), false);
  });
});

describe('cancelling before the venv', () => {
  test('cancelled while looking for Python: rejects with a typed cancel and makes no folder', async () => {
    const dir = path.join(tmp.dir, 'out-cancelled-early');
    const controller = new AbortController();
    const { opts } = options(dir, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'python') controller.abort();
      },
    });
    const err = await rejectsWith(reproduce(recorded, opts), 'conflict');
    assert.match(err.message, /was cancelled$/);
    assert.equal(existsSync(dir), false);
  });

  test('cancelled before the call: a typed cancel, nothing made; a typed reason the caller gave is kept', async () => {
    const dir = path.join(tmp.dir, 'out-cancelled-before');
    const controller = new AbortController();
    controller.abort();
    const err = await rejectsWith(reproduce(recorded, options(dir, { signal: controller.signal }).opts), 'conflict');
    assert.equal(err.message, `reproduce into ${dir} was cancelled`);
    assert.equal(err.path, dir);
    assert.equal(existsSync(dir), false);

    const editor = new AbortController();
    const reason = new MlsnapError('conflict', 'environment/reproduce was cancelled in the editor');
    editor.abort(reason);
    await assert.rejects(reproduce(recorded, options(dir, { signal: editor.signal }).opts), (e) => e === reason);
  });
});

describe('a failure once the folder is begun', () => {
  // python -m venv refuses a folder whose path holds the PATH separator, after reproduce made it.
  test('a folder it made (and the parents it made for it) is removed, so a retry is not refused', async () => {
    const parent = path.join(tmp.dir, 'made-parent');
    const dir = path.join(parent, 'venv:x');
    const err = await rejectsWith(reproduce(recorded, options(dir).opts), 'io');
    assert.match(err.message, /-m venv .* failed/);
    assert.equal(existsSync(parent), false);
  });

  test('a folder that existed (empty) is kept, and left empty', async () => {
    const dir = path.join(tmp.dir, 'existing:x');
    mkdirSync(dir, { recursive: true });
    await rejectsWith(reproduce(recorded, options(dir).opts), 'io');
    assert.equal(existsSync(dir), true);
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe('the environment pip runs with', () => {
  const machine = {
    PATH: '/usr/bin',
    PIP_FIND_LINKS: '/opt/wheels',
    PIP_CONFIG_FILE: '/etc/pip-mine.conf',
    pip_index_url: 'https://lower.example/simple',
    PIP_TARGET: '/elsewhere',
    PYTHONPATH: '/x',
    HTTPS_PROXY: 'http://daemon-proxy:3128',
  };
  const caller = {
    PIP_INDEX_URL: 'https://mirror.example/simple',
    PIP_TARGET: '/elsewhere',
    https_proxy: 'http://proxy:3128',
    HTTP_PROXY: 'http://proxy:3128',
    NO_PROXY: 'localhost',
    HOME: '/not/forwarded',
  };

  test('with find-links or an index URL: no PIP_* variable and no pip configuration file; proxies kept', () => {
    for (const source of [{ findLinks: '/w' }, { indexUrl: 'https://i.example/simple' }]) {
      const env = childEnvironment({ processEnv: machine, pipEnvironment: caller, ...source });
      assert.deepEqual(env, {
        PATH: '/usr/bin',
        PIP_CONFIG_FILE: os.devNull,
        HTTPS_PROXY: 'http://daemon-proxy:3128',
        https_proxy: 'http://proxy:3128',
        HTTP_PROXY: 'http://proxy:3128',
        NO_PROXY: 'localhost',
      });
    }
  });

  test("without them: the user's configuration, the caller's PIP_* on top, never one that redirects the install", () => {
    const env = childEnvironment({ processEnv: machine, pipEnvironment: caller });
    assert.deepEqual(env, {
      PATH: '/usr/bin',
      PIP_FIND_LINKS: '/opt/wheels',
      PIP_CONFIG_FILE: '/etc/pip-mine.conf',
      pip_index_url: 'https://lower.example/simple',
      PIP_INDEX_URL: 'https://mirror.example/simple',
      HTTPS_PROXY: 'http://daemon-proxy:3128',
      https_proxy: 'http://proxy:3128',
      HTTP_PROXY: 'http://proxy:3128',
      NO_PROXY: 'localhost',
    });
  });
});

describe('reproduce refuses what it cannot do, before making anything', () => {
  test('a folder that is not empty is refused, named in the message, and left alone', async () => {
    const dir = path.join(tmp.dir, 'not-empty');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    const err = await rejectsWith(reproduce(recorded, options(dir).opts), 'bad-request');
    assert.ok(err.message.includes(dir), err.message);
    assert.match(err.message, /not empty/);
    assert.deepEqual(readdirSync(dir), ['notes.txt']);
  });

  test('a recorded Python this machine lacks is not-found, saying what was found and how to install it', async () => {
    const dir = path.join(tmp.dir, 'out-py34');
    assert.ok(recorded.interpreter);
    const old: EnvironmentInfo = { ...recorded, interpreter: { ...recorded.interpreter, version: '3.4.1' } };
    const err = await rejectsWith(reproduce(old, options(dir).opts), 'not-found');
    assert.match(err.message, /^no Python 3\.4 here: found /);
    assert.ok(err.message.includes('3.11.2 (/usr/bin/python3.11)'), err.message);
    assert.ok(err.message.includes('`pyenv install 3.4.1`'), err.message);
    assert.ok(err.message.includes('`uv python install 3.4.1`'), err.message);
    assert.equal(existsSync(dir), false);
  });

  test('no interpreter in the record, or a find-links that is not a folder, is a bad request', async () => {
    const dir = path.join(tmp.dir, 'out-bad');
    await rejectsWith(reproduce({ ...recorded, interpreter: null }, options(dir).opts), 'bad-request');
    assert.ok(recorded.interpreter);
    const noVersion = { ...recorded, interpreter: { ...recorded.interpreter, version: '' } };
    await rejectsWith(reproduce(noVersion, options(dir).opts), 'bad-request');
    const notAFolder = path.join(wheels, readdirSync(wheels)[0] ?? 'x');
    const err = await rejectsWith(reproduce(recorded, options(dir, { findLinks: notAFolder }).opts), 'bad-request');
    assert.ok(err.message.includes(notAFolder), err.message);
    assert.equal(existsSync(dir), false);
  });
});

describe('identifyPipFailure', () => {
  const pin = (name: string, version: string) => ({
    name,
    version,
    requirement: `${name}==${version}`,
    problem: null,
  });
  const pending = [pin('numpy', '1.26.4'), pin('Scikit_Learn', '1.4.0'), pin('torch', '2.2.0+cu121')];

  test('names the requirement of "Could not find" / "No matching distribution", by normalised name', () => {
    const stderr =
      'ERROR: Could not find a version that satisfies the requirement scikit-learn==1.4.0 (from versions: none)\n' +
      'ERROR: No matching distribution found for scikit-learn==1.4.0\n';
    const f = identifyPipFailure(stderr, pending);
    assert.equal(f?.pin.name, 'Scikit_Learn');
    assert.equal(
      f?.reason,
      'pip: Could not find a version that satisfies the requirement scikit-learn==1.4.0 (from versions: none)',
    );
  });

  test('another ERROR line naming exactly one requirement blames it; none or several blame nobody', () => {
    assert.equal(
      identifyPipFailure(
        'ERROR: torch-2.2.0+cu121-cp311-none-any.whl is not a supported wheel on this platform.\n',
        pending,
      )?.pin.name,
      'torch',
    );
    assert.equal(identifyPipFailure('ERROR: Could not install packages due to an OSError: disk full\n', pending), null);
    assert.equal(
      identifyPipFailure(
        'ERROR: Cannot install torch==2.2.0+cu121 because these package versions have conflicting dependencies.\n',
        pending,
      )?.pin.name,
      'torch',
    );
    assert.equal(
      identifyPipFailure(
        'ERROR: Cannot install numpy==1.26.4 and torch==2.2.0+cu121 because these package versions have conflicting dependencies.\n',
        pending,
      ),
      null,
    );
    assert.equal(identifyPipFailure('ERROR: numpy and torch do not agree\n', pending), null);
    assert.equal(identifyPipFailure('Traceback (most recent call last):\n  numpy\n', pending), null);
  });
});
