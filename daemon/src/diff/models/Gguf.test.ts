import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { ReadStats } from './FileSource';
import { diffModels, modelSummaryLine, summarizeModel } from './ModelDiff';
import { buildGguf, expectInvalid, fixture, tempDir, write, type GgufKv } from './models.testkit';

test('tiny.gguf: version, counts, metadata and tensor infos as the fixture script wrote them', async () => {
  const s = await summarizeModel(fixture('tiny.gguf'));
  assert.equal(s.format, 'gguf');
  assert.deepEqual(s.facts, {
    version: '3',
    tensor_count: '2',
    kv_count: '8',
    'metadata.general.architecture': '"tiny"',
    'metadata.general.name': '"tiny test model"',
    'metadata.general.alignment': '32',
    'metadata.tiny.embedding_length': '8',
    'metadata.tiny.rope.freq_base': '10000.0',
    'metadata.tiny.use_parallel': 'true',
    'metadata.tokenizer.ggml.tokens': '[string × 5: "<unk>", "<s>", "</s>", …]',
    'metadata.tokenizer.ggml.scores': '[float32 × 3: 0.0, -1.5, -2.0]',
  });
  // numpy shapes (16, 8) float32 and (8,) float16, stored in ggml order (reversed).
  assert.deepEqual(s.tensors, [
    { name: 'token_embd.weight', dtype: 'float32', shape: [16, 8], params: 128 },
    { name: 'output_norm.weight', dtype: 'float16', shape: [8], params: 8 },
  ]);
  assert.deepEqual(s.warnings, []);
});

test('GGUF diff: embedding width 8→16 names the dimension from the metadata; bytes on request', async () => {
  const dir = tempDir('gguf');
  const kvs = (w: number): GgufKv[] => [
    ['general.architecture', 'str', 'tiny'],
    ['tiny.embedding_length', 'u32', w],
    ['tokenizer.ggml.tokens', 'strs', ['a', 'b']],
  ];
  const a = write(
    dir,
    'a.gguf',
    buildGguf(kvs(8), [
      { name: 'tok.weight', shape: [4, 8] },
      { name: 'norm', shape: [8] },
    ]),
  );
  const b = write(
    dir,
    'b.gguf',
    buildGguf(kvs(16), [
      { name: 'tok.weight', shape: [4, 16] },
      { name: 'norm', shape: [16] },
      { name: 'extra', shape: [2] },
    ]),
  );
  const d = await diffModels(a, b);
  assert.deepEqual(
    d.tensors.map((t) => [t.name, t.status]),
    [
      ['tok.weight', 'reshaped'],
      ['norm', 'reshaped'],
      ['extra', 'added'],
    ],
  );
  assert.equal(d.paramsAfter - d.paramsBefore, 64 + 16 + 2 - 32 - 8);
  assert.equal(
    modelSummaryLine(d),
    'embedding_length 8→16: +42 params; 2 tensors reshaped; 1 tensor added; tensor_count 2→3; metadata.tiny.embedding_length 8→16',
  );
  const c = write(
    dir,
    'c.gguf',
    buildGguf(kvs(8), [
      { name: 'tok.weight', shape: [4, 8], fill: 1 },
      { name: 'norm', shape: [8] },
    ]),
  );
  const bytes = await diffModels(a, c, { compareBytes: true });
  assert.deepEqual(
    bytes.tensors.map((t) => [t.name, t.status]),
    [
      ['tok.weight', 'changed'],
      ['norm', 'unchanged'],
    ],
  );
});

test('a GGUF header is read without its tensor data', async () => {
  const dir = tempDir('gguf-big');
  const file = write(
    dir,
    'big.gguf',
    buildGguf([['general.architecture', 'str', 'big']], [{ name: 'w', shape: [1, 8] }]),
  );
  // Rewrite the tensor as 512 MiB of float32 in a sparse file.
  const buf = fs.readFileSync(file);
  const dimAt = buf.indexOf(Buffer.from('w')) + 1 + 4; // name, n_dims
  buf.writeBigUInt64LE(8n, dimAt);
  buf.writeBigUInt64LE(16n * 1024n * 1024n, dimAt + 8); // [16M, 8] float32 = 512 MiB
  fs.writeFileSync(file, buf.subarray(0, 128));
  fs.truncateSync(file, 128 + 512 * 1024 * 1024);
  const stats: ReadStats = { bytesRead: 0, reads: 0 };
  const s = await summarizeModel(file, { stats });
  assert.deepEqual(s.tensors[0]?.shape, [16 * 1024 * 1024, 8]);
  assert.ok(stats.bytesRead < 300 * 1024, `read ${stats.bytesRead}`);
});

test('bad GGUF files are invalid-file errors naming the file, fast', async () => {
  const dir = tempDir('gguf-bad');
  const good = fs.readFileSync(fixture('tiny.gguf'));
  const patched = (at: number, write64: bigint): Buffer => {
    const b = Buffer.from(good);
    b.writeBigUInt64LE(write64, at);
    return b;
  };
  const v = (n: number): Buffer => {
    const b = Buffer.from(good);
    b.writeUInt32LE(n, 4);
    return b;
  };
  const firstKeyLen = 24;
  const cases: [string, Buffer, RegExp][] = [
    ['empty.gguf', Buffer.alloc(0), /truncated/],
    ['wrong-magic.gguf', Buffer.concat([Buffer.from('GGUX'), good.subarray(4)]), /not a GGUF file: magic "GGUX"/],
    ['v1.gguf', v(1), /version 1 is not supported/],
    ['v9.gguf', v(9), /unsupported GGUF version 9/],
    ['truncated-data.gguf', good.subarray(0, good.length - 20), /truncated: tensor "output_norm\.weight" data ends at/],
    ['truncated-header.gguf', good.subarray(0, 100), /truncated/],
    ['absurd-tensors.gguf', patched(8, 1n << 40n), /tensor count 1099511627776 exceeds/],
    ['absurd-kvs.gguf', patched(16, 1n << 62n), /key\/value count 4611686018427387904 exceeds/],
    ['absurd-key.gguf', patched(firstKeyLen, 1n << 60n), /out of range|exceeds/],
    ['long-key.gguf', patched(firstKeyLen, 1n << 30n), /metadata key of 1073741824 bytes .* exceeds the 16\.0 MiB cap/],
    [
      'bad-type.gguf',
      (() => {
        const b = Buffer.from(good);
        b.writeUInt32LE(77, firstKeyLen + 8 + 'general.architecture'.length);
        return b;
      })(),
      /unknown GGUF value type 77/,
    ],
    ['bad-alignment.gguf', buildGguf([['general.alignment', 'u32', 24]], []), /not a power of two/],
    [
      'huge-array.gguf',
      buildGguf([['tokenizer.ggml.tokens', 'strs', new Array(10).fill('x')]], []).fill(
        0xff,
        24 + 8 + 21 + 4 + 4,
        24 + 8 + 21 + 4 + 12,
      ),
      /array of .* items exceeds/,
    ],
  ];
  for (const [name, data, re] of cases) {
    const file = write(dir, name, data);
    await expectInvalid(() => summarizeModel(file), file, { match: re });
  }
  // Caps can be lowered: tensor and key/value counts, array sizes.
  const small = write(dir, 'small.gguf', good);
  await expectInvalid(() => summarizeModel(small, { caps: { ggufTensors: 1 } }), small, {
    match: /tensor count 2 exceeds the 1 cap/,
  });
  await expectInvalid(() => summarizeModel(small, { caps: { ggufArrayItems: 4 } }), small, {
    match: /array of 5 items exceeds the 4 cap/,
  });
});
