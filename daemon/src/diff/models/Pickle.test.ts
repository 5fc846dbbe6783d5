import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { BufferSource, Cursor, DEFAULT_CAPS, type ModelCaps } from './FileSource';
import { diffModels, modelSummaryLine, summarizeModel } from './ModelDiff';
import { pyFloat, render, safetyOf, walkPickle } from './Pickle';
import { callPickle, EXPECTED, expectInvalid, fixture, pk, tempDir, write } from './models.testkit';

const PYTHON = '/usr/bin/python3';

function walk(buf: Buffer, caps: Partial<ModelCaps> = {}, name = 'mem.pkl'): ReturnType<typeof walkPickle> {
  return walkPickle(new Cursor(new BufferSource(name, buf)), { ...DEFAULT_CAPS, ...caps });
}

test('evil.pkl: posix.system is flagged unsafe with the command it would run, and it never runs', async () => {
  const exp = EXPECTED['evil.pkl'] as { globals: string[]; marker: string };
  const marker = exp.marker;
  // A marker left by something else would make "never ran" unprovable: start clean.
  fs.rmSync(marker, { force: true });
  assert.equal(fs.existsSync(marker), false);
  const s = await summarizeModel(fixture('evil.pkl'));
  assert.equal(s.format, 'pickle');
  assert.deepEqual(
    s.globals?.map((g) => `${g.module}.${g.name}`),
    exp.globals,
  );
  assert.deepEqual(s.globals, [{ module: 'posix', name: 'system', level: 'dangerous', unsafe: true }]);
  assert.equal(s.pickleVerdict, 'dangerous');
  assert.equal(s.facts['dangerous globals'], 'posix.system');
  assert.ok(s.warnings.includes('posix.system would execute code when loaded'));
  assert.ok(s.warnings.includes(`loading would call posix.system('touch ${marker}')`), s.warnings.join('\n'));
  const d = await diffModels(fixture('logreg.joblib'), fixture('evil.pkl'));
  assert.match(modelSummaryLine(d), /dangerous pickle globals: posix\.system/);
  const self = await diffModels(fixture('evil.pkl'), fixture('evil.pkl'));
  assert.equal(modelSummaryLine(self), 'no change; dangerous pickle globals: posix.system');
  assert.equal(fs.existsSync(marker), false, 'the command in evil.pkl ran');
});

test('hand-made malicious pickles (all protocols, GLOBAL/STACK_GLOBAL/INST/OBJ) are flagged and never run', async () => {
  const dir = tempDir('evil');
  const marker = path.join(dir, `pwned-${randomBytes(8).toString('hex')}`);
  const cmd = `touch ${marker}`;
  const cases: [string, Buffer, string][] = [
    [
      'os-system-p0.pkl',
      Buffer.concat([pk.global0('os', 'system'), Buffer.from(`(S'${cmd}'\ntR.`, 'latin1')]),
      'os.system',
    ],
    ['posix-system-p4.pkl', callPickle('posix', 'system', cmd), 'posix.system'],
    ['nt-system.pkl', callPickle('nt', 'system', cmd), 'nt.system'],
    ['eval.pkl', callPickle('builtins', 'eval', `__import__('os').system('${cmd}')`), 'builtins.eval'],
    ['exec.pkl', callPickle('__builtin__', 'exec', `import os; os.system('${cmd}')`), '__builtin__.exec'],
    ['import.pkl', callPickle('builtins', '__import__', 'os'), 'builtins.__import__'],
    ['open.pkl', callPickle('builtins', 'open', marker), 'builtins.open'],
    ['inst.pkl', Buffer.from(`(S'${cmd}'\nisubprocess\ngetoutput\n.`, 'latin1'), 'subprocess.getoutput'],
    [
      'obj.pkl',
      Buffer.concat([Buffer.from('('), pk.global0('subprocess', 'Popen'), Buffer.from(`S'${cmd}'\no.`, 'latin1')]),
      'subprocess.Popen',
    ],
    [
      'getattr.pkl',
      Buffer.concat([
        pk.proto(2),
        pk.global0('builtins', 'getattr'),
        pk.global0('os', 'path'),
        Buffer.from('X\x06\x00\x00\x00system\x86R.', 'latin1'),
      ]),
      'builtins.getattr',
    ],
    ['ext.pkl', Buffer.from([0x80, 0x02, 0x82, 0x01, 0x2e]), 'copyreg.extension_1'],
    [
      'hidden-in-state.pkl',
      Buffer.concat([
        pk.proto(4),
        pk.stackGlobal('collections', 'OrderedDict'),
        Buffer.from(')R'),
        Buffer.from('}'),
        pk.str('x'),
        callPickle('posix', 'system', cmd).subarray(2, -1),
        Buffer.from('sb.'),
      ]),
      'posix.system',
    ],
  ];
  for (const [name, data, unsafe] of cases) {
    const file = write(dir, name, data);
    const s = await summarizeModel(file);
    const flagged = (s.globals ?? []).filter((g) => g.unsafe).map((g) => `${g.module}.${g.name}`);
    assert.ok(flagged.includes(unsafe), `${name}: ${JSON.stringify(s.globals)}`);
    assert.ok(
      s.warnings.some((w) => w.startsWith(`${unsafe} would execute code`)),
      name,
    );
    await diffModels(file, fixture('evil.pkl'));
  }
  assert.equal(fs.existsSync(marker), false, 'a command ran');
});

