import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MlsnapError } from '../../../../shared/src/errors';
import type { ParamValue } from '../../../../shared/src/runs';
import { configFileParams } from './ConfigFileParams';

function values(relPath: string, text: string): [string, ParamValue][] {
  const params = configFileParams(relPath, text);
  assert.ok(params.every((p) => p.source === relPath));
  return params.map((p) => [p.name, p.value]);
}

test('YAML: nested mappings flatten with dots, lists stay values', () => {
  const yaml = [
    'model:',
    '  name: resnet',
    '  depth: 50',
    '  blocks: [3, 4, 6, 3]',
    'optimizer:',
    '  lr: 1.0e-3',
    '  betas: [0.9, 0.999]',
    'augment:',
    '  - {name: flip, p: 0.5}',
    '  - {name: crop}',
    'seed: 1',
    'resume: null',
    'amp: true',
    'extra: {}',
  ].join('\n');
  assert.deepEqual(values('conf/train.yaml', yaml), [
    ['model.name', 'resnet'],
    ['model.depth', 50],
    ['model.blocks', [3, 4, 6, 3]],
    ['optimizer.lr', 0.001],
    ['optimizer.betas', [0.9, 0.999]],
    ['augment', [{ name: 'flip', p: 0.5 }, { name: 'crop' }]],
    ['seed', 1],
    ['resume', null],
    ['amp', true],
    ['extra', {}],
  ]);
});

test('JSON by extension, deep nesting flattened', () => {
  const json = JSON.stringify({ train: { batch: 64, sched: { kind: 'cosine', warmup: 500 } }, tags: ['a', 'b'] });
  assert.deepEqual(values('params.json', json), [
    ['train.batch', 64],
    ['train.sched.kind', 'cosine'],
    ['train.sched.warmup', 500],
    ['tags', ['a', 'b']],
  ]);
});

test("Hydra's .hydra/config.yaml and .hydra/overrides.yaml", () => {
  const config = [
    'model:',
    '  _target_: models.ResNet',
    '  depth: 18',
    'optimizer:',
    '  lr: 0.001',
    'trainer:',
    '  max_epochs: 10',
    '  devices: ${oc.env:DEVICES,1}',
    'seed: 1',
  ].join('\n');
  assert.deepEqual(values('outputs/2024-05-01/12-00-00/.hydra/config.yaml', config), [
    ['model._target_', 'models.ResNet'],
    ['model.depth', 18],
    ['optimizer.lr', 0.001],
    ['trainer.max_epochs', 10],
    ['trainer.devices', '${oc.env:DEVICES,1}'],
    ['seed', 1],
  ]);
  const overrides = "- model=resnet\n- optimizer.lr=1e-3\n- +seed=1\n- ~trainer.logger\n- 'tags=[a,b]'\n";
  assert.deepEqual(values('outputs/x/.hydra/overrides.yaml', overrides), [
    ['model', 'resnet'],
    ['optimizer.lr', 0.001],
    ['seed', 1],
    ['tags', ['a', 'b']],
  ]);
});

test('values JSON cannot hold become strings; `__proto__` stays a key', () => {
  assert.deepEqual(values('a.yml', 'best: .inf\nworst: -.inf\nodd: .nan\n__proto__: {x: 1}\n'), [
    ['best', 'Infinity'],
    ['worst', '-Infinity'],
    ['odd', 'NaN'],
    ['__proto__.x', 1],
  ]);
});

test('an empty file or a root that is not a mapping has no parameters', () => {
  assert.deepEqual(values('empty.yaml', ''), []);
  assert.deepEqual(values('comment.yaml', '# nothing\n'), []);
  assert.deepEqual(values('list.json', '[1, 2]'), []);
  assert.deepEqual(values('scalar.yaml', 'just text'), []);
});

test('a broken file throws invalid-file naming the path', () => {
  const cases: [string, string][] = [
    ['conf/broken.yaml', 'model:\n  depth: [1, 2\n'],
    ['conf/dup.yml', 'a: 1\na: 2\n'],
    ['conf/broken.json', '{"lr": 0.1,'],
    ['conf/train.toml', 'lr = 0.1'],
    // Nested past what the yaml package and the flattening can recurse through.
    ['conf/deep.yaml', `${'['.repeat(20_000)}${']'.repeat(20_000)}`],
    ['conf/deep.json', `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`],
  ];
  for (const [relPath, text] of cases) {
    assert.throws(
      () => configFileParams(relPath, text),
      (err: unknown) =>
        err instanceof MlsnapError &&
        err.kind === 'invalid-file' &&
        err.path === relPath &&
        err.message.includes(relPath),
      relPath,
    );
  }
});
