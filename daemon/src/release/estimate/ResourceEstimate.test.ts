import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelSummary, TensorInfo } from '../../../../shared/src/diff';
import { summarizeModel } from '../../diff/models/ModelDiff';
import { buildGguf, EXPECTED, fixture, tempDir, write } from '../../diff/models/models.testkit';
import { ONNX_DTYPES } from '../../diff/models/Onnx';
import { DTYPE_BYTES } from '../../diff/models/pickle/torch';
import {
  CUDA_CONTEXT_BYTES,
  dtypeStorage,
  ESTIMATE_BASIS,
  estimateResources,
  RUNTIME_OVERHEAD_BYTES,
} from './ResourceEstimate';

const MiB = 1024 * 1024;
const PYTHON = '/usr/bin/python3';
const DEMO_NOTEBOOK = path.join(__dirname, '..', '..', '..', '..', 'examples', 'demo', 'train.ipynb');

function tensor(name: string, dtype: string, shape: number[]): TensorInfo {
  return { name, dtype, shape, params: shape.reduce((a, b) => a * b, 1) };
}

function summary(format: ModelSummary['format'], tensors: TensorInfo[], warnings: string[] = []): ModelSummary {
  return { format, size: 1, facts: {}, tensors, warnings };
}

test('safetensors dtypes, in the parser spelling and the file spelling, are sized and keyed as named', () => {
  const e = estimateResources(
    summary('safetensors', [
      tensor('a', 'float32', [10, 10]),
      tensor('b', 'F32', [5]),
      tensor('c', 'BF16', [8]),
      tensor('d', 'F8_E4M3', [16]),
      tensor('e', 'I64', [2]),
      tensor('f', 'float8_e8m0fnu', [3]),
    ]),
  );
  assert.equal(e.parameters, 100 + 5 + 8 + 16 + 2 + 3);
  assert.deepEqual(e.bytesByDtype, { float32: 400, F32: 20, BF16: 16, F8_E4M3: 16, I64: 16, float8_e8m0fnu: 3 });
  assert.equal(e.weightBytes, 400 + 20 + 16 + 16 + 16 + 3);
  assert.equal(e.partial, undefined);
  assert.equal(e.basis, ESTIMATE_BASIS);
});

test('torch and numpy dtypes use the pickle parser sizes, packed quantized torch dtypes share bytes', () => {
  const e = estimateResources(
    summary('pytorch', [
      tensor('w', 'float16', [4, 4]),
      tensor('steps', 'int64', [1]),
      tensor('mask', 'bool', [7]),
      tensor('q', 'quint4x2', [5]),
      tensor('z', 'complex128', [2]),
    ]),
  );
  assert.deepEqual(e.bytesByDtype, { float16: 32, int64: 8, bool: 7, quint4x2: 3, complex128: 32 });
  assert.equal(e.parameters, 16 + 1 + 7 + 5 + 2);
  for (const [dtype, bytes] of Object.entries(DTYPE_BYTES))
    assert.deepEqual(dtypeStorage(dtype), { blockElements: 1, blockBytes: bytes }, dtype);
});

test('every ONNX tensor type the parser names has a size, except string', () => {
  const unsized = Object.values(ONNX_DTYPES).filter((d) => dtypeStorage(d) === null);
  assert.deepEqual(unsized, ['string']);
  const e = estimateResources(summary('onnx', [tensor('w4', 'int4', [3, 3]), tensor('f', 'float8_e5m2fnuz', [4])]));
  assert.deepEqual(e.bytesByDtype, { int4: 5, float8_e5m2fnuz: 4 });
});

