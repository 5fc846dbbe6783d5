import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelspecFromText, summarizeNotebook } from './Notebook';
import {
  environmentNameOf,
  interpreterCandidates,
  interpreterPathHash,
  metadataMatches,
  pyvenvVersion,
  sameVersion,
} from './NotebookInterpreter';

function tempDir(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mlsnap-nbinterp-')));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A real venv (without pip: fast), as `python3 -m venv` makes it. */
function venv(dir: string): void {
  execFileSync('/usr/bin/python3', ['-m', 'venv', '--without-pip', dir]);
}

const NO_HOME = { PATH: '/usr/bin:/bin' };

test('display names: the environment they name, or none for the generic ones', () => {
  assert.equal(environmentNameOf('.venv'), '.venv');
  assert.equal(environmentNameOf('.venv (Python 3.11.2)'), '.venv');
  assert.equal(environmentNameOf('ml-env (3.10.4)'), 'ml-env');
  assert.equal(environmentNameOf('Python [conda env:torch2]'), 'torch2');
  for (const generic of ['Python 3', 'Python 3 (ipykernel)', 'python3', 'Python', 'ipykernel']) {
    assert.equal(environmentNameOf(generic), null, generic);
  }
});

test("VS Code's interpreter hash is the sha256 of the path's text", () => {
  // The value vscode-jupyter's own tests expect for Uri.file('a').
  assert.equal(interpreterPathHash('/a'), '6a50dc8584134c7de537c0052ff6d236bf874355e050c90523e0c5ff2a543a28');
});

test('versions match to the precision language_info gives', () => {
  assert.ok(sameVersion('3.11.2', '3.11.2'));
  assert.ok(sameVersion('3.11', '3.11.7'));
  assert.ok(!sameVersion('3.11.2', '3.11.7'));
  assert.ok(!sameVersion('3.9.18', '3.11.2'));
});

test('metadata, parsed whole or from the tail of a huge notebook, includes the hash and the version', () => {
  const metadata = {
    kernelspec: { name: 'python3', display_name: '.venv', language: 'python' },
    language_info: { codemirror_mode: { name: 'ipython', version: 3 }, name: 'python', version: '3.11.2' },
    vscode: { interpreter: { hash: 'ab'.repeat(32) } },
  };
  const parsed = summarizeNotebook({ nbformat: 4, metadata, cells: [] });
  const fromText = kernelspecFromText(JSON.stringify({ cells: [], metadata }, null, 1));
  for (const nb of [parsed, fromText]) {
    assert.equal(nb?.kernelDisplayName, '.venv');
    assert.equal(nb?.interpreterHash, 'ab'.repeat(32));
    assert.equal(nb?.languageVersion, '3.11.2');
  }
});

test("candidates put the project's venvs first, and the hash or the display name picks one", () => {
  const root = tempDir();
  venv(path.join(root, '.venv'));
  venv(path.join(root, 'other-env'));
  return interpreterCandidates(root, NO_HOME).then(async (candidates) => {
    assert.deepEqual(
      candidates.slice(0, 2).map((c) => c.envName),
      ['.venv', 'other-env'],
    );
    assert.ok(
      candidates.some((c) => c.prefix === '/usr'),
      'the system Python is a candidate',
    );
    const python = path.join(root, 'other-env', 'bin', 'python');
    const byHash = metadataMatches(
      {
        kernelDisplayName: 'Python 3',
        interpreterHash: createHash('sha256').update(python).digest('hex'),
        languageVersion: null,
      },
      candidates,
    );
    assert.equal(byHash[0]?.executable, python);
    assert.match(byHash[0]?.evidence ?? '', /sha256 of/);
    const byName = metadataMatches(
      { kernelDisplayName: '.venv', interpreterHash: null, languageVersion: null },
      candidates,
    );
    assert.equal(byName[0]?.executable, path.join(root, '.venv', 'bin', 'python'));
    assert.deepEqual(
      metadataMatches(
        { kernelDisplayName: 'Python 3', interpreterHash: 'cd'.repeat(32), languageVersion: null },
        candidates,
      ),
      [],
    );
    assert.equal(await pyvenvVersion(path.join(root, '.venv')), '3.11.2');
  });
});