test('levels: state-dict and numpy/sklearn plumbing is safe, classes suspicious, code execution dangerous', () => {
  for (const [m, n] of [
    ['collections', 'OrderedDict'],
    ['torch._utils', '_rebuild_tensor_v2'],
    ['torch', 'FloatStorage'],
    ['torch', 'BFloat16Storage'],
    ['torch.serialization', '_get_layout'],
    ['numpy.core.multiarray', '_reconstruct'],
    ['numpy', 'dtype'],
    ['numpy', 'ndarray'],
    ['numpy', 'float64'],
    ['joblib.numpy_pickle', 'NumpyArrayWrapper'],
    ['copyreg', '_reconstructor'],
    ['builtins', 'set'],
    ['builtins', 'frozenset'],
    ['builtins', 'slice'],
    ['builtins', 'complex'],
    ['builtins', 'bytearray'],
    ['builtins', 'object'],
    ['__builtin__', 'set'],
  ]) {
    assert.equal(safetyOf(m as string, n as string), 'safe', `${m}.${n}`);
  }
  for (const [m, n] of [
    ['sklearn.linear_model._logistic', 'LogisticRegression'],
    ['torch.nn.modules.linear', 'Linear'],
    ['mymodule', 'Thing'],
    ['__main__', 'Net'],
  ]) {
    assert.equal(safetyOf(m as string, n as string), 'suspicious', `${m}.${n}`);
  }
  for (const [m, n] of [
    ['os', 'system'],
    ['posix', 'system'],
    ['nt', 'system'],
    ['subprocess', 'Popen'],
    ['subprocess', 'check_output'],
    ['builtins', 'eval'],
    ['builtins', 'exec'],
    ['builtins', '__import__'],
    ['builtins', 'getattr'],
    ['builtins', 'open'],
    ['__builtin__', 'eval'],
    ['torch', 'load'],
    ['torch.storage', '_load_from_bytes'],
    ['numpy', 'load'],
    ['runpy', '_run_code'],
    ['joblib.numpy_pickle_compat', 'NDArrayWrapper'],
    ['os.path', 'join'],
    ['importlib', 'import_module'],
    ['sklearn.utils._testing', 'assert_run_python_script'],
  ]) {
    assert.equal(safetyOf(m as string, n as string), 'dangerous', `${m}.${n}`);
  }
});