test('gguf quantized blocks: bytes per block over elements per block, in either case', () => {
  const e = estimateResources(
    summary('gguf', [
      tensor('blk.0.attn_q.weight', 'q4_0', [4, 64]),
      tensor('blk.0.ffn_up.weight', 'Q4_K', [2, 256]),
      tensor('blk.0.ffn_down.weight', 'q6_k', [256]),
      tensor('blk.1.attn_k.weight', 'q8_0', [32]),
      tensor('blk.1.attn_v.weight', 'iq4_xs', [256]),
      tensor('token_embd.weight', 'float16', [10]),
    ]),
  );
  assert.deepEqual(e.bytesByDtype, { q4_0: 8 * 18, Q4_K: 2 * 144, q6_k: 210, q8_0: 34, iq4_xs: 136, float16: 20 });
  assert.equal(e.parameters, 256 + 512 + 256 + 32 + 256 + 10);
  assert.equal(e.weightBytes, 144 + 288 + 210 + 34 + 136 + 20);
});

/** Rewrites the ggml type of tensor `name` in a GGUF buffer (buildGguf writes float32 only). */
function setGgmlType(gguf: Buffer, name: string, dims: number, type: number): void {
  const at = gguf.indexOf(Buffer.from(name)) + name.length + 4 + 8 * dims;
  gguf.writeUInt32LE(type, at);
}

test('a quantized GGUF file parsed by summarizeModel: q4_0 and q4_k sized by their blocks', async () => {
  const data = buildGguf(
    [['general.architecture', 'str', 'tiny']],
    [
      { name: 'blk.0.attn_q.weight', shape: [2, 32] },
      { name: 'blk.0.ffn_up.weight', shape: [1, 256] },
    ],
  );
  setGgmlType(data, 'blk.0.attn_q.weight', 2, 2);
  setGgmlType(data, 'blk.0.ffn_up.weight', 2, 12);
  const file = write(tempDir('estimate-gguf'), 'q.gguf', data);
  const s = await summarizeModel(file);
  assert.deepEqual(
    s.tensors.map((t) => t.dtype),
    ['q4_0', 'q4_k'],
  );
  const e = estimateResources(s);
  assert.equal(e.parameters, 64 + 256);
  assert.deepEqual(e.bytesByDtype, { q4_0: 36, q4_k: 144 });
  assert.equal(e.partial, undefined);
});

test('an unknown dtype: its parameters count, its bytes do not, and partial names it', () => {
  const e = estimateResources(
    summary(
      'gguf',
      [tensor('a', 'float32', [4]), tensor('b', 'ggml_type_99', [8]), tensor('c', 'object', [2])],
      ['tensor "b": unknown ggml type 99'],
    ),
  );
  assert.equal(e.parameters, 14);
  assert.equal(e.weightBytes, 16);
  assert.deepEqual(e.bytesByDtype, { float32: 16 });
  assert.equal(e.partial, 'byte size unknown for dtype ggml_type_99, object (10 parameters counted, their bytes not)');
});

test('serving figures: weights + 20% + 256 MiB RAM, weights × 1.2 + 512 MiB GPU, stated in basis', () => {
  const e = estimateResources(summary('safetensors', [tensor('w', 'float32', [1024, 1024])]));
  assert.equal(e.weightBytes, 4 * MiB);
  assert.equal(e.servingBytes, 4 * MiB + Math.ceil(0.8 * MiB) + 256 * MiB);
  assert.equal(e.gpuBytes, Math.ceil(4.8 * MiB) + 512 * MiB);
  assert.equal(RUNTIME_OVERHEAD_BYTES, 256 * MiB);
  assert.equal(CUDA_CONTEXT_BYTES, 512 * MiB);
  assert.match(e.basis, /weights \+ 20% \+ 256 MiB/);
  assert.match(e.basis, /weights × 1\.2 \+ 512 MiB/);
  assert.match(e.basis, /not measured/);
});

test('warnings: a truncated parse makes it partial, safety notes about loading do not', () => {
  const tensors = [tensor('w', 'float32', [2])];
  const safe = estimateResources(
    summary('pickle', tensors, ['posix.system would execute code when loaded', "loading would call posix.system('x')"]),
  );
  assert.equal(safe.partial, undefined);
  const cut = estimateResources(
    summary('onnx', tensors, ['initializer of 3.0 GiB skipped (over the 64.0 MiB cap)', 'no ir_version']),
  );
  assert.equal(cut.partial, 'the parser reported: initializer of 3.0 GiB skipped (over the 64.0 MiB cap)');
  assert.equal(cut.parameters, 2);
});

