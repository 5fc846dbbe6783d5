import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InterpreterSource } from '../../../shared/src/domain';
import type { Pin } from '../../../shared/src/environmentExport';
import type { TransferProgress } from '../../../shared/src/protocol';
import type { ReproduceResult } from '../../../shared/src/reproduce';
import {
  defaultReproduceDir,
  differenceLines,
  exportedMessage,
  exportTargets,
  flaggedDetails,
  flaggedSentence,
  folderPathProblem,
  formatPickItems,
  FOUND_BY_WORDS,
  foundByWords,
  indexUrlProblem,
  interpreterLine,
  overwriteQuestion,
  ReproduceProgress,
  reproduceLog,
  reproduceSentence,
  sourcePickItems,
} from './environment';

function result(p: Partial<ReproduceResult>): ReproduceResult {
  return {
    dir: '/work/demo-train-2-env',
    recordedPython: '3.11.2',
    python: { executable: '/usr/bin/python3.11', version: '3.11.2', how: '/usr/bin/python3.11', exactVersion: true },
    identical: true,
    matching: 3,
    differences: [],
    commands: [['/work/demo-train-2-env/bin/python', '-m', 'pip', 'install', '-r', '/tmp/req file.txt']],
    ...p,
  };
}

function progress(p: Partial<TransferProgress>): TransferProgress {
  return {
    phase: 'install',
    objectsDone: 0,
    objectsTotal: 0,
    bytesDone: 0,
    bytesTotal: 0,
    bytesPerSecond: 0,
    secondsLeft: 0,
    ...p,
  };
}

test('every way of finding the interpreter has words, and the interpreter line uses them', () => {
  const sources: InterpreterSource[] = [
    'configured',
    'run',
    'editor',
    'live-kernel',
    'notebook-metadata',
    'kernelspec',
    'lineage',
    'virtualenv',
    'VIRTUAL_ENV',
    'conda',
    'path',
  ];
  assert.deepEqual(Object.keys(FOUND_BY_WORDS).sort(), [...sources].sort());
  assert.equal(foundByWords('configured'), 'the project setting');
  assert.equal(foundByWords('run'), 'mlsnap run');
  assert.equal(foundByWords('editor'), "the editor's kernel");
  assert.equal(foundByWords('live-kernel'), 'a running Jupyter kernel');
  assert.equal(foundByWords('notebook-metadata'), "the notebook's metadata");
  assert.equal(foundByWords('kernelspec'), "the notebook's kernelspec");
  assert.equal(foundByWords('lineage'), 'the notebook/script that wrote it');
  assert.equal(foundByWords('virtualenv'), 'the project venv');
  assert.equal(foundByWords('path'), 'python3 on PATH');
  // A source a newer daemon added is shown as it is, not as "undefined".
  assert.equal(foundByWords('pixi'), 'pixi');
  assert.equal(foundByWords('toString'), 'toString');
  assert.equal(
    interpreterLine({ executable: '/usr/bin/python3', foundBy: 'kernelspec' }),
    "/usr/bin/python3 — found by the notebook's kernelspec",
  );
});

test('the format picker lists the five formats in the daemon order, each with a description', () => {
  const items = formatPickItems();
  assert.deepEqual(
    items.map((i) => [i.format, i.label]),
    [
      ['requirements', 'requirements.txt'],
      ['conda', 'environment.yml'],
      ['uv', 'pyproject.toml'],
      ['dockerfile', 'Dockerfile'],
      ['devcontainer', '.devcontainer/'],
    ],
  );
  for (const i of items) assert.ok(i.detail.length > 10 && !i.detail.includes('\n'), i.label);
  assert.equal(items.find((i) => i.format === 'uv')?.description, 'uv');
});

test('export targets stay inside the folder', () => {
  assert.deepEqual(
    exportTargets('/tmp/out/', [
      { path: '.devcontainer/devcontainer.json', content: '{}' },
      { path: './.devcontainer/uv.lock', content: 'x' },
    ]),
    [
      { file: '/tmp/out/.devcontainer/devcontainer.json', rel: '.devcontainer/devcontainer.json', content: '{}' },
      { file: '/tmp/out/.devcontainer/uv.lock', rel: '.devcontainer/uv.lock', content: 'x' },
    ],
  );
  assert.equal(exportTargets('/', [{ path: 'requirements.txt', content: '' }])[0]?.file, '/requirements.txt');
  for (const bad of ['../evil.txt', 'a/../../b', '/etc/passwd', 'C:\\x', ''])
    assert.throws(() => exportTargets('/tmp/out', [{ path: bad, content: '' }]), /refusing to write/, bad);
});

test('export messages: what was written where, the overwrite question, pins left out', () => {
  assert.equal(
    exportedMessage('train.ipynb@2', '/tmp/out', ['requirements.txt']),
    'Exported requirements.txt (the environment of train.ipynb@2) to /tmp/out',
  );
  assert.equal(
    exportedMessage('m.pt@1', '/o', ['.devcontainer/devcontainer.json', '.devcontainer/Dockerfile']),
    'Exported .devcontainer/devcontainer.json and .devcontainer/Dockerfile (the environment of m.pt@1) to /o',
  );
  assert.equal(
    exportedMessage('m.pt@1', '/o', ['a', 'b', 'c', 'd']),
    'Exported a, b and 2 more files (the environment of m.pt@1) to /o',
  );
  assert.equal(overwriteQuestion(['requirements.txt'], '/o'), 'requirements.txt already exists in /o. Overwrite it?');
  assert.equal(overwriteQuestion(['a', 'b'], '/o'), 'a and b already exist in /o. Overwrite them?');
  assert.equal(
    overwriteQuestion(['a', 'b', 'c', 'd', 'e'], '/o'),
    'a, b, c and 2 more already exist in /o. Overwrite them?',
  );
  assert.equal(flaggedSentence(1), '1 pin no package index can give was left out (commented in the file)');
  assert.equal(flaggedSentence(3), '3 pins no package index can give were left out (commented in the file)');
  const pin: Pin = {
    name: 'torch',
    version: '2.1.0a0+gitabc',
    requirement: 'torch==2.1.0a0+gitabc',
    problem: { kind: 'local-version', reason: 'A local build.', instead: 'Use torch==2.1.0.' },
  };
  assert.equal(
    flaggedDetails('train.ipynb@2', [pin]),
    'pins of train.ipynb@2 no package index can give (left out, commented in the exported file):\n' +
      '  torch==2.1.0a0+gitabc: A local build. Instead: Use torch==2.1.0.',
  );
});

