import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chooseHint,
  executableFromOutputs,
  JUPYTER_HOW,
  kernelRestarted,
  outputItems,
  PYTHON_EXTENSION_HOW,
  pythonExecutableOf,
  stdoutOf,
} from './kernelOutput';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const stdout = (s: string) => ({ mime: 'application/vnd.code.notebook.stdout', data: utf8(s) });

test('stdout is read from both output shapes and both stdout mimes; other items are ignored', () => {
  const outputs: unknown[] = [
    { items: [stdout('/opt/conda/envs/'), { mime: 'text/plain', data: utf8('ignored') }] },
    [{ mime: 'application/x.notebook.stream.stdout', data: utf8('ml/bin/python\n') }],
    { items: [{ mime: 'application/vnd.code.notebook.stderr', data: utf8('warning: x\n') }] },
    null,
    'junk',
    { items: 'junk' },
    { items: [null, { mime: 'application/vnd.code.notebook.stdout' }] },
  ];
  assert.equal(stdoutOf(outputs), '/opt/conda/envs/ml/bin/python\n');
  assert.equal(executableFromOutputs(outputs), '/opt/conda/envs/ml/bin/python');
  assert.deepEqual(outputItems(undefined), []);
});

test('the executable is the last non-empty line, and only an absolute path', () => {
  assert.equal(
    executableFromOutputs([{ items: [stdout('banner from a startup file\r\n/usr/bin/python3\r\n\n')] }]),
    '/usr/bin/python3',
  );
  assert.equal(
    executableFromOutputs([{ items: [stdout('C:\\Python311\\python.exe\r\n')] }]),
    'C:\\Python311\\python.exe',
  );
  assert.equal(executableFromOutputs([{ items: [stdout('python3\n')] }]), undefined);
  assert.equal(executableFromOutputs([{ items: [stdout('\n')] }]), undefined);
  // An embedded interpreter has no executable: sys.executable is ''.
  assert.equal(executableFromOutputs([]), undefined);
});

test("the Python extension's interpreter: the resolved executable, else a path naming an interpreter", () => {
  assert.equal(
    pythonExecutableOf({ path: '/work/.venv' }, { executable: { uri: { fsPath: '/work/.venv/bin/python' } } }),
    '/work/.venv/bin/python',
  );
  assert.equal(pythonExecutableOf({ path: '/usr/bin/python3.11' }, undefined), '/usr/bin/python3.11');
  assert.equal(pythonExecutableOf({ path: '/opt/conda/envs/ml' }, undefined), undefined);
  assert.equal(pythonExecutableOf({ path: 'python' }, { executable: {} }), undefined);
  assert.equal(pythonExecutableOf(undefined, undefined), undefined);
});

test('what is sent: the kernel when the Jupyter API exists, the Python extension only when it does not', () => {
  assert.deepEqual(chooseHint({ jupyterApi: true, kernelExecutable: '/k/bin/python', pythonExecutable: '/p/python' }), {
    executable: '/k/bin/python',
    how: JUPYTER_HOW,
  });
  // A Jupyter API with no kernel running for the notebook: nothing, not the Python extension's guess.
  assert.equal(chooseHint({ jupyterApi: true, pythonExecutable: '/p/bin/python' }), null);
  assert.deepEqual(chooseHint({ jupyterApi: false, pythonExecutable: '/p/bin/python' }), {
    executable: '/p/bin/python',
    how: PYTHON_EXTENSION_HOW,
  });
  assert.equal(chooseHint({ jupyterApi: false }), null);
  assert.equal(chooseHint({ jupyterApi: true, kernelExecutable: 'python' }), null);
  assert.match(JUPYTER_HOW, /sys\.executable/);
});

test('a restarted or dead kernel is asked again', () => {
  for (const s of ['restarting', 'autorestarting', 'dead', 'terminating']) assert.ok(kernelRestarted(s), s);
  for (const s of ['idle', 'busy', 'starting', 'unknown']) assert.ok(!kernelRestarted(s), s);
});