test('values of every protocol 0-5 read back as Python repr()s them', async () => {
  const code = `
import pickle, sys
obj = {'a': [1, 2.5, 'x', None, True, False], 'b': (1, 2), 'n': -5, 'big': 2**70, 'neg': -2**40, 'f': 1e-05, 'g': 1e16, 'u': 'h\\u00e9llo', 'e': (), 'one': (7,), 'nested': {'k': [[], {}]}}
print(repr(obj))
for p in range(6):
    print(p, pickle.dumps(obj, protocol=p).hex())
`;
  const out = execFileSync(PYTHON, ['-c', code], { encoding: 'utf8' }).trim().split('\n');
  const expected = out[0] as string;
  for (const line of out.slice(1)) {
    const [p, hex] = line.split(' ') as [string, string];
    const res = await walk(Buffer.from(hex, 'hex'));
    assert.equal(render(res.root, 10_000), expected, `protocol ${p}`);
    assert.deepEqual(res.globals, [], `protocol ${p}`);
  }
  assert.equal(pyFloat(0.0001), '0.0001');
  assert.equal(pyFloat(1e-5), '1e-05');
  assert.equal(pyFloat(1.5e16), '1.5e+16');
  assert.equal(pyFloat(2), '2.0');
});

test('logreg.joblib: the estimator, its params and arrays match what sklearn reported when it was written', async () => {
  for (const name of ['logreg.joblib', 'logreg_c2.joblib', 'logreg_zlib.joblib']) {
    const exp = EXPECTED[name] as {
      estimator: string;
      params: Record<string, string>;
      arrays: Record<string, { shape: number[]; dtype: string }>;
    };
    const s = await summarizeModel(fixture(name));
    assert.equal(s.format, 'pickle');
    assert.equal(s.facts['estimator'], exp.estimator);
    assert.equal(s.facts['sklearn version'], '1.2.1');
    for (const [k, v] of Object.entries(exp.params)) assert.equal(s.params?.[k], v, `${name} ${k}`);
    assert.deepEqual(
      Object.fromEntries(s.tensors.map((t) => [t.name, { shape: t.shape, dtype: t.dtype }])),
      exp.arrays,
    );
    assert.equal(s.facts['container'], name === 'logreg_zlib.joblib' ? 'compressed joblib (zlib)' : 'joblib');
    assert.ok(
      (s.globals ?? []).every((g) => !g.unsafe),
      JSON.stringify(s.globals),
    );
    assert.deepEqual(s.warnings, []);
  }
});

test('joblib diff: C changed 1.0 → 2.0; with compareBytes the fitted arrays differ', async () => {
  const d = await diffModels(fixture('logreg.joblib'), fixture('logreg_c2.joblib'));
  assert.equal(d.format, 'pickle');
  assert.deepEqual(d.factChanges['param.C'], ['1.0', '2.0']);
  assert.ok(d.tensors.every((t) => t.status === 'unchanged'));
  assert.equal(modelSummaryLine(d), 'C 1.0→2.0');
  const b = await diffModels(fixture('logreg.joblib'), fixture('logreg_c2.joblib'), { compareBytes: true });
  assert.equal(b.bytesCompared, true);
  assert.equal(b.tensors.find((t) => t.name === 'coef_')?.status, 'changed');
  assert.equal(b.tensors.find((t) => t.name === 'classes_')?.status, 'unchanged');
  // Compressed and plain versions of the same model: same arrays, bytes included.
  const z = await diffModels(fixture('logreg.joblib'), fixture('logreg_zlib.joblib'), { compareBytes: true });
  assert.ok(z.tensors.every((t) => t.status === 'unchanged'));
  assert.deepEqual(z.factChanges['container'], ['joblib', 'compressed joblib (zlib)']);
});

test('bytes after STOP that are not a pickle are a warning; the first pickle is the value', async () => {
  const dir = tempDir('pkl-trail');
  // 0xff is no opcode: nothing a loader reading on would run.
  const junk = Buffer.concat([Buffer.from([0xff]), randomBytes(4095)]);
  const file = write(dir, 'trailing.pkl', Buffer.concat([fs.readFileSync(fixture('logreg.joblib')), junk]));
  const s = await summarizeModel(file);
  assert.equal(s.facts['estimator'], 'sklearn.linear_model._logistic.LogisticRegression');
  assert.ok(
    s.warnings.includes("4096 bytes after the last pickle's STOP are not a pickle (not read)"),
    s.warnings.join('\n'),
  );
  assert.equal(s.pickleVerdict, 'suspicious');
});

