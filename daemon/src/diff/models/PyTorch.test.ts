import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { diffModels, modelSummaryLine, summarizeModel } from './ModelDiff';
import { buildZip, callPickle, EXPECTED, expectInvalid, fixture, tempDir, write } from './models.testkit';

/** The fixture's architecture: Linear(8,H) -> ReLU -> Linear(H,4). */
function architecture(h: number): [string, number[]][] {
  return [
    ['0.weight', [h, 8]],
    ['0.bias', [h]],
    ['2.weight', [4, h]],
    ['2.bias', [4]],
  ];
}

for (const h of [32, 64]) {
  test(`mlp_h${h}.pt: state_dict keys, shapes and dtypes from data.pkl, storages listed`, async () => {
    const name = `mlp_h${h}.pt`;
    const exp = EXPECTED[name] as { tensors: Record<string, { shape: number[]; dtype: string }>; params: number };
    const s = await summarizeModel(fixture(name));
    assert.equal(s.format, 'pytorch');
    assert.deepEqual(
      s.tensors.map((t) => [t.name, t.shape]),
      architecture(h),
    );
    assert.deepEqual(
      Object.fromEntries(s.tensors.map((t) => [t.name, { shape: t.shape, dtype: t.dtype }])),
      exp.tensors,
    );
    assert.equal(
      s.tensors.reduce((n, t) => n + t.params, 0),
      exp.params,
    );
    assert.equal(s.facts['archive'], `mlp_h${h}`);
    assert.equal(s.facts['storages'], '4');
    assert.equal(s.facts['version'], '3');
    assert.deepEqual(s.globals, [
      { module: 'collections', name: 'OrderedDict', level: 'safe', unsafe: false },
      { module: 'torch._utils', name: '_rebuild_tensor_v2', level: 'safe', unsafe: false },
      { module: 'torch', name: 'FloatStorage', level: 'safe', unsafe: false },
    ]);
    assert.equal(s.pickleVerdict, 'safe');
    assert.deepEqual(s.warnings, []);
  });
}

test('h32 vs h64 .pt: reshaped tensors named, +416 params, "32→64"', async () => {
  const d = await diffModels(fixture('mlp_h32.pt'), fixture('mlp_h64.pt'));
  assert.equal(d.format, 'pytorch');
  assert.deepEqual(
    d.tensors.filter((t) => t.status === 'reshaped').map((t) => t.name),
    ['0.weight', '0.bias', '2.weight'],
  );
  assert.equal(d.tensors.find((t) => t.name === '2.bias')?.status, 'unchanged');
  assert.equal(d.paramsAfter - d.paramsBefore, 13 * (64 - 32));
  assert.equal(d.bytesCompared, false);
  assert.equal(d.before.facts['tensor bytes'], 'not compared');
  const line = modelSummaryLine(d);
  assert.match(line, /^hidden 32→64: \+416 params; 3 tensors reshaped/);
});

test("compareBytes on .pt hashes each tensor's slice of its storage", async () => {
  const dir = tempDir('pt');
  const src = fixture('mlp_h32.pt');
  const buf = fs.readFileSync(src);
  // Flip one byte inside storage 3 (2.bias): torch stores entries uncompressed.
  const marker = buf.indexOf(Buffer.from('mlp_h32/data/3'));
  assert.ok(marker > 0);
  const dataAt = marker + 'mlp_h32/data/3'.length + buf.readUInt16LE(marker - 2); // name, then the local extra field
  const edited = Buffer.from(buf);
  edited[dataAt] = (edited[dataAt] as number) ^ 0x01;
  // (The entry's CRC no longer matches; stored ranges are hashed in place, so the change shows.)
  const file = write(dir, 'edited.pt', edited);
  const d = await diffModels(src, file, { compareBytes: true });
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
  const h = await diffModels(fixture('mlp_h32.pt'), fixture('mlp_h64.pt'), { compareBytes: true });
  assert.equal(h.tensors.find((t) => t.name === '2.bias')?.status, 'changed'); // different seed
});

test('legacy (pre-1.6) torch.save files are detected and reported as unsupported, not parsed', async () => {
  const s = await summarizeModel(fixture('legacy.pt'));
  assert.equal(s.format, 'pytorch');
  assert.equal(s.facts['container'], 'legacy torch.save (pre-1.6, not a zip)');
  assert.ok(s.warnings.includes('legacy torch format not supported: tensors are not listed'));
  assert.deepEqual(s.tensors, []);
  assert.ok((s.globals ?? []).some((g) => g.name === '_rebuild_tensor_v2'));
  const d = await diffModels(fixture('legacy.pt'), fixture('legacy.pt'));
  assert.equal(modelSummaryLine(d), 'no change');
  // A truncated legacy file still gets the warning, plus why the walk stopped.
  const dir = tempDir('pt-legacy');
  const cut = write(dir, 'cut.pt', fs.readFileSync(fixture('legacy.pt')).subarray(0, 100));
  const c = await summarizeModel(cut);
  assert.ok(
    c.warnings.some((w) => /could not walk the legacy pickle: .*truncated/.test(w)),
    c.warnings.join('\n'),
  );
});

