import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Blake3Hasher } from '@napi-rs/blake-hash';
import type { ModelDiff, TensorInfo } from '../../../../shared/src/diff';
import { MlsnapError } from '../../../../shared/src/errors';
import { diffToText } from '../../../../shared/src/diffFormat';
import { detectModelFormat, diffModels, modelSummaryLine, summarizeModel } from './ModelDiff';
import { expectInvalid, fixture, tempDir, write } from './models.testkit';

const ALL_FIXTURES: [string, string][] = [
  ['mlp_h32.pt', 'pytorch'],
  ['mlp_h64.pt', 'pytorch'],
  ['legacy.pt', 'pytorch'],
  ['mlp_h32.onnx', 'onnx'],
  ['mlp_h64.onnx', 'onnx'],
  ['mlp_h32.safetensors', 'safetensors'],
  ['mlp_h64.safetensors', 'safetensors'],
  ['logreg.joblib', 'pickle'],
  ['logreg_c2.joblib', 'pickle'],
  ['logreg_zlib.joblib', 'pickle'],
  ['evil.pkl', 'pickle'],
  ['tiny.keras', 'keras'],
  ['tiny.gguf', 'gguf'],
  ['make_models.py', 'unknown'],
];

function head(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(64);
    return b.subarray(0, fs.readSync(fd, b, 0, 64, 0));
  } finally {
    fs.closeSync(fd);
  }
}

test('detectModelFormat: every fixture, by its bytes and its name', () => {
  for (const [name, format] of ALL_FIXTURES)
    assert.equal(detectModelFormat(fixture(name), head(fixture(name))), format, name);
  // Content wins over a misleading name where the signature is strong...
  assert.equal(detectModelFormat('x.bin', head(fixture('tiny.gguf'))), 'gguf');
  assert.equal(detectModelFormat('x.bin', head(fixture('mlp_h32.pt'))), 'pytorch');
  assert.equal(detectModelFormat('x.keras', head(fixture('mlp_h32.pt'))), 'keras');
  assert.equal(detectModelFormat('x.dat', head(fixture('legacy.pt'))), 'pytorch');
  assert.equal(detectModelFormat('x.pt', head(fixture('evil.pkl'))), 'pickle');
  assert.equal(detectModelFormat('x.h5', Buffer.from('\x89HDF\r\n\x1a\n', 'latin1')), 'unknown');
  // ...and without a known extension the weaker signatures are sniffed.
  assert.equal(detectModelFormat('model', head(fixture('mlp_h32.safetensors'))), 'safetensors');
  assert.equal(detectModelFormat('model', head(fixture('mlp_h32.onnx'))), 'onnx');
  assert.equal(detectModelFormat('model', head(fixture('evil.pkl'))), 'pickle');
  assert.equal(detectModelFormat('model', head(fixture('logreg_zlib.joblib'))), 'unknown');
  assert.equal(detectModelFormat('model', Buffer.alloc(0)), 'unknown');
  // A name the content contradicts goes to that format's parser, which refuses it clearly.
  assert.equal(detectModelFormat('x.safetensors', Buffer.from('GIF89a')), 'safetensors');
});

test('diffing any fixture with itself: no change, every tensor unchanged', async () => {
  for (const [name, format] of ALL_FIXTURES) {
    const d = await diffModels(fixture(name), fixture(name));
    assert.equal(d.format, format, name);
    assert.equal(d.bytesCompared, true, name);
    assert.ok(
      d.tensors.every((t) => t.status === 'unchanged'),
      name,
    );
    assert.deepEqual(d.factChanges, {}, name);
    assert.equal(d.paramsBefore, d.paramsAfter);
    const line = modelSummaryLine(d);
    if (name === 'evil.pkl') assert.equal(line, 'no change; dangerous pickle globals: posix.system');
    else assert.equal(line, 'no change', name);
  }
});

test('identical copies at other paths: no change, proven when bytes are compared', async () => {
  const dir = tempDir('copies');
  for (const [name] of ALL_FIXTURES) {
    const copy = path.join(dir, name);
    fs.copyFileSync(fixture(name), copy);
    const d = await diffModels(fixture(name), copy, { compareBytes: true });
    assert.ok(
      d.tensors.every((t) => t.status === 'unchanged'),
      name,
    );
    assert.deepEqual(d.factChanges, {}, name);
    assert.match(modelSummaryLine(d), /^no change/, name);
  }
});

test('the same model in three formats: same tensor names and shapes', async () => {
  const shapes = async (f: string): Promise<[string, number[]][]> =>
    (await summarizeModel(fixture(f))).tensors.map((t) => [t.name, t.shape]);
  const pt = await shapes('mlp_h64.pt');
  assert.deepEqual(await shapes('mlp_h64.onnx'), pt);
  assert.deepEqual(await shapes('mlp_h64.safetensors'), pt);
  const d = await diffModels(fixture('mlp_h32.pt'), fixture('mlp_h64.safetensors'));
  assert.deepEqual(d.factChanges['format'], ['pytorch', 'safetensors']);
  assert.equal(d.paramsAfter - d.paramsBefore, 416);
});

