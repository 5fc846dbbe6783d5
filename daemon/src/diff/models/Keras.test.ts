import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { diffModels, modelSummaryLine, summarizeModel } from './ModelDiff';
import { buildZip, expectInvalid, fixture, tempDir, write } from './models.testkit';

/** The fixture's config and metadata, read with Python's zipfile/json (a second reader). */
function pythonRead(file: string): {
  config: {
    class_name: string;
    config: { name: string; layers: { class_name: string; config: Record<string, unknown> }[] };
  };
  metadata: Record<string, string>;
} {
  const code =
    'import sys, json, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(json.dumps({"config": json.loads(z.read("config.json")), "metadata": json.loads(z.read("metadata.json"))}))';
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', code, file], { encoding: 'utf8' })) as ReturnType<
    typeof pythonRead
  >;
}

/** A .keras archive like the fixture, with another width for the hidden Dense layer. */
function kerasWith(units: number): Buffer {
  const z = pythonRead(fixture('tiny.keras'));
  const layer = z.config.config.layers[1];
  if (layer) layer.config['units'] = units;
  return buildZip([
    { name: 'metadata.json', data: Buffer.from(JSON.stringify(z.metadata)) },
    { name: 'config.json', data: Buffer.from(JSON.stringify(z.config)) },
    { name: 'model.weights.h5', data: Buffer.concat([Buffer.from('\x89HDF\r\n\x1a\n', 'latin1'), Buffer.alloc(56)]) },
  ]);
}

test('tiny.keras (synthetic, spec-shaped): model config, layers and metadata are reported, nothing loaded', async () => {
  const py = pythonRead(fixture('tiny.keras'));
  const s = await summarizeModel(fixture('tiny.keras'));
  assert.equal(s.format, 'keras');
  assert.deepEqual(s.config, py.config);
  assert.equal(s.facts['class_name'], py.config.class_name);
  assert.equal(s.facts['name'], py.config.config.name);
  assert.equal(s.facts['keras_version'], py.metadata['keras_version']);
  assert.equal(s.facts['date_saved'], py.metadata['date_saved']);
  assert.equal(s.facts['layers'], String(py.config.config.layers.length));
  assert.equal(s.facts['layer[0] input_layer'], 'InputLayer batch_shape=[null,8]');
  assert.equal(s.facts['layer[1] dense'], 'Dense units=32 activation=relu');
  assert.equal(s.facts['layer[2] dense_1'], 'Dense units=4 activation=linear');
  assert.equal(s.facts['weights model.weights.h5'], '64 B (HDF5, not parsed)');
  assert.deepEqual(s.tensors, []);
});

test('.keras diff: a changed layer width shows as a fact change; identical files show no change', async () => {
  const dir = tempDir('keras');
  const wide = write(dir, 'wide.keras', kerasWith(64));
  const same = write(dir, 'same.keras', kerasWith(32));
  const d = await diffModels(fixture('tiny.keras'), wide);
  assert.equal(d.format, 'keras');
  assert.deepEqual(d.factChanges, {
    'layer[1] dense': ['Dense units=32 activation=relu', 'Dense units=64 activation=relu'],
  });
  assert.equal(modelSummaryLine(d), 'layer[1] dense Dense units=32 activation=relu→Dense units=64 activation=relu');
  const n = await diffModels(fixture('tiny.keras'), same);
  assert.deepEqual(n.factChanges, {});
  assert.equal(modelSummaryLine(n), 'no change');
});

test('.h5 files are recognised by their signature and compared by size and hash only', async () => {
  const dir = tempDir('h5');
  const a = write(dir, 'model.h5', Buffer.concat([Buffer.from('\x89HDF\r\n\x1a\n', 'latin1'), Buffer.alloc(1000, 1)]));
  const b = write(dir, 'model2.h5', Buffer.concat([Buffer.from('\x89HDF\r\n\x1a\n', 'latin1'), Buffer.alloc(1000, 2)]));
  const s = await summarizeModel(a);
  assert.equal(s.format, 'unknown');
  assert.equal(s.facts['container'], 'HDF5');
  assert.equal(s.facts['size'], '1,008 bytes');
  assert.match(s.facts['blake3'] ?? '', /^[0-9a-f]{64}$/);
  const d = await diffModels(a, b);
  assert.deepEqual(Object.keys(d.factChanges), ['blake3']);
  assert.match(modelSummaryLine(d), /^blake3 /);
});

test('bad .keras archives are invalid-file errors naming the file', async () => {
  const dir = tempDir('keras-bad');
  const good = fs.readFileSync(fixture('tiny.keras'));
  const cases: [string, Buffer, RegExp][] = [
    ['truncated.keras', good.subarray(0, good.length - 30), /no end-of-central-directory/],
    ['not-zip.keras', Buffer.from('{"class_name": "Sequential"}'), /not a Keras archive: not a zip/],
    ['no-config.keras', buildZip([{ name: 'metadata.json', data: Buffer.from('{}') }]), /no config\.json/],
    ['config-array.keras', buildZip([{ name: 'config.json', data: Buffer.from('[1,2]') }]), /not a JSON object/],
    ['config-junk.keras', buildZip([{ name: 'config.json', data: Buffer.from('\x00\x01junk') }]), /not valid JSON/],
    [
      'metadata-junk.keras',
      buildZip([
        { name: 'config.json', data: Buffer.from('{}') },
        { name: 'metadata.json', data: Buffer.from('{') },
      ]),
      /metadata\.json .* not valid JSON/,
    ],
    [
      'config-too-big.keras',
      buildZip([{ name: 'config.json', data: Buffer.alloc(17 * 1024 * 1024, 0x20) }]),
      /over the 16\.0 MiB cap/,
    ],
  ];
  for (const [name, data, re] of cases) {
    const file = write(dir, name, data);
    await expectInvalid(() => summarizeModel(file), file, { match: re });
  }
});