test('compressed joblib: other compressions are reported, bombs stop at the cap', async () => {
  const dir = tempDir('pkl-z');
  const lz4 = write(dir, 'model.joblib', Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18]), randomBytes(64)]));
  const s = await summarizeModel(lz4);
  assert.equal(s.facts['container'], 'compressed joblib (lz4)');
  assert.match(s.warnings[0] ?? '', /not supported/);
  // 64 MiB of zeros, zlib-compressed (~64 KB), against a 4 MiB cap.
  const d = zlib.createDeflate({ level: 9 });
  const chunks: Buffer[] = [];
  d.on('data', (b: Buffer) => chunks.push(b));
  const ended = new Promise((r) => d.on('end', r));
  for (let i = 0; i < 64; i++) d.write(Buffer.alloc(1024 * 1024));
  d.end();
  await ended;
  const bomb = write(dir, 'bomb.joblib', Buffer.concat(chunks));
  await expectInvalid(() => summarizeModel(bomb, { caps: { decompressedBytes: 4 * 1024 * 1024 } }), bomb, {
    match: /inflates to more than the 4\.0 MiB cap/,
    maxRssMb: 64,
  });
  const corrupt = write(dir, 'corrupt.joblib', Buffer.from([0x78, 0x9c, 1, 2, 3, 4, 5]));
  await expectInvalid(() => summarizeModel(corrupt), corrupt, { match: /compressed pickle is corrupt/ });
});

