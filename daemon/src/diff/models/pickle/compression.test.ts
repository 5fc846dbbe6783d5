import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { summarizeModel } from '../ModelDiff';
import { callPickle, expectInvalid, tempDir, write } from '../models.testkit';
import { decodeBzip2 } from './bzip2';
import { decompress } from './compression';
import { decodeLzmaAlone, DecodeError, OverCapError } from './lzma';
import { decodeXz } from './xz';

const PYTHON = '/usr/bin/python3';

/** Python's own compressors on `data` (hex in, hex out): the reference for the decoders. */
function pyCompress(kind: string, data: Buffer): Buffer {
  const code = `
import bz2, lzma, sys
data = bytes.fromhex(sys.stdin.read())
kind = sys.argv[1]
out = {
  'bz2': lambda: bz2.compress(data, 9),
  'bz2-multi': lambda: bz2.compress(data[:1000], 1) + bz2.compress(data[1000:], 9),
  'lzma': lambda: lzma.compress(data, format=lzma.FORMAT_ALONE),
  'xz': lambda: lzma.compress(data, format=lzma.FORMAT_XZ),
  'xz-crc32': lambda: lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32),
  'xz-multi': lambda: lzma.compress(data[:1000]) + lzma.compress(data[1000:]),
}[kind]()
sys.stdout.write(out.hex())
`;
  return Buffer.from(
    execFileSync(PYTHON, ['-c', code, kind], { input: data.toString('hex'), maxBuffer: 1 << 28 }).toString(),
    'hex',
  );
}

/** Text-like data with long runs and repeats: every LZMA and bzip2 path (literals, matches, reps, RLE). */
function sample(n: number): Buffer {
  const out = Buffer.alloc(n);
  let x = 12345;
  for (let i = 0; i < n;) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const kind = x % 4;
    const len = Math.min(n - i, 1 + (x % 300));
    if (kind === 0) out.fill(x & 0xff, i, i + len);
    else if (kind === 1 && i > 500) out.copy(out, i, i - 400, i - 400 + Math.min(len, 400));
    else for (let j = 0; j < len; j++) out[i + j] = (x >> (j % 16)) & 0xff;
    i += len;
  }
  return out;
}

test('bz2, lzma and xz streams from Python decode to their bytes', async () => {
  const data = sample(600_000);
  const cap = 8 << 20;
  assert.ok(decodeBzip2(pyCompress('bz2', data), cap).equals(data));
  assert.ok(decodeBzip2(pyCompress('bz2-multi', data), cap).equals(data));
  assert.ok(decodeLzmaAlone(pyCompress('lzma', data), cap).equals(data));
  for (const kind of ['xz', 'xz-crc32', 'xz-multi'])
    assert.ok((await decodeXz(pyCompress(kind, data), cap)).equals(data), kind);
  assert.equal(decodeLzmaAlone(pyCompress('lzma', Buffer.alloc(0)), cap).length, 0);
});

test('decoders stop at the cap, and every truncation or corruption is a DecodeError, fast', async () => {
  const zeros = Buffer.alloc(8 << 20);
  // The library decoders (bz2: seek-bzip, xz: xz-decompress) behind one async signature.
  const decoders = {
    bz2: async (b: Buffer, cap: number) => decodeBzip2(b, cap),
    lzma: async (b: Buffer, cap: number) => decodeLzmaAlone(b, cap),
    xz: decodeXz,
  };
  for (const [kind, decode] of Object.entries(decoders)) {
    const bomb = pyCompress(kind, zeros);
    await assert.rejects(decode(bomb, 1 << 20), OverCapError, kind);
    const small = pyCompress(kind, sample(5000));
    const t0 = performance.now();
    for (let cut = 1; cut < small.length; cut += 7)
      await assert.rejects(decode(small.subarray(0, cut), 1 << 20), DecodeError, `${kind} cut at ${cut}`);
    for (let i = 0; i < small.length; i += 13) {
      const bad = Buffer.from(small);
      bad[i] = (bad[i] as number) ^ 0x5a;
      try {
        await decode(bad, 1 << 20);
      } catch (e) {
        assert.ok(e instanceof DecodeError, `${kind} corrupt at ${i}: ${String(e)}`);
      }
    }
    // A generous bound (loaded CI machines): what matters is that no input hangs a decoder.
    assert.ok(performance.now() - t0 < 30_000, kind);
  }
});

test('compressed joblib files are decompressed and scanned; over the cap they are refused', async () => {
  const dir = tempDir('pkl-compressed');
  const evil = callPickle('posix', 'system', 'true');
  for (const kind of ['bz2', 'lzma', 'xz']) {
    const file = write(dir, `evil.${kind}.joblib`, pyCompress(kind, evil));
    const s = await summarizeModel(file);
    assert.equal(s.facts['container'], `compressed joblib (${kind})`);
    assert.equal(s.pickleVerdict, 'dangerous', kind);
    assert.equal(s.facts['dangerous globals'], 'posix.system');
    const bomb = write(dir, `bomb.${kind}.joblib`, pyCompress(kind, Buffer.alloc(8 << 20)));
    await expectInvalid(() => summarizeModel(bomb, { caps: { decompressedBytes: 1 << 20 } }), bomb, {
      match: /inflates to more than the 1\.0 MiB cap/,
      maxRssMb: 64,
    });
  }
  await assert.rejects(decompress('x.joblib', 'xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 1]), 100), /corrupt/);
});
