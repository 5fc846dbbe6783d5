import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { diffModels, modelSummaryLine, summarizeModel } from './ModelDiff';
import type { ReadStats } from './FileSource';
import { EXPECTED, expectInvalid, fixture, tempDir, write } from './models.testkit';

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const DTYPE: Record<string, string> = { F32: 'float32', F64: 'float64', F16: 'float16', I64: 'int64' };

/** A safetensors file whose only tensor claims `bytes` of data; the data itself is a hole. */
function sparseSafetensors(file: string, name: string, shape: number[], dtype = 'F32', elsize = 4): void {
  const bytes = shape.reduce((a, b) => a * b, 1) * elsize;
  const header = Buffer.from(
    JSON.stringify({ __metadata__: { note: 'sparse' }, [name]: { dtype, shape, data_offsets: [0, bytes] } }),
  );
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  fs.writeFileSync(file, Buffer.concat([len, header]));
  fs.truncateSync(file, 8 + header.length + bytes);
}

for (const h of [32, 64]) {
  test(`mlp_h${h}.safetensors: tensors and metadata match the header the fixture script wrote`, async () => {
    const name = `mlp_h${h}.safetensors`;
    const exp = EXPECTED[name] as { header: Record<string, HeaderEntry | Record<string, string>> };
    const s = await summarizeModel(fixture(name));
    assert.equal(s.format, 'safetensors');
    assert.equal(s.size, fs.statSync(fixture(name)).size);
    assert.deepEqual(s.warnings, []);
    const { __metadata__: meta, ...tensors } = exp.header;
    const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name);
    assert.deepEqual(
      [...s.tensors].sort(byName),
      Object.entries(tensors)
        .map(([n, e]) => {
          const t = e as HeaderEntry;
          return { name: n, dtype: DTYPE[t.dtype], shape: t.shape, params: t.shape.reduce((a, b) => a * b, 1) };
        })
        .sort(byName),
    );
    for (const [k, v] of Object.entries(meta as Record<string, string>)) assert.equal(s.facts[`metadata.${k}`], v);
    // The architecture: Linear(8,H) -> ReLU -> Linear(H,4).
    assert.deepEqual(
      s.tensors.map((t) => [t.name, t.shape]),
      [
        ['0.weight', [h, 8]],
        ['0.bias', [h]],
        ['2.weight', [4, h]],
        ['2.bias', [4]],
      ],
    );
  });
}

test('h32 vs h64: three tensors reshaped, +416 params (13 × 32), the summary names 32→64', async () => {
  const d = await diffModels(fixture('mlp_h32.safetensors'), fixture('mlp_h64.safetensors'));
  assert.equal(d.format, 'safetensors');
  const params = (h: number): number => 8 * h + h + 4 * h + 4;
  assert.equal(d.paramsBefore, params(32));
  assert.equal(d.paramsAfter, params(64));
  assert.equal(d.paramsAfter - d.paramsBefore, 416);
  assert.deepEqual(
    d.tensors.map((t) => [t.name, t.status]),
    [
      ['0.weight', 'reshaped'],
      ['0.bias', 'reshaped'],
      ['2.weight', 'reshaped'],
      ['2.bias', 'unchanged'],
    ],
  );
  assert.equal(d.bytesCompared, false);
  assert.equal(d.after.facts['tensor bytes'], 'not compared');
  assert.deepEqual(d.factChanges['metadata.hidden'], ['32', '64']);
  const line = modelSummaryLine(d);
  assert.match(line, /32→64/);
  assert.match(line, /^hidden 32→64: \+416 params; 3 tensors reshaped/);
});

test('compareBytes: a tensor whose bytes changed is "changed", the others "unchanged"', async () => {
  const dir = tempDir('st');
  const src = fixture('mlp_h32.safetensors');
  const copy = path.join(dir, 'copy.safetensors');
  const edited = path.join(dir, 'edited.safetensors');
  fs.copyFileSync(src, copy);
  const buf = fs.readFileSync(src);
  const exp = EXPECTED['mlp_h32.safetensors'] as { header_length: number; header: Record<string, HeaderEntry> };
  const bias = exp.header['2.bias'] as HeaderEntry;
  const at = 8 + exp.header_length + bias.data_offsets[0];
  buf[at] = (buf[at] as number) ^ 0xff;
  fs.writeFileSync(edited, buf);

  const same = await diffModels(src, copy, { compareBytes: true });
  assert.equal(same.bytesCompared, true);
  assert.ok(same.tensors.every((t) => t.status === 'unchanged'));
  assert.equal(modelSummaryLine(same), 'no change');

  const d = await diffModels(src, edited, { compareBytes: true });
  assert.equal(d.bytesCompared, true);
  assert.deepEqual(
    d.tensors.map((t) => [t.name, t.status]),
    [
      ['0.weight', 'unchanged'],
      ['0.bias', 'unchanged'],
      ['2.weight', 'unchanged'],
      ['2.bias', 'changed'],
    ],
  );
  assert.equal(modelSummaryLine(d), '1 tensor changed');

  // Without compareBytes the same pair is honest about what it did not look at.
  const headerOnly = await diffModels(src, edited);
  assert.equal(headerOnly.bytesCompared, false);
  assert.equal(modelSummaryLine(headerOnly), 'no change in tensor names, shapes or dtypes (bytes not compared)');
});

