import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelDiff, ModelSummary, VersionDiff } from '../../../shared/src/diff';
import { diffHtml, esc } from './diffHtml';

const summary = (tensors: ModelSummary['tensors']): ModelSummary => ({
  format: 'safetensors',
  size: 1,
  facts: {},
  tensors,
  warnings: [],
});

function modelDiff(): VersionDiff {
  const w32 = { name: '0.weight', dtype: 'F32', shape: [32, 8], params: 256 };
  const w64 = { name: '0.weight', dtype: 'F32', shape: [64, 8], params: 512 };
  const b = { name: '2.bias', dtype: 'F32', shape: [4], params: 4 };
  const file: ModelDiff = {
    type: 'model',
    format: 'safetensors',
    before: summary([w32, b]),
    after: summary([w64, b]),
    tensors: [
      { name: '2.bias', status: 'unchanged', before: b, after: b },
      { name: '0.weight', status: 'reshaped', before: w32, after: w64 },
    ],
    paramsBefore: 260,
    paramsAfter: 516,
    factChanges: { '__metadata__.note': ['<old>', 'new'] },
    bytesCompared: false,
  };
  return {
    path: 'm.safetensors',
    before: { ref: 'm.safetensors@1', seq: 1 },
    after: { ref: 'm.safetensors@2', seq: 2 },
    summary: 'hidden 32→64: +256 params',
    file,
    environment: null,
    identical: false,
  };
}

test('changed tensors come first; unchanged ones are collapsed', () => {
  const html = diffHtml(modelDiff(), { cspSource: 'vscode-webview:' });
  const reshaped = html.indexOf('0.weight');
  const details = html.indexOf('<details>');
  assert.ok(reshaped > 0 && details > reshaped, 'the reshaped tensor is listed before the collapsed section');
  assert.ok(html.indexOf('2.bias') > details, 'the unchanged tensor is inside <details>');
  assert.match(html, /\+256/);
  assert.match(html, /hidden 32→64/);
});

test('no scripts may run and text is escaped', () => {
  const html = diffHtml(modelDiff(), { cspSource: 'vscode-webview:' });
  assert.match(html, /default-src 'none'/);
  assert.doesNotMatch(html, /<script/i);
  assert.ok(html.includes('&lt;old&gt;'));
  assert.equal(esc(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('the environment-only view says when nothing changed', () => {
  const d = {
    ...modelDiff(),
    environment: {
      type: 'environment' as const,
      python: null,
      interpreter: null,
      packages: [],
      machine: {},
      gpu: null,
      git: null,
    },
  };
  const html = diffHtml(d, { cspSource: 'x', environmentOnly: true });
  assert.match(html, /No change in interpreter, packages, machine, GPU or git/);
  assert.doesNotMatch(html, /Tensors:/);
});
