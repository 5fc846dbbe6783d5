import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { commandInterpreter } from './CommandInterpreter';

function tempDir(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mlsnap-cmdinterp-')));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Real venvs, as `python3 -m venv` makes them (without pip: fast). */
const root = tempDir();
const venv = path.join(root, '.venv');
const other = path.join(root, 'other');
for (const dir of [venv, other]) execFileSync('/usr/bin/python3', ['-m', 'venv', '--without-pip', dir]);
const PATH = `/usr/bin:/bin`;

function script(file: string, shebang: string): void {
  fs.writeFileSync(file, `#!${shebang}\nprint("hi")\n`, { mode: 0o755 });
}

test('`python3` is the one on PATH at the call: an activated venv is on it', async () => {
  const env = { PATH: `${venv}/bin:${PATH}`, VIRTUAL_ENV: venv };
  const found = await commandInterpreter(['python3', 'train.py'], { cwd: root, env });
  assert.equal(found?.executable, path.join(venv, 'bin', 'python3'));
  assert.match(found?.detail ?? '', /on PATH at the call .*active environment VIRTUAL_ENV=/);
  const plain = await commandInterpreter(['python3', 'train.py'], { cwd: root, env: { PATH } });
  assert.equal(plain?.executable, '/usr/bin/python3');
});

test('a path is taken from the working folder; `env VAR=… cmd` is looked through', async () => {
  const byPath = await commandInterpreter(['.venv/bin/python', 'train.py'], { cwd: root, env: { PATH } });
  assert.equal(byPath?.executable, path.join(venv, 'bin', 'python'));
  const viaEnv = await commandInterpreter(['env', `PATH=${other}/bin:${PATH}`, 'python', 'x.py'], {
    cwd: root,
    env: { PATH },
  });
  assert.equal(viaEnv?.executable, path.join(other, 'bin', 'python'));
});

test("a script's #! line, direct or through env, and a console script on PATH", async () => {
  script(path.join(root, 'train.py'), '/usr/bin/env python3');
  const direct = await commandInterpreter(['./train.py'], { cwd: root, env: { PATH: `${other}/bin:${PATH}` } });
  assert.equal(direct?.executable, path.join(other, 'bin', 'python3'));
  script(path.join(venv, 'bin', 'trainer'), path.join(venv, 'bin', 'python'));
  const console = await commandInterpreter(['trainer', '--epochs', '3'], {
    cwd: root,
    env: { PATH: `${venv}/bin:${PATH}` },
  });
  assert.equal(console?.executable, path.join(venv, 'bin', 'python'));
  fs.writeFileSync(path.join(root, 'build.sh'), '#!/bin/sh\necho\n', { mode: 0o755 });
  assert.equal(await commandInterpreter(['./build.sh'], { cwd: root, env: { PATH } }), null, 'not Python');
});

test('`uv run` runs the project environment, `--python` wins; `conda run -p` runs that prefix', async () => {
  fs.writeFileSync(path.join(root, 'pyproject.toml'), '[project]\nname = "x"\nversion = "0"\n');
  const sub = path.join(root, 'src');
  fs.mkdirSync(sub, { recursive: true });
  const uv = await commandInterpreter(['uv', 'run', '--with', 'rich', 'python', 'x.py'], { cwd: sub, env: { PATH } });
  assert.equal(uv?.executable, path.join(venv, 'bin', 'python'));
  assert.match(uv?.detail ?? '', /pyproject\.toml/);
  const pinned = await commandInterpreter(['uv', 'run', '--python', 'other/bin/python', 'x.py'], {
    cwd: root,
    env: { PATH },
  });
  assert.equal(pinned?.executable, path.join(other, 'bin', 'python'));
  const projectEnv = await commandInterpreter(['uv', 'run', 'train.py'], {
    cwd: root,
    env: { PATH, UV_PROJECT_ENVIRONMENT: 'other' },
  });
  assert.equal(projectEnv?.executable, path.join(other, 'bin', 'python'));
  const conda = await commandInterpreter(['conda', 'run', '-p', other, 'python', 'x.py'], { cwd: root, env: { PATH } });
  assert.equal(conda?.executable, path.join(other, 'bin', 'python'));
  assert.match(conda?.detail ?? '', /conda run/);
});

test('a command that is not there, or no command, gives nothing', async () => {
  assert.equal(await commandInterpreter(['no-such-thing'], { cwd: root, env: { PATH } }), null);
  assert.equal(await commandInterpreter([], { cwd: root, env: { PATH } }), null);
});