test('the summary line: dimension, signed params with separators, counts of each status', () => {
  const t = (name: string, shape: number[], dtype = 'float32'): TensorInfo => ({
    name,
    dtype,
    shape,
    params: shape.reduce((a, b) => a * b, 1),
  });
  const base = (over: Partial<ModelDiff>): ModelDiff => ({
    type: 'model',
    format: 'safetensors',
    before: { format: 'safetensors', size: 0, facts: {}, tensors: [], warnings: [] },
    after: { format: 'safetensors', size: 0, facts: {}, tensors: [], warnings: [] },
    tensors: [],
    paramsBefore: 0,
    paramsAfter: 0,
    factChanges: {},
    bytesCompared: true,
    ...over,
  });
  const d = base({
    tensors: [
      { name: 'a', status: 'reshaped', before: t('a', [32, 8]), after: t('a', [64, 8]) },
      { name: 'b', status: 'reshaped', before: t('b', [4, 32]), after: t('b', [4, 64]) },
      { name: 'c', status: 'added', after: t('c', [2146]) },
      { name: 'd', status: 'retyped', before: t('d', [3]), after: t('d', [3], 'float16') },
    ],
    paramsBefore: 384,
    paramsAfter: 2794,
  });
  assert.equal(
    modelSummaryLine(d),
    'hidden 32→64: +2,410 params; 2 tensors reshaped; 1 tensor added; 1 tensor retyped',
  );
  const shrink = base({
    tensors: [
      { name: 'a', status: 'reshaped', before: t('a', [1000, 1000]), after: t('a', [10, 1000]) },
      { name: 'r', status: 'removed', before: t('r', [5]) },
    ],
    paramsBefore: 1_000_005,
    paramsAfter: 10_000,
  });
  assert.equal(modelSummaryLine(shrink), 'hidden 1000→10: \u2212990,005 params; 1 tensor reshaped; 1 tensor removed');
  const twoDims = base({
    tensors: [{ name: 'a', status: 'reshaped', before: t('a', [2, 3]), after: t('a', [4, 5]) }],
    paramsBefore: 6,
    paramsAfter: 20,
  });
  assert.equal(modelSummaryLine(twoDims), 'dims 2→4, 3→5: +14 params; 1 tensor reshaped');
  const rank = base({
    tensors: [{ name: 'a', status: 'reshaped', before: t('a', [6]), after: t('a', [2, 3]) }],
    paramsBefore: 6,
    paramsAfter: 6,
  });
  assert.equal(modelSummaryLine(rank), '1 tensor reshaped');
  const changed = base({ tensors: [{ name: 'a', status: 'changed', before: t('a', [6]), after: t('a', [6]) }] });
  assert.equal(modelSummaryLine(changed), '1 tensor changed');
  assert.equal(modelSummaryLine(base({})), 'no change');
  assert.equal(
    modelSummaryLine(base({ factChanges: { 'param.C': ['1.0', '2.0'], 'param.tol': ['0.0001', '0.001'] } })),
    'C 1.0→2.0; tol 0.0001→0.001',
  );
  assert.equal(
    modelSummaryLine(base({ factChanges: { a: ['1', '2'], b: [null, 'x'], c: ['y', null] } })),
    '3 facts changed',
  );
  assert.equal(
    modelSummaryLine(base({ factChanges: { producer: ['pytorch 1.13.0', 'pytorch 2.1.0'] } })),
    'producer pytorch 1.13.0→pytorch 2.1.0',
  );
});

test('unknown binaries: size and BLAKE3, a changed byte is a change', async () => {
  const dir = tempDir('unknown');
  const a = write(dir, 'weights.dat', Buffer.alloc(3 * 1024 * 1024 + 5, 1));
  const bBuf = Buffer.alloc(3 * 1024 * 1024 + 5, 1);
  bBuf[2 * 1024 * 1024] = 2;
  const b = write(dir, 'weights2.dat', bBuf);
  const s = await summarizeModel(a);
  assert.equal(s.format, 'unknown');
  assert.equal(s.facts['size'], '3,145,733 bytes');
  // Streamed in 1 MiB pieces, the hash equals the one-shot hash of the whole file.
  assert.equal(s.facts['blake3'], new Blake3Hasher().update(fs.readFileSync(a)).digest('hex'));
  const d = await diffModels(a, b);
  assert.deepEqual(Object.keys(d.factChanges), ['blake3']);
  const same = await diffModels(a, write(dir, 'copy.dat', Buffer.alloc(3 * 1024 * 1024 + 5, 1)));
  assert.equal(modelSummaryLine(same), 'no change');
});

