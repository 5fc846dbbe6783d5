import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_INCLUDE, kindOfPath } from './domain';
import { extensionOf, fileKindSpec, FILE_KINDS, lensExtensions } from './fileKinds';

test('kinds come from the one table, case-insensitively', () => {
  assert.equal(kindOfPath('nb/Train.IPYNB'), 'notebook');
  for (const ext of ['pt', 'pth', 'ckpt', 'safetensors', 'onnx', 'joblib', 'pkl', 'h5', 'keras', 'gguf'])
    assert.equal(kindOfPath(`m/x.${ext}`), 'model', ext);
  for (const ext of ['json', 'csv', 'yaml', 'yml']) assert.equal(kindOfPath(`metrics.${ext}`), 'metrics', ext);
  assert.equal(kindOfPath('README'), 'other');
  assert.equal(kindOfPath('.hidden'), 'other');
  assert.equal(extensionOf('a.b/c'), '');
});

test('no extension is claimed by two kinds; the default include and lenses follow the table', () => {
  const seen = new Set<string>();
  for (const k of FILE_KINDS)
    for (const e of k.extensions) {
      assert.ok(!seen.has(e), e);
      seen.add(e);
    }
  assert.ok(DEFAULT_INCLUDE.some((g) => g.includes('safetensors') && g.includes('gguf')));
  assert.deepEqual(lensExtensions(), [
    'pt',
    'pth',
    'ckpt',
    'safetensors',
    'onnx',
    'joblib',
    'pkl',
    'h5',
    'keras',
    'gguf',
    'json',
    'csv',
  ]);
  assert.equal(fileKindSpec('x.ipynb').diff, 'notebook');
  assert.equal(fileKindSpec('x.bin').diff, 'binary');
  assert.equal(fileKindSpec('x.onnx').compress, false);
  assert.equal(fileKindSpec('x.ipynb').compress, true);
});
