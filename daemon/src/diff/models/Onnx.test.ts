import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { ReadStats } from './FileSource';
import { diffModels, modelSummaryLine, summarizeModel } from './ModelDiff';
import { EXPECTED, expectInvalid, fixture, tempDir, write } from './models.testkit';

interface OnnxExpected {
  ir_version: number;
  producer: string;
  opsets: [string, number][];
  op_counts: Record<string, number>;
  initializers: Record<string, { dims: number[]; data_type: number }>;
  inputs: Record<string, (string | number)[]>;
  outputs: Record<string, (string | number)[]>;
}

/** Reads the same facts with the onnx package (loading protobuf is not executing anything). */
function fromOnnxPackage(file: string): Pick<OnnxExpected, 'ir_version' | 'opsets' | 'op_counts'> {
  const code = `
import collections, json, sys, onnx
m = onnx.load(sys.argv[1])
print(json.dumps({"ir_version": m.ir_version, "opsets": [[o.domain or "ai.onnx", o.version] for o in m.opset_import],
                  "op_counts": dict(collections.Counter(n.op_type for n in m.graph.node))}))
`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', code, file], { encoding: 'utf8' })) as Pick<
    OnnxExpected,
    'ir_version' | 'opsets' | 'op_counts'
  >;
}

for (const h of [32, 64]) {
  test(`mlp_h${h}.onnx: opset, producer, ir_version, op counts, inputs/outputs and initializers match onnx`, async () => {
    const name = `mlp_h${h}.onnx`;
    const exp = EXPECTED[name] as OnnxExpected;
    const live = fromOnnxPackage(fixture(name));
    assert.deepEqual(live, { ir_version: exp.ir_version, opsets: exp.opsets, op_counts: exp.op_counts });
    const s = await summarizeModel(fixture(name));
    assert.equal(s.format, 'onnx');
    assert.equal(s.facts['ir_version'], String(live.ir_version));
    assert.equal(s.facts['producer'], exp.producer);
    assert.equal(s.facts['opset'], live.opsets.map(([d, v]) => `${d} ${v}`).join(', '));
    assert.deepEqual(s.opCounts, live.op_counts);
    assert.equal(s.facts['nodes'], String(Object.values(live.op_counts).reduce((a, b) => a + b, 0)));
    for (const [n, dims] of Object.entries(exp.inputs))
      assert.equal(s.facts[`input.${n}`], `float32 [${dims.join(', ')}]`);
    for (const [n, dims] of Object.entries(exp.outputs))
      assert.equal(s.facts[`output.${n}`], `float32 [${dims.join(', ')}]`);
    assert.deepEqual(
      Object.fromEntries(s.tensors.map((t) => [t.name, { dims: t.shape, data_type: t.dtype === 'float32' ? 1 : -1 }])),
      exp.initializers,
    );
    assert.deepEqual(
      s.tensors.map((t) => t.name),
      ['0.weight', '0.bias', '2.weight', '2.bias'],
    );
  });
}

test('h32 vs h64 .onnx: reshaped initializers, +416 params, "32→64", same graph', async () => {
  const d = await diffModels(fixture('mlp_h32.onnx'), fixture('mlp_h64.onnx'));
  assert.equal(d.format, 'onnx');
  assert.deepEqual(
    d.tensors.map((t) => [t.name, t.status]),
    [
      ['0.weight', 'reshaped'],
      ['0.bias', 'reshaped'],
      ['2.weight', 'reshaped'],
      ['2.bias', 'unchanged'],
    ],
  );
  assert.equal(d.paramsAfter - d.paramsBefore, 416);
  assert.deepEqual(d.factChanges, {});
  assert.equal(modelSummaryLine(d), 'hidden 32→64: +416 params; 3 tensors reshaped');
  const b = await diffModels(fixture('mlp_h32.onnx'), fixture('mlp_h64.onnx'), { compareBytes: true });
  assert.equal(b.bytesCompared, true);
  assert.equal(b.tensors[3]?.status, 'changed');
});

test('ONNX initializer payloads are skipped, not read: a 64 MiB raw_data costs a few KB', async () => {
  const dir = tempDir('onnx-big');
  // Splice a big initializer into the graph at the wire level: TensorProto{dims, data_type, name, raw_data}.
  const varint = (n: number): Buffer => {
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    out.push(n);
    return Buffer.from(out);
  };
  const field = (num: number, payload: Buffer): Buffer =>
    Buffer.concat([varint(num * 8 + 2), varint(payload.length), payload]);
  const raw = 64 * 1024 * 1024;
  const tensorHead = Buffer.concat([
    Buffer.from([0x08]),
    varint(16 * 1024 * 1024),
    Buffer.from([0x10, 0x01]),
    field(8, Buffer.from('big.weight')),
    varint(9 * 8 + 2),
    varint(raw),
  ]);
  const tensorLen = tensorHead.length + raw;
  const graphHead = Buffer.concat([field(2, Buffer.from('g')), varint(5 * 8 + 2), varint(tensorLen)]);
  const graphLen = graphHead.length + tensorHead.length + raw;
  const model = Buffer.concat([
    Buffer.from([0x08, 0x07]),
    field(2, Buffer.from('test')),
    field(8, Buffer.from([0x10, 0x0d])),
    varint(7 * 8 + 2),
    varint(graphLen),
    graphHead,
    tensorHead,
  ]);
  const file = `${dir}/big.onnx`;
  fs.writeFileSync(file, model);
  fs.truncateSync(file, model.length + raw); // the payload is a hole
  const stats: ReadStats = { bytesRead: 0, reads: 0 };
  const s = await summarizeModel(file, { stats });
  assert.deepEqual(s.tensors, [
    { name: 'big.weight', dtype: 'float32', shape: [16 * 1024 * 1024], params: 16 * 1024 * 1024 },
  ]);
  assert.equal(s.facts['opset'], 'ai.onnx 13');
  assert.ok(stats.bytesRead < 600 * 1024, `read ${stats.bytesRead} bytes`);
});

test('bad ONNX files are invalid-file errors naming the file, fast', async () => {
  const dir = tempDir('onnx-bad');
  const good = fs.readFileSync(fixture('mlp_h32.onnx'));
  const cases: [string, Buffer, RegExp][] = [
    ['empty.onnx', Buffer.alloc(0), /empty file/],
    ['truncated.onnx', good.subarray(0, good.length - 300), /truncated or corrupt: ModelProto field 7/],
    ['truncated-early.onnx', good.subarray(0, 10), /truncated or corrupt/],
    [
      'text.onnx',
      Buffer.from('this is not protobuf at all, just text\n'),
      /corrupt protobuf|truncated|not an ONNX model/,
    ],
    ['no-graph.onnx', Buffer.from([0x08, 0x07, 0x12, 0x01, 0x61]), /no graph/],
    ['bad-wire.onnx', Buffer.from([0x0f, 0x00]), /wire type 7/],
    ['huge-length.onnx', Buffer.from([0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f]), /runs past its end/],
    [
      'long-varint.onnx',
      Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      /longer than 10 bytes/,
    ],
    ['bad-node.onnx', Buffer.from([0x3a, 0x04, 0x0a, 0x02, 0x0a, 0x05]), /corrupt ONNX node|runs past/],
  ];
  for (const [name, data, re] of cases) {
    const file = write(dir, name, data);
    await expectInvalid(() => summarizeModel(file), file, { match: re });
  }
});