test('reproduce: where to install from, with the configured wheels folder offered when set', () => {
  assert.deepEqual(
    sourcePickItems().map((i) => [i.source, i.label]),
    [
      ['default', 'The default package index'],
      ['wheels', 'A folder of wheels… (offline)'],
      ['index', 'Another index URL…'],
    ],
  );
  assert.deepEqual(
    sourcePickItems('/srv/wheels').map((i) => i.source),
    ['default', 'setting', 'wheels', 'index'],
  );
  assert.equal(sourcePickItems('/srv/wheels')[1]?.description, '/srv/wheels');
  assert.deepEqual(
    sourcePickItems('  ').map((i) => i.source),
    ['default', 'wheels', 'index'],
  );
  assert.equal(indexUrlProblem('https://pypi.example.com/simple'), null);
  assert.match(indexUrlProblem('ftp://x') ?? '', /http/);
  assert.match(indexUrlProblem('pypi') ?? '', /index URL/);
  assert.equal(folderPathProblem('/home/me/env'), null);
  assert.match(folderPathProblem('env') ?? '', /absolute/);
  assert.match(folderPathProblem(' ') ?? '', /absolute path/);
});

test('reproduce: the default folder is a new one beside the project', () => {
  assert.equal(defaultReproduceDir('/work/demo', 'train.ipynb', 2), '/work/demo-train-2-env');
  assert.equal(defaultReproduceDir('/work/demo/', 'models/mlp v2.pt', 7), '/work/demo-mlp-v2-7-env');
  assert.equal(defaultReproduceDir('/demo', 'Makefile', 1), '/demo-Makefile-1-env');
});

test('reproduce: the result sentence, the differences table and the log', () => {
  assert.equal(reproduceSentence(result({})), 'Reproduced: 3 packages identical to the record');
  assert.equal(
    reproduceSentence(
      result({
        python: { executable: '/usr/bin/python3', version: '3.11.9', how: 'python3 on PATH', exactVersion: false },
      }),
    ),
    'Reproduced: 3 packages identical to the record (Python 3.11.9: the recorded 3.11.2 was not found)',
  );
  const differing = result({
    identical: false,
    matching: 1,
    differences: [
      { name: 'torch', status: 'missing', recorded: '2.1.0+cu121', reason: 'no index has it' },
      { name: 'numpy', status: 'different', recorded: '1.24.0', installed: '1.26.4' },
      { name: 'six', status: 'extra', installed: '1.16.0' },
    ],
  });
  assert.equal(reproduceSentence(differing), 'Reproduced with 3 differences (1 missing, 1 different, 1 extra)');
  assert.equal(
    differenceLines('train.ipynb@2', differing),
    [
      "differences between train.ipynb@2's record and /work/demo-train-2-env:",
      '  status     name   recorded     installed  reason',
      '  missing    torch  2.1.0+cu121  —          no index has it',
      '  different  numpy  1.24.0       1.26.4',
      '  extra      six    —            1.16.0',
    ].join('\n'),
  );
  assert.match(differenceLines('x@1', result({})), /: none$/);
  const log = reproduceLog('train.ipynb@2', differing);
  assert.match(log, /^reproduced train\.ipynb@2 in \/work\/demo-train-2-env: Reproduced with 3 differences/);
  assert.match(log, /python: \/usr\/bin\/python3\.11 \(3\.11\.2, \/usr\/bin\/python3\.11\); recorded 3\.11\.2/);
  assert.match(log, /ran: \/work\/demo-train-2-env\/bin\/python -m pip install -r '\/tmp\/req file\.txt'$/);
});

test('reproduce progress: each phase moves the bar within its span, never back', () => {
  const t = new ReproduceProgress();
  assert.deepEqual(t.next(progress({ phase: 'python' })), { message: 'Finding Python 0/0 packages' });
  assert.equal(t.next(progress({ phase: 'venv', objectsDone: 1, objectsTotal: 1 })).increment, 15);
  const half = t.next(progress({ phase: 'install', objectsDone: 5, objectsTotal: 10, message: 'numpy' }));
  assert.equal(half.message, 'Installing 5/10 packages · numpy');
  assert.equal(half.increment, 37);
  assert.equal(t.next(progress({ phase: 'install', objectsDone: 5, objectsTotal: 10 })).increment, undefined);
  assert.equal(t.next(progress({ phase: 'verify', objectsDone: 10, objectsTotal: 10 })).increment, 48);
  assert.equal(t.next(progress({ phase: 'install', objectsDone: 0, objectsTotal: 10 })).increment, undefined);
  // Transfer phases (not a reproduction's) only change the text.
  assert.equal(
    new ReproduceProgress().next(progress({ phase: 'upload', objectsTotal: 2, objectsDone: 1 })).increment,
    undefined,
  );
});
