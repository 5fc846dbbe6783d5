import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { notebookParams } from './NotebookParams';

const DEMO = path.join(__dirname, '..', '..', '..', '..', 'examples', 'demo', 'train.ipynb');

function demo(): { cells: Record<string, unknown>[]; metadata: unknown } {
  return JSON.parse(fs.readFileSync(DEMO, 'utf8')) as { cells: Record<string, unknown>[]; metadata: unknown };
}

function code(source: string | string[], tags: string[] = []): Record<string, unknown> {
  return { cell_type: 'code', source, metadata: tags.length > 0 ? { tags } : {}, outputs: [], execution_count: null };
}

function markdown(source: string): Record<string, unknown> {
  return { cell_type: 'markdown', source, metadata: {} };
}

function notebook(cells: Record<string, unknown>[], language = 'python'): unknown {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language } },
    cells,
  };
}

test('the demo notebook: its tagged parameters cell, and nothing from the training cells', () => {
  assert.deepEqual(notebookParams(demo()), [
    { name: 'HIDDEN', value: 32, source: 'parameters cell' },
    { name: 'EPOCHS', value: 5, source: 'parameters cell' },
    { name: 'SEED', value: 0, source: 'parameters cell' },
  ]);
});

test('the demo notebook untagged: top-level literals of every cell; accumulators and computed names left out', () => {
  const nb = demo();
  for (const cell of nb.cells) cell.metadata = {};
  // Cell 5 has `history = []` and computes `model`, `optimizer`...; cell 8 builds `metrics` from names.
  assert.deepEqual(notebookParams(nb), [
    { name: 'HIDDEN', value: 32, source: 'cell 2' },
    { name: 'EPOCHS', value: 5, source: 'cell 2' },
    { name: 'SEED', value: 0, source: 'cell 2' },
  ]);
});

test('papermill: the injected-parameters cell overrides the defaults, new names appended', () => {
  const nb = notebook([
    markdown('# Sweep'),
    code(['# Parameters\n', 'alpha = 0.1\n', 'ratio = 0.5\n', "optimizer = 'sgd'\n"], ['parameters']),
    code(['# Parameters\n', 'alpha = 0.6\n', 'extra = [1, 2]\n'], ['injected-parameters']),
    code('import numpy as np\nOTHER = 3\n'),
  ]);
  assert.deepEqual(notebookParams(nb), [
    { name: 'alpha', value: 0.6, source: 'injected-parameters cell' },
    { name: 'ratio', value: 0.5, source: 'parameters cell' },
    { name: 'optimizer', value: 'sgd', source: 'parameters cell' },
    { name: 'extra', value: [1, 2], source: 'injected-parameters cell' },
  ]);
});

test('papermill: an injected cell alone is read too', () => {
  const nb = notebook([code('x = 1'), code('lr = 0.01', ['injected-parameters'])]);
  assert.deepEqual(notebookParams(nb), [{ name: 'lr', value: 0.01, source: 'injected-parameters cell' }]);
});

test('untagged: a later assignment wins and takes the source; a later computed value removes the name', () => {
  const nb = notebook([
    markdown('intro'),
    code('LR = 0.1\nCONFIG = {"depth": 4, "act": "relu"}\nmodel = None'),
    markdown('more'),
    code('LR = 0.01\nmodel = build(CONFIG)\n'),
    code('if True:\n    LR = 5\n__version__ = "1.0"\n'),
  ]);
  assert.deepEqual(notebookParams(nb), [
    { name: 'LR', value: 0.01, source: 'cell 4' },
    { name: 'CONFIG', value: { depth: 4, act: 'relu' }, source: 'cell 2' },
  ]);
});

test('values spelled in over 1 KiB and dunder names are not parameters', () => {
  const big = `[${Array.from({ length: 400 }, (_, i) => i).join(', ')}]`;
  const nb = notebook([code(`TABLE = ${big}\n__all__ = ["x"]\nSMALL = 1`, ['parameters'])]);
  assert.deepEqual(notebookParams(nb), [{ name: 'SMALL', value: 1, source: 'parameters cell' }]);
});

test('markdown cells are never read, and a non-Python notebook has no parameters here', () => {
  assert.deepEqual(notebookParams(notebook([markdown('X = 1'), code('Y = 2')])), [
    { name: 'Y', value: 2, source: 'cell 2' },
  ]);
  assert.deepEqual(notebookParams(notebook([code('alpha = 0.1', ['parameters'])], 'R')), []);
});

test('anything that is not a notebook gives no parameters', () => {
  for (const doc of [null, 42, 'x', [], {}, { cells: 'nope' }, { cells: [null, 1, { cell_type: 'code' }] }]) {
    assert.deepEqual(notebookParams(doc), []);
  }
});
