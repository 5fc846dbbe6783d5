import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParamValue } from '../../../../shared/src/runs';
import { argvParams, configFilesNamed, scriptArguments } from './ArgvParams';

/** The params as name → value, in order (every source is `argv`). */
function values(argv: string[]): [string, ParamValue][] {
  const params = argvParams(argv);
  assert.ok(params.every((p) => p.source === 'argv'));
  return params.map((p) => [p.name, p.value]);
}

test('argparse style: `=` and spaced values, short options, switches and a positional', () => {
  assert.deepEqual(values(['python', 'train.py', '--lr', '0.01', '--epochs=3', '-b', '64', '--amp', 'data/']), [
    ['lr', 0.01],
    ['epochs', 3],
    ['b', 64],
    ['amp', true],
    ['arg1', 'data/'],
  ]);
});

test('values are typed: ints, floats, booleans any case, null/None, else strings', () => {
  assert.deepEqual(
    values([
      'python3',
      'train.py',
      '--a=1e-3',
      '--b=-2',
      '--c=TRUE',
      '--d=false',
      '--e=null',
      '--f=None',
      '--g=adam',
      '--h=007',
      '--i=123456789012345678901',
      '--j=',
      '--k=0.50',
      '--l=1_000',
    ]),
    [
      ['a', 0.001],
      ['b', -2],
      ['c', true],
      ['d', false],
      ['e', null],
      ['f', null],
      ['g', 'adam'],
      ['h', '007'],
      ['i', '123456789012345678901'],
      ['j', ''],
      ['k', 0.5],
      ['l', 1000],
    ],
  );
});

test('flags: at the end, before another option, `--no-x`, and negative numbers as values', () => {
  assert.deepEqual(
    values(['python', 'train.py', '--verbose', '--no-cuda', 'out/', '--shift', '-1.5', '--debug', '--fp16', 'True']),
    [
      ['verbose', true],
      ['no-cuda', true],
      ['arg1', 'out/'],
      ['shift', -1.5],
      ['debug', true],
      ['fp16', true],
    ],
  );
  assert.deepEqual(values(['python', 'train.py', '-v', '-n5', '-lr', '0.1', '--resume']), [
    ['v', true],
    ['n', 5],
    ['lr', 0.1],
    ['resume', true],
  ]);
});

test('a run of numbers after an option is one list (nargs); a repeated option keeps its last value', () => {
  assert.deepEqual(values(['python', 'train.py', '--milestones', '30', '60', '90', '--tag', 'a', '--tag', 'b']), [
    ['milestones', [30, 60, 90]],
    ['tag', 'b'],
  ]);
});

test('Hydra overrides: plain, `+`, `++`, `~` skipped, lists, dicts, quoted, sweeps kept as strings', () => {
  assert.deepEqual(values(['python', 'train.py', 'model=resnet', 'optimizer.lr=1e-3', '+seed=1']), [
    ['model', 'resnet'],
    ['optimizer.lr', 0.001],
    ['seed', 1],
  ]);
  assert.deepEqual(
    values([
      'python',
      'train.py',
      '-m',
      '++trainer.devices=[0,1]',
      '~callbacks.early_stop',
      'data.aug={flip:true,scale:[0.5,2]}',
      "name='my run'",
      'lr=0.1,0.01',
      'db@backup=mysql',
      'hydra/launcher=joblib',
    ]),
    [
      ['m', true],
      ['trainer.devices', [0, 1]],
      ['data.aug', { flip: true, scale: [0.5, 2] }],
      ['name', 'my run'],
      ['lr', '0.1,0.01'],
      ['db@backup', 'mysql'],
      ['hydra/launcher', 'joblib'],
    ],
  );
});

test('the program and script are not parameters; positionals are numbered; `--` ends options', () => {
  assert.deepEqual(values(['./train.py', 'a.csv', '3', '--', '--literal']), [
    ['arg1', 'a.csv'],
    ['arg2', 3],
    ['arg3', '--literal'],
  ]);
  assert.deepEqual(values(['python']), []);
  assert.deepEqual(values([]), []);
  assert.deepEqual(values(['python', '-c', 'import sys; print(sys.argv)', 'x']), [['arg1', 'x']]);
});

test('wrappers are looked through: uv run, conda run, env, python -m, launchers', () => {
  const expected: [string, ParamValue][] = [['lr', 0.1]];
  const lines = [
    ['uv', 'run', 'train.py', '--lr', '0.1'],
    ['uv', 'run', '--with', 'torch', '--python', '3.11', 'python', 'train.py', '--lr', '0.1'],
    ['uv', 'run', '-m', 'pkg.train', '--lr', '0.1'],
    ['conda', 'run', '-n', 'ml', '--no-capture-output', 'python', 'train.py', '--lr', '0.1'],
    ['micromamba', 'run', '-p', '/envs/x', 'python', '-u', 'train.py', '--lr', '0.1'],
    ['env', 'CUDA_VISIBLE_DEVICES=0', 'python3', 'train.py', '--lr', '0.1'],
    ['/home/me/.venv/bin/python3.11', '-X', 'dev', '-Wignore', 'train.py', '--lr', '0.1'],
    ['python', '-m', 'pkg.train', '--lr', '0.1'],
    ['python', '-um', 'pkg.train', '--lr', '0.1'],
    ['python', '-m', 'torch.distributed.run', '--nproc_per_node', '2', 'train.py', '--lr', '0.1'],
    ['torchrun', '--nproc-per-node=2', 'train.py', '--lr', '0.1'],
    ['accelerate', 'launch', '--num_processes', '2', 'train.py', '--lr', '0.1'],
    ['poetry', 'run', 'python', 'train.py', '--lr', '0.1'],
    ['trainer', '--lr', '0.1'],
  ];
  for (const argv of lines) assert.deepEqual(values(argv), expected, argv.join(' '));
  assert.deepEqual(scriptArguments(['uv', 'run', 'python', 'train.py', 'x']), ['x']);
});

test('configFilesNamed: config options, config=, positional YAML, Hydra path + name; not outputs', () => {
  const argv = [
    'python',
    'train.py',
    '--config',
    'conf/train.yaml',
    '-c',
    'x.yml',
    'config=/abs/a.json',
    'extra.yaml',
    '--out',
    'results.json',
    '--config_file',
    'conf/train.yaml',
    '--config-path',
    'conf',
    '--config-name',
    'main',
    '--cfg',
    'notes.txt',
  ];
  assert.deepEqual(configFilesNamed(argv, '/proj'), [
    '/proj/conf/train.yaml',
    '/proj/x.yml',
    '/abs/a.json',
    '/proj/extra.yaml',
    '/proj/conf/main.yaml',
  ]);
});

test("configFilesNamed: the interpreter's -c is code, not a config; wrappers are looked through", () => {
  assert.deepEqual(configFilesNamed(['python', '-c', 'x.yaml'], '/p'), []);
  assert.deepEqual(configFilesNamed(['uv', 'run', 'train.py', '-c', 'cfg/a.YAML'], '/p'), ['/p/cfg/a.YAML']);
  assert.deepEqual(configFilesNamed(['python', 'train.py', '--lr', '1'], '/p'), []);
});