test('bad pickles are invalid-file errors naming the file, fast and bounded', async () => {
  const dir = tempDir('pkl-bad');
  const joblib = fs.readFileSync(fixture('logreg.joblib'));
  const evil = fs.readFileSync(fixture('evil.pkl'));
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const cases: [string, Buffer, RegExp][] = [
    ['empty.pkl', Buffer.alloc(0), /empty file/],
    ['truncated-evil.pkl', evil.subarray(0, 30), /truncated/],
    ['no-stop.pkl', evil.subarray(0, evil.length - 1), /truncated: pickle opcode \(no STOP\)/],
    ['truncated-arrays.joblib', joblib.subarray(0, 535), /truncated: joblib array data \(int64 \[2\]\)/],
    ['bad-protocol.pkl', Buffer.from([0x80, 0x09, 0x4e, 0x2e]), /protocol byte 9/],
    ['unknown-opcode.pkl', Buffer.from([0x80, 0x04, 0xff, 0x2e]), /unknown opcode 0xff at offset 2/],
    ['memo-miss.pkl', Buffer.from([0x80, 0x02, 0x68, 0x05, 0x2e]), /memo key 5 was never stored/],
    ['underflow.pkl', Buffer.from([0x80, 0x02, 0x52, 0x2e]), /stack underflow/],
    ['no-mark.pkl', Buffer.from([0x80, 0x02, 0x74, 0x2e]), /no MARK/],
    [
      'stack-global-int.pkl',
      Buffer.from([0x80, 0x04, 0x4b, 0x01, 0x4b, 0x02, 0x93, 0x2e]),
      /STACK_GLOBAL needs two strings/,
    ],
    [
      'huge-unicode.pkl',
      Buffer.concat([Buffer.from([0x80, 0x04, 0x58]), u32(0xffffffff), Buffer.from('abc.')]),
      /truncated: string of 4294967295 bytes/,
    ],
    [
      'huge-bytes8.pkl',
      Buffer.concat([Buffer.from([0x80, 0x04, 0x8e]), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x40]), Buffer.from('.')]),
      /out of range/,
    ],
    [
      'huge-long4.pkl',
      Buffer.concat([Buffer.from([0x80, 0x02, 0x8b]), u32(0x7fffffff), Buffer.from('.')]),
      /LONG4 of 2147483647 bytes/,
    ],
    [
      'long-line.pkl',
      Buffer.concat([Buffer.from('c'), Buffer.alloc(100_000, 0x61)]),
      /text argument longer than 65536 bytes/,
    ],
    ['bad-int.pkl', Buffer.from('Iabc\n.'), /bad INT/],
    ['append-to-int.pkl', Buffer.from([0x80, 0x02, 0x4b, 0x01, 0x4b, 0x02, 0x61, 0x2e]), /APPEND to a int/],
    ['random.pkl', randomBytes(10_000).fill(0x28, 0, 1).fill(0xfe, 1, 2), /unknown opcode 0xfe/],
  ];
  for (const [name, data, re] of cases) {
    const file = write(dir, name, data);
    await expectInvalid(() => summarizeModel(file), file, { match: re });
  }
  // Caps: opcodes, memo, stack depth.
  const many = write(
    dir,
    'many-ops.pkl',
    Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.alloc(200_000, 0x4e), Buffer.from('.')]),
  );
  await expectInvalid(() => summarizeModel(many, { caps: { pickleOps: 10_000 } }), many, {
    match: /more than 10000 opcodes/,
  });
  await expectInvalid(() => summarizeModel(many, { caps: { pickleStack: 1000 } }), many, {
    match: /stack deeper than the 1000 cap/,
  });
  const marks = write(
    dir,
    'marks.pkl',
    Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.alloc(5_000_000, 0x28), Buffer.from('.')]),
  );
  await expectInvalid(() => summarizeModel(marks), marks, { match: /more than 2000000 opcodes|nested MARKs/ });
  const memo = write(
    dir,
    'memo.pkl',
    Buffer.concat([Buffer.from([0x80, 0x04, 0x4e]), Buffer.alloc(5000, 0x94), Buffer.from('.')]),
  );
  await expectInvalid(() => summarizeModel(memo, { caps: { pickleMemo: 100 } }), memo, {
    match: /memo larger than the 100 cap/,
  });
  // A long string is kept truncated, not refused.
  const long = await walk(Buffer.concat([pk.proto(4), pk.str('x'.repeat(5000)), pk.stop]), { pickleStringBytes: 100 });
  assert.equal(render(long.root, 10_000), `'${'x'.repeat(100)}'…(5000 bytes)`);
  // Past the total budget, strings are kept short: a pickle of many long strings stays small.
  const strings = Buffer.concat([
    pk.proto(4),
    Buffer.from(']('),
    ...new Array(50).fill(pk.str('y'.repeat(10_000))),
    Buffer.from('e.'),
  ]);
  const kept = await walk(strings, { pickleRetainedBytes: 100_000 });
  assert.ok(kept.root.t === 'list' && kept.root.items.length === 50);
  const lengths = kept.root.items.map((v) => (v.t === 'str' ? v.v.length : -1));
  assert.deepEqual(lengths.slice(0, 10), new Array(10).fill(10_000));
  assert.deepEqual(lengths.slice(11), new Array(39).fill(64));
});

test('names every object inherits (constructor, __proto__, toString) are names like any other: a verdict, never a crash', async () => {
  const dir = tempDir('pkl-inherited');
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    // Two pickles in one file: the inherited name first, then what would run a command.
    const file = write(
      dir,
      `inherited-${name}.pkl`,
      Buffer.concat([callPickle(name, name, 'a'), callPickle('posix', 'system', 'id')]),
    );
    const s = await summarizeModel(file);
    assert.equal(s.pickleVerdict, 'dangerous', name);
    assert.deepEqual(
      s.globals?.map((g) => [`${g.module}.${g.name}`, g.level]),
      [
        // A dunder attribute is dangerous wherever it sits (`__init__.__globals__`).
        [`${name}.${name}`, name.startsWith('__') ? 'dangerous' : 'suspicious'],
        ['posix.system', 'dangerous'],
      ],
      name,
    );
  }
});