test('format unknown, or no tensors: parameters 0 and partial says nothing could be counted', () => {
  const h5 = estimateResources(
    summary('unknown', [], ['HDF5 (.h5) files are not parsed: only size and hash are compared']),
  );
  assert.equal(h5.parameters, 0);
  assert.equal(h5.weightBytes, 0);
  assert.equal(h5.servingBytes, 256 * MiB);
  assert.match(
    h5.partial ?? '',
    /^nothing could be counted: the unknown file lists no tensors; the parser reported: HDF5/,
  );
  assert.match(estimateResources(summary('keras', [])).partial ?? '', /^nothing could be counted/);
});

test('sklearn bookkeeping arrays (classes_, n_iter_) are not parameters; in a torch file the name counts', () => {
  const arrays = [
    tensor('classes_', 'int64', [3]),
    tensor('n_iter_', 'int32', [1]),
    tensor('coef_', 'float64', [3, 4]),
    tensor('intercept_', 'float64', [3]),
    tensor('steps[1][1].classes_', 'int64', [3]),
  ];
  const e = estimateResources(summary('pickle', arrays));
  assert.equal(e.parameters, 15);
  assert.deepEqual(e.bytesByDtype, { float64: 120 });
  assert.equal(estimateResources(summary('pytorch', arrays)).parameters, 3 + 1 + 12 + 3 + 3);
});

for (const h of [32, 64]) {
  test(`fixtures mlp_h${h} (.pt, .onnx, .safetensors): parameters as torch counted them, 4 bytes each`, async () => {
    const params = (EXPECTED[`mlp_h${h}.pt`] as { params: number }).params;
    const header = (EXPECTED[`mlp_h${h}.safetensors`] as { header: Record<string, { data_offsets?: number[] }> })
      .header;
    // The safetensors header's byte ranges are the file's own word on how many bytes the weights take.
    const headerBytes = Object.values(header).reduce(
      (sum, t) => sum + (t.data_offsets ? (t.data_offsets[1] ?? 0) - (t.data_offsets[0] ?? 0) : 0),
      0,
    );
    assert.equal(headerBytes, params * 4);
    for (const ext of ['pt', 'onnx', 'safetensors']) {
      const e = estimateResources(await summarizeModel(fixture(`mlp_h${h}.${ext}`)));
      assert.equal(e.parameters, params, ext);
      assert.equal(e.weightBytes, params * 4, ext);
      assert.deepEqual(e.bytesByDtype, { float32: params * 4 }, ext);
      assert.equal(e.partial, undefined, ext);
    }
  });
}

test('fixture joblib LogisticRegressions: coef_.size + intercept_.size parameters, float64', async () => {
  for (const name of ['logreg.joblib', 'logreg_c2.joblib', 'logreg_zlib.joblib']) {
    const arrays = (EXPECTED[name] as { arrays: Record<string, { shape: number[] }> }).arrays;
    const size = (a: string): number => (arrays[a]?.shape ?? [NaN]).reduce((x, y) => x * y, 1);
    const params = size('coef_') + size('intercept_');
    const e = estimateResources(await summarizeModel(fixture(name)));
    assert.equal(e.format, 'pickle', name);
    assert.equal(e.parameters, params, name);
    assert.deepEqual(e.bytesByDtype, { float64: params * 8 }, name);
    assert.equal(e.partial, undefined, name);
  }
});

test('fixture tiny.gguf: float32 and float16 tensors', async () => {
  const e = estimateResources(await summarizeModel(fixture('tiny.gguf')));
  assert.equal(e.parameters, 16 * 8 + 8);
  assert.deepEqual(e.bytesByDtype, { float32: 16 * 8 * 4, float16: 8 * 2 });
});

