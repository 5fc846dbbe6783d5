import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { InterpreterFactsCache } from '../env/PythonInterpreter';
import { envWith, tempDir } from '../env/env.testkit';
import { findPython } from './PythonFinder';

const tmp = tempDir('pyfind');
after(tmp.cleanup);

/** Debian's python3.11 (3.11.2) and what /usr/bin and /bin give; pyenv as the test lays it out. */
function find(version: string, pyenvRoot: string) {
  const env = envWith({ PYENV_ROOT: pyenvRoot, PATH: '/usr/bin:/bin' });
  return findPython(version, { env, facts: new InterpreterFactsCache(env), timeoutMs: 15_000 });
}

const emptyPyenv = path.join(tmp.dir, 'no-pyenv');
mkdirSync(path.join(emptyPyenv, 'versions'), { recursive: true });

describe('findPython (real interpreters: Debian python3.11)', () => {
  test('the exact version: /usr/bin/python3.11 for 3.11.2', async () => {
    assert.deepEqual(await find('3.11.2', emptyPyenv), {
      executable: '/usr/bin/python3.11',
      version: '3.11.2',
      how: '/usr/bin/python3.11',
      exactVersion: true,
    });
  });

  test('only the same major.minor: used, and said to be inexact', async () => {
    const found = await find('3.11.9', emptyPyenv);
    assert.ok(!('miss' in found), JSON.stringify(found));
    assert.equal(found.version, '3.11.2');
    assert.equal(found.exactVersion, false);
  });

  test('a pyenv build comes first, and one interpreter found twice is listed once', async () => {
    const root = path.join(tmp.dir, 'pyenv');
    mkdirSync(path.join(root, 'versions', '3.11.2', 'bin'), { recursive: true });
    symlinkSync('/usr/bin/python3.11', path.join(root, 'versions', '3.11.2', 'bin', 'python3'));
    const found = await find('3.11.2', root);
    assert.ok(!('miss' in found), JSON.stringify(found));
    assert.equal(found.how, 'pyenv 3.11.2');
    assert.equal(found.exactVersion, true);

    const miss = await find('3.4.1', root);
    assert.ok('miss' in miss);
    assert.equal((miss.miss.match(/3\.11\.2/g) ?? []).length, 1, miss.miss);
    assert.ok(miss.miss.includes('3.11.2 (pyenv)'), miss.miss);
  });

  test('none of that major.minor: a miss naming what was found and how to install the one wanted', async () => {
    const found = await find('3.4.1', emptyPyenv);
    assert.ok('miss' in found);
    assert.equal(
      found.miss,
      'no Python 3.4 here: found 3.11.2 (/usr/bin/python3.11); install 3.4.1 with `pyenv install 3.4.1` or `uv python install 3.4.1`',
    );
  });

  test('a version that is no version is a miss that says so', async () => {
    const found = await find('unknown', emptyPyenv);
    assert.ok('miss' in found);
    assert.match(found.miss, /not a version number/);
  });
});
