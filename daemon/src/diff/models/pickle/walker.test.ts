import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MlsnapError } from '../../../../../shared/src/errors';
import { BufferSource, Cursor, DEFAULT_CAPS } from '../FileSource';
import { summarizeModel } from '../ModelDiff';
import { callPickle, pk, tempDir, write } from '../models.testkit';
import { render } from './render';
import { PickleParseError, walkStream, type PickleScan } from './stream';
import { collectTensors, findEstimator } from './tensors';
import type { PV } from './values';

function scan(buf: Buffer): Promise<PickleScan> {
  return walkStream(new Cursor(new BufferSource('mem.pkl', buf)), DEFAULT_CAPS);
}

const u64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
const frame = (body: Buffer): Buffer => Buffer.concat([Buffer.from([0x95]), u64(body.length), body]);
const benign = Buffer.concat([pk.proto(4), Buffer.from('}'), pk.str('a'), Buffer.from('K\x01s.', 'latin1')]);

test('every pickle after STOP is walked: globals from all of them, the value from the first', async () => {
  const evil = callPickle('posix', 'system', 'true');
  const s = await scan(Buffer.concat([benign, benign, evil]));
  assert.equal(s.pickles, 3);
  assert.equal(render(s.root), "{'a': 1}");
  assert.deepEqual(
    s.globals.map((g) => [`${g.module}.${g.name}`, g.level]),
    [['posix.system', 'dangerous']],
  );
  assert.equal(s.verdict, 'dangerous');
  assert.deepEqual(s.calls, ["posix.system('true')"]);
  // Each pickle has its own memo: a GET of the first one's entry in the second is a failure there.
  const second = Buffer.from([0x80, 0x04, 0x68, 0x00, 0x2e]);
  const m = await scan(Buffer.concat([Buffer.from([0x80, 0x04, 0x4e, 0x94, 0x2e]), second]));
  assert.equal(m.verdict, 'unknown');
  assert.match(m.issues[0]?.text ?? '', /the pickle at offset 5 stops parsing \(memo key 0 was never stored/);
});

test('bytes after STOP that do not start a pickle are a warning, not a verdict', async () => {
  const s = await scan(Buffer.concat([benign, Buffer.from([0xff, 0x00, 0x01])]));
  assert.equal(s.verdict, 'safe');
  assert.deepEqual(s.warnings, ["3 bytes after the last pickle's STOP are not a pickle (not read)"]);
  const p = await scan(Buffer.concat([benign, Buffer.from([0x80, 0x04, 0xff])]));
  assert.equal(p.verdict, 'unknown');
});

test('frames as CPython writes them (large bytes outside any frame) agree; frames that disagree are unknown', async () => {
  // pickle.dumps([b'x' * 70000, 1], protocol=4): the large payload is written between frames.
  const big = Buffer.concat([Buffer.from([0x42]), Buffer.from([0x70, 0x11, 0x01, 0x00]), Buffer.alloc(70000, 0x78)]);
  const cpython = Buffer.concat([
    pk.proto(4),
    frame(Buffer.from([0x5d, 0x94, 0x28])),
    big,
    frame(Buffer.from([0x94, 0x4b, 0x01, 0x65, 0x2e])),
  ]);
  const ok = await scan(cpython);
  assert.deepEqual(ok.issues, []);
  assert.equal(ok.verdict, 'safe');
  assert.match(render(ok.root), /^\[<70000 bytes>, 1\]$/);
  const cases: [string, Buffer, RegExp][] = [
    [
      'crosses',
      Buffer.concat([pk.proto(4), Buffer.from([0x95]), u64(1), pk.str('abc'), Buffer.from('0N.')]),
      /an opcode crosses the end of the frame/,
    ],
    ['past STOP', Buffer.concat([pk.proto(4), Buffer.from([0x95]), u64(4), Buffer.from('N.N.')]), /past STOP/],
    [
      'nested',
      Buffer.concat([pk.proto(4), Buffer.from([0x95]), u64(12), Buffer.from('N0'), frame(Buffer.from('N.'))]),
      /starts inside the frame/,
    ],
    ['past the end', Buffer.concat([pk.proto(4), Buffer.from([0x95]), u64(1000), Buffer.from('N.')]), /declares 1000/],
  ];
  for (const [name, buf, re] of cases) {
    const s = await scan(buf);
    assert.equal(s.verdict, 'unknown', name);
    assert.match(s.issues.map((i) => i.text).join('\n'), re, name);
  }
});

test('a 200,000-item list and 100,000-deep nesting parse in a loop, with no stack overflow', async () => {
  const n = 200_000;
  const appends = Buffer.concat([pk.proto(4), Buffer.from(']('), Buffer.alloc(n * 2), Buffer.from('e.')]);
  for (let i = 0; i < n; i++) appends.set([0x4b, i & 0xff], 4 + i * 2);
  const t0 = performance.now();
  const list = await scan(appends);
  assert.ok(list.root.t === 'list' && list.root.items.length === n);
  // One APPEND per item, too.
  const one = Buffer.concat([pk.proto(4), Buffer.from(']'), Buffer.from('Na'.repeat(n)), Buffer.from('.')]);
  const ones = await scan(one);
  assert.ok(ones.root.t === 'list' && ones.root.items.length === n);
  const depth = 100_000;
  const nested = Buffer.concat([
    pk.proto(4),
    Buffer.alloc(depth, 0x5d),
    Buffer.alloc(depth - 1, 0x61),
    Buffer.from('.'),
  ]);
  const deep = await scan(nested);
  let d = 0;
  for (let v: PV | undefined = deep.root; v && v.t === 'list'; v = v.items[0]) d++;
  assert.equal(d, depth);
  assert.equal(render(deep.root, 40), '[[[[[…]]]]]');
  assert.deepEqual(collectTensors(deep.root, 10), []);
  assert.equal(findEstimator(deep.root), null);
  const marks = Buffer.concat([pk.proto(4), Buffer.alloc(depth, 0x28), Buffer.alloc(depth, 0x74), Buffer.from('.')]);
  assert.equal((await scan(marks)).root.t, 'tuple');
  // The whole path a file takes: summary, facts, diff rendering.
  const file = write(tempDir('pkl-deep'), 'deep.pkl', nested);
  const s = await summarizeModel(file);
  assert.equal(s.pickleVerdict, 'safe');
  assert.ok(performance.now() - t0 < 15_000, 'took too long');
});

test('a chain of 100,000 _rebuild_parameter wrappers around a tensor is unwrapped in a loop', async () => {
  const depth = 100_000;
  const tensor = Buffer.concat([
    pk.stackGlobal('torch._utils', '_rebuild_tensor_v2'),
    Buffer.from('(('),
    pk.str('storage'),
    pk.stackGlobal('torch', 'FloatStorage'),
    pk.str('0'),
    pk.str('cpu'),
    Buffer.from('K\x04tQK\x00K\x02K\x02\x86K\x02K\x01\x86\x89', 'latin1'),
    Buffer.from('ccollections\nOrderedDict\n)RtR', 'latin1'),
  ]);
  const buf = Buffer.concat([
    pk.proto(4),
    pk.stackGlobal('torch._utils', '_rebuild_parameter'),
    Buffer.from([0x94, 0x30]),
    Buffer.from('h\x00'.repeat(depth), 'latin1'),
    tensor,
    Buffer.from('\x85R'.repeat(depth), 'latin1'),
    Buffer.from('.'),
  ]);
  const s = await scan(buf);
  const found = collectTensors(s.root, 10);
  assert.equal(found.length, 1);
  assert.deepEqual(found[0]?.torch?.shape, [2, 2]);
  assert.equal(found[0]?.torch?.dtype, 'float32');
  assert.equal(s.verdict, 'safe');
});

test('a pickle that stops parsing names every global it saw before, and its verdict is never clean', async () => {
  const evil = callPickle('posix', 'system', 'true');
  const cut = Buffer.concat([pk.proto(4), pk.stackGlobal('collections', 'OrderedDict'), evil.subarray(2, -1)]);
  await assert.rejects(scan(cut), (e: unknown) => {
    assert.ok(e instanceof PickleParseError && e instanceof MlsnapError);
    assert.equal(e.kind, 'invalid-file');
    assert.match(
      e.message,
      /no STOP.*globals seen before it stopped: collections\.OrderedDict \(safe\), posix\.system \(dangerous\)/,
    );
    assert.deepEqual(
      e.partial.globals.map((g) => g.level),
      ['safe', 'dangerous'],
    );
    assert.equal(e.partial.verdict, 'dangerous');
    return true;
  });
  // Only safe globals before the failure: unknown, not safe.
  await assert.rejects(
    scan(Buffer.concat([pk.proto(4), pk.stackGlobal('collections', 'OrderedDict'), Buffer.from([0xff])])),
    (e: unknown) => {
      assert.ok(e instanceof PickleParseError);
      assert.equal(e.partial.verdict, 'unknown');
      return true;
    },
  );
});

test('calls and BUILDs are checked beyond the globals they name', async () => {
  const od = pk.stackGlobal('collections', 'OrderedDict');
  const cases: [string, Buffer, RegExp][] = [
    ['computed callable', Buffer.concat([pk.proto(4), od, Buffer.from(')R)R.')]), /a callable built while loading/],
    [
      'BUILD on a global',
      Buffer.concat([pk.proto(4), od, Buffer.from('N}'), pk.str('x'), Buffer.from('Ns\x86b.', 'latin1')]),
      /BUILD changes the global collections\.OrderedDict/,
    ],
    [
      'dunder state',
      Buffer.concat([pk.proto(4), od, Buffer.from(')R}'), pk.str('__setstate__'), Buffer.from('Nsb.')]),
      /BUILD sets __setstate__/,
    ],
    [
      'SETITEM on a global',
      Buffer.concat([pk.proto(4), od, pk.str('k'), Buffer.from('Ns.')]),
      /SETITEM changes the global collections\.OrderedDict/,
    ],
  ];
  for (const [name, buf, re] of cases) {
    const s = await scan(buf);
    assert.equal(s.verdict, 'dangerous', name);
    assert.match(s.issues.map((i) => i.text).join('\n'), re, name);
  }
  // _codecs.encode as CPython writes bytes (latin1) is safe; a codec name is an import.
  const bytesP2 = Buffer.from('\x80\x02c_codecs\nencode\nX\x02\x00\x00\x00\x00\x01U\x06latin1\x86R.', 'latin1');
  assert.equal((await scan(bytesP2)).verdict, 'safe');
  const odd = Buffer.from('\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aU\x05rot13\x86R.', 'latin1');
  assert.equal((await scan(odd)).verdict, 'dangerous');
});