test('fixtures the parsers cannot count (keras, legacy torch, an evil pickle) are partial with 0 parameters', async () => {
  for (const name of ['tiny.keras', 'legacy.pt', 'evil.pkl']) {
    const e = estimateResources(await summarizeModel(fixture(name)));
    assert.equal(e.parameters, 0, name);
    assert.match(e.partial ?? '', /^nothing could be counted/, name);
  }
  const legacy = estimateResources(await summarizeModel(fixture('legacy.pt')));
  assert.match(legacy.partial ?? '', /legacy torch format not supported/);
});

// ---------------------------------------------------------------------------------------------
// The demo's models, written by the demo notebook's own code, against what torch and sklearn count

interface DemoCounts {
  missing?: string[];
  mlp: { params: number; bytes: number };
  logreg: { params: number; bytes: number };
}

/**
 * Runs every code cell of the demo notebook in `dir` (so the models are the notebook's, whatever
 * its HIDDEN or layers become), then prints what torch and sklearn count. The modules are checked
 * first so a machine without them fails with the line that installs them.
 */
const DEMO_SCRIPT = `
import importlib.util, json, sys
missing = [m for m in ("torch", "sklearn", "joblib", "matplotlib") if importlib.util.find_spec(m) is None]
if missing:
    print(json.dumps({"missing": missing}))
    sys.exit(0)
ns = {}
for cell in json.load(open(sys.argv[1]))["cells"]:
    if cell["cell_type"] == "code":
        exec(compile("".join(cell["source"]), "train.ipynb", "exec"), ns)
model, clf = ns["model"], ns["clf"]
print(json.dumps({
    "mlp": {"params": sum(p.numel() for p in model.parameters()),
            "bytes": sum(p.numel() * p.element_size() for p in model.parameters())},
    "logreg": {"params": int(clf.coef_.size + clf.intercept_.size),
               "bytes": int(clf.coef_.nbytes + clf.intercept_.nbytes)},
}))
`;

const APT_PACKAGES: Record<string, string> = {
  torch: 'python3-torch',
  sklearn: 'python3-sklearn',
  joblib: 'python3-joblib',
  matplotlib: 'python3-matplotlib',
};

function runDemoNotebook(dir: string): DemoCounts {
  assert.ok(fs.existsSync(PYTHON), `${PYTHON} is missing: apt-get install python3 python3-torch python3-sklearn`);
  const out = execFileSync(PYTHON, ['-c', DEMO_SCRIPT, DEMO_NOTEBOOK], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, MPLBACKEND: 'Agg', PYTHONDONTWRITEBYTECODE: '1' },
    timeout: 120_000,
  });
  const counts = JSON.parse(out.trim().split('\n').pop() ?? '{}') as DemoCounts;
  const missing = counts.missing ?? [];
  const apt = missing.map((m) => APT_PACKAGES[m] ?? `python3-${m}`).join(' ');
  assert.deepEqual(missing, [], `${PYTHON} lacks ${missing.join(', ')}: apt-get install ${apt}`);
  return counts;
}

test("the demo notebook's mlp.pt, mlp.onnx and logreg.joblib: parameters as torch and sklearn count them", async () => {
  const dir = tempDir('estimate-demo');
  const counts = runDemoNotebook(dir);
  const models = path.join(dir, 'models');
  assert.ok(counts.mlp.params > 0 && counts.logreg.params > 0, JSON.stringify(counts));
  for (const file of ['mlp.pt', 'mlp.onnx']) {
    const e = estimateResources(await summarizeModel(path.join(models, file)));
    assert.equal(e.parameters, counts.mlp.params, file);
    assert.equal(e.weightBytes, counts.mlp.bytes, file);
    assert.equal(e.weightBytes, counts.mlp.params * 4, `${file}: float32`);
    assert.deepEqual(e.bytesByDtype, { float32: counts.mlp.params * 4 }, file);
    assert.equal(e.partial, undefined, file);
  }
  const logreg = estimateResources(await summarizeModel(path.join(models, 'logreg.joblib')));
  assert.equal(logreg.parameters, counts.logreg.params);
  assert.equal(logreg.weightBytes, counts.logreg.bytes);
  assert.equal(logreg.partial, undefined);
});