test('missing files, folders and FIFOs are clear errors, never a hang', async () => {
  const dir = tempDir('special');
  await assert.rejects(
    summarizeModel(path.join(dir, 'nope.pt')),
    (e: unknown) => e instanceof MlsnapError && e.kind === 'not-found' && e.message.includes('nope.pt'),
  );
  const sub = path.join(dir, 'folder.safetensors');
  fs.mkdirSync(sub);
  await expectInvalid(() => summarizeModel(sub), sub, { match: /not a regular file/ });
  const fifo = path.join(dir, 'pipe.pkl');
  execFileSync('mkfifo', [fifo]);
  await expectInvalid(() => summarizeModel(fifo), fifo, { match: /not a regular file/ });
  await expectInvalid(() => diffModels(fixture('evil.pkl'), fifo), fifo, { match: /not a regular file/ });
});

test("a wrong signature under a model extension is refused by that format's parser", async () => {
  const dir = tempDir('wrong-magic');
  const gif = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(200, 7)]);
  for (const [name, re] of [
    ['a.safetensors', /header length .* (beyond|exceeds)/],
    ['a.gguf', /not a GGUF file/],
    ['a.keras', /not a Keras archive/],
    ['a.pt', /not a torch\.save file/],
    ['a.onnx', /corrupt protobuf|truncated or corrupt|not an ONNX model/],
    ['a.pkl', /unknown opcode/],
  ] as [string, RegExp][]) {
    const file = write(dir, name, gif);
    await expectInvalid(() => summarizeModel(file), file, { match: re });
    await expectInvalid(() => diffModels(fixture('tiny.gguf'), file), file, { match: re });
  }
});

test('content-addressed copies without extensions: names drive detection, identical skips the work', async () => {
  const dir = tempDir('blobs');
  const blob = (name: string): string => {
    const p = path.join(dir, new Blake3Hasher().update(fs.readFileSync(fixture(name))).digest('hex'));
    fs.copyFileSync(fixture(name), p);
    return p;
  };
  const [z, p32, p64] = [blob('logreg_zlib.joblib'), blob('mlp_h32.pt'), blob('mlp_h64.pt')];
  assert.equal((await summarizeModel(z)).format, 'unknown');
  const s = await summarizeModel(z, { name: 'models/logreg.joblib' });
  assert.equal(s.facts['estimator'], 'sklearn.linear_model._logistic.LogisticRegression');
  const d = await diffModels(p32, p64, { names: ['models/mlp.pt', 'models/mlp.pt'] });
  assert.match(modelSummaryLine(d), /^hidden 32→64: \+416 params/);
  const copy = path.join(dir, 'tmp-copy');
  fs.copyFileSync(p32, copy);
  const same = await diffModels(p32, copy, { names: ['mlp.pt', 'mlp.pt'], identical: true });
  assert.equal(same.bytesCompared, true);
  assert.equal(modelSummaryLine(same), 'no change');
});

test('pickle summaries: no "0 → 0 parameters" for models without tensors, and a global name is never cut', () => {
  const names = [
    'sklearn.linear_model._logistic.LogisticRegression',
    'numpy._core.multiarray._reconstruct',
    'numpy.dtype',
    'builtins.slice',
  ];
  const summary = (globals: string): ModelDiff['before'] => ({
    format: 'pickle',
    size: 10,
    facts: { globals },
    tensors: [],
    warnings: [],
  });
  const d: ModelDiff = {
    type: 'model',
    format: 'pickle',
    before: summary(names[0] as string),
    after: summary(names.join(', ')),
    tensors: [],
    paramsBefore: 0,
    paramsAfter: 0,
    factChanges: { globals: [names[0] as string, names.join(', ')] },
    bytesCompared: false,
  };
  const line = modelSummaryLine(d);
  assert.ok(line.includes('sklearn.linear_model._logistic.LogisticRegression'), line);
  assert.match(line, /\+\d more/);
  for (const part of line.split(/[→,;]\s*/)) {
    const name = part
      .replace(/^globals /, '')
      .replace(/ \+\d more$/, '')
      .trim();
    if (name.includes('.')) assert.ok(names.includes(name), `"${name}" is a cut name`);
  }
  const text = diffToText({
    path: 'm.pkl',
    before: { ref: 'm.pkl@1', seq: 1 },
    after: { ref: 'm.pkl@2', seq: 2 },
    summary: line,
    file: d,
    environment: null,
    identical: false,
  });
  assert.doesNotMatch(text, /0 → 0 parameters/);
  assert.match(text, /^model \(pickle\)$/m);
});