test('a 1 GiB safetensors diff without compareBytes reads only the headers (a few KB)', async (t) => {
  const dir = tempDir('st-big');
  const a = path.join(dir, 'a.safetensors');
  const b = path.join(dir, 'b.safetensors');
  sparseSafetensors(a, 'embed.weight', [262_144, 1024]); // 1 GiB of float32
  sparseSafetensors(b, 'embed.weight', [131_072, 2048]);
  assert.equal(fs.statSync(a).size > 1024 ** 3, true);
  const stats: ReadStats = { bytesRead: 0, reads: 0 };
  const t0 = performance.now();
  const d = await diffModels(a, b, { stats });
  const ms = performance.now() - t0;
  assert.equal(d.tensors[0]?.status, 'reshaped');
  assert.equal(d.paramsBefore, 262_144 * 1024);
  assert.equal(d.paramsAfter - d.paramsBefore, 0);
  assert.ok(stats.bytesRead < 4096, `read ${stats.bytesRead} bytes`);
  assert.ok(ms < 10_000, `took ${ms.toFixed(1)} ms`); // the bytes read (above) are the real bound
  t.diagnostic(`1 GiB header-only diff: ${stats.bytesRead} bytes in ${stats.reads} reads, ${ms.toFixed(1)} ms`);
});

test('bad safetensors files are invalid-file errors naming the file, fast', async () => {
  const dir = tempDir('st-bad');
  const good = fs.readFileSync(fixture('mlp_h32.safetensors'));
  const u64 = (n: bigint): Buffer => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(n);
    return b;
  };
  const st = (header: object, dataLen: number): Buffer => {
    const j = Buffer.from(JSON.stringify(header));
    return Buffer.concat([u64(BigInt(j.length)), j, Buffer.alloc(dataLen)]);
  };
  const cases: [string, Buffer, RegExp][] = [
    ['empty.safetensors', Buffer.alloc(0), /truncated/],
    ['short.safetensors', Buffer.from([1, 2, 3]), /truncated/],
    [
      'truncated-data.safetensors',
      good.subarray(0, good.length - 100),
      /truncated: tensor "2\.weight" data_offsets \[1152, 1664\] run beyond/,
    ],
    ['truncated-header.safetensors', good.subarray(0, 200), /beyond the end of the file/],
    [
      'claims-100mb.safetensors',
      Buffer.concat([u64(100n * 1024n * 1024n), Buffer.from('{"a":1}')]),
      /beyond the end of the file/,
    ],
    [
      'claims-exabytes.safetensors',
      Buffer.concat([u64(0xffffffffffffffffn), Buffer.from('{}')]),
      /exceeds the 100\.0 MiB cap/,
    ],
    ['wrong-magic.safetensors', Buffer.concat([u64(4n), Buffer.from('PK\x03\x04')]), /does not start with "\{"/],
    ['not-json.safetensors', Buffer.concat([u64(6n), Buffer.from('{"a":]')]), /not valid JSON/],
    ['array.safetensors', Buffer.concat([u64(2n), Buffer.from('[]')]), /does not start with "\{"/],
    ['bad-shape.safetensors', st({ t: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /shape/],
    [
      'bad-length.safetensors',
      st({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4),
      /needs 8 bytes, data_offsets give 4/,
    ],
    ['reversed.safetensors', st({ t: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4), /reversed/],
    ['no-dtype.safetensors', st({ t: { shape: [1], data_offsets: [0, 4] } }, 4), /dtype missing/],
    [
      'nested-junk.safetensors',
      (() => {
        const j = Buffer.from(`{"t":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
        return Buffer.concat([u64(BigInt(j.length)), j]);
      })(),
      /tensor "t": entry is not an object/,
    ],
  ];
  for (const [name, data, re] of cases) {
    const file = write(dir, name, data);
    await expectInvalid(() => summarizeModel(file), file, { match: re });
  }
});

test('a header length over the cap is refused before anything else is read', async () => {
  const dir = tempDir('st-cap');
  const file = path.join(dir, 'huge-header.safetensors');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(200n * 1024n * 1024n);
  fs.writeFileSync(file, Buffer.concat([len, Buffer.from('{')]));
  fs.truncateSync(file, 300 * 1024 * 1024); // sparse: the claim fits in the file
  const stats: ReadStats = { bytesRead: 0, reads: 0 };
  await expectInvalid(() => summarizeModel(file, { stats }), file, { match: /exceeds the 100\.0 MiB cap/ });
  assert.ok(stats.bytesRead <= 64 + 8, `read ${stats.bytesRead} bytes`);
  // A smaller cap for tests applies the same way.
  const small = write(dir, 'small-cap.safetensors', fs.readFileSync(fixture('mlp_h32.safetensors')));
  await expectInvalid(() => summarizeModel(small, { caps: { safetensorsHeaderBytes: 64 } }), small, { match: /cap/ });
});