test('a torch archive whose data.pkl would run code is flagged; the code never runs', async () => {
  const dir = tempDir('pt-evil');
  const marker = path.join(dir, `pwned-${randomBytes(8).toString('hex')}`);
  const file = write(
    dir,
    'evil.pt',
    buildZip([
      { name: 'evil/data.pkl', data: callPickle('posix', 'system', `touch ${marker}`), method: 0 },
      { name: 'evil/version', data: Buffer.from('3\n') },
    ]),
  );
  const s = await summarizeModel(file);
  assert.equal(s.format, 'pytorch');
  assert.equal(s.facts['dangerous globals'], 'posix.system');
  assert.equal(s.pickleVerdict, 'dangerous');
  assert.ok(s.warnings.includes(`loading would call posix.system('touch ${marker}')`));
  const d = await diffModels(fixture('mlp_h32.pt'), file);
  assert.match(modelSummaryLine(d), /4 tensors removed.*dangerous pickle globals: posix\.system/);
  assert.equal(fs.existsSync(marker), false);
});

test('TorchScript archives are recognised (their code/ runs on torch.jit.load)', async () => {
  const dir = tempDir('pt-script');
  const file = write(
    dir,
    'script.pt',
    buildZip([
      { name: 'm/data.pkl', data: Buffer.from([0x80, 0x02, 0x7d, 0x2e]) },
      { name: 'm/constants.pkl', data: Buffer.from([0x80, 0x02, 0x29, 0x2e]) },
      { name: 'm/code/__torch__.py', data: Buffer.from('def forward(self): ...') },
    ]),
  );
  const s = await summarizeModel(file);
  assert.equal(s.facts['container'], 'TorchScript archive');
  assert.match(s.warnings.join('\n'), /torch\.jit\.load/);
});

test('bad .pt files are invalid-file errors naming the file', async () => {
  const dir = tempDir('pt-bad');
  const good = fs.readFileSync(fixture('mlp_h32.pt'));
  const cases: [string, Buffer, RegExp][] = [
    ['truncated.pt', good.subarray(0, 2000), /no end-of-central-directory/],
    ['not-zip.pt', Buffer.from('hello, not a model at all'), /not a torch\.save file: not a zip archive/],
    ['junk-pkl.pt', buildZip([{ name: 'a/data.pkl', data: randomBytes(64).fill(0xff, 0, 1) }]), /unknown opcode 0xff/],
    ['empty.pt', Buffer.alloc(0), /not a torch\.save file/],
  ];
  for (const [name, data, re] of cases) {
    const file = write(dir, name, data);
    await expectInvalid(() => summarizeModel(file), file, { match: re });
  }
});

test('every pickle in a torch archive is scanned: renamed or deflated members, the data.pkl of the first entry', async () => {
  const dir = tempDir('pt-members');
  const benign = Buffer.from([0x80, 0x02, 0x7d, 0x2e]);
  const evil = callPickle('posix', 'system', 'true');
  const cases: [string, Parameters<typeof buildZip>[0]][] = [
    [
      'renamed.pt',
      [
        { name: 'a/data.pkl', data: benign },
        { name: 'a/extra.bin', data: evil }, // deflated: its head is inflated to be seen
      ],
    ],
    [
      'first.pt',
      [
        { name: 'evil/data.pkl', data: evil, method: 0 },
        { name: 'a/data.pkl', data: benign, method: 0 },
      ],
    ],
  ];
  for (const [name, specs] of cases) {
    const s = await summarizeModel(write(dir, name, buildZip(specs)));
    assert.equal(s.pickleVerdict, 'dangerous', name);
    assert.equal(s.facts['dangerous globals'], 'posix.system', name);
  }
  // torch reads the first entry's folder: its data.pkl is the one whose tensors are listed.
  const first = await summarizeModel(path.join(dir, 'first.pt'));
  assert.equal(first.facts['archive'], 'evil');
  // A member that starts like a pickle but does not parse leaves the verdict unknown.
  const junk = Buffer.concat([Buffer.from([0x80, 0x04]), randomBytes(32).fill(0xff, 0, 1)]);
  const u = await summarizeModel(
    write(
      dir,
      'junk-member.pt',
      buildZip([
        { name: 'a/data.pkl', data: benign },
        { name: 'a/x', data: junk },
      ]),
    ),
  );
  assert.equal(u.pickleVerdict, 'unknown');
  assert.match(u.pickleIssues?.[0]?.text ?? '', /archive member a\/x \(a pickle under another name\) does not parse/);
});
