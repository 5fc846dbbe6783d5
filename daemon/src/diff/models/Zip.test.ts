import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { DEFAULT_CAPS, withFile, type ModelCaps } from './FileSource';
import { summarizeModel } from './ModelDiff';
import { buildZip, deflatedZeros, expectInvalid, fixture, tempDir, write } from './models.testkit';
import { crc32, ZipArchive } from './Zip';

function open<T>(file: string, fn: (z: ZipArchive) => Promise<T>, caps: Partial<ModelCaps> = {}): Promise<T> {
  return withFile(file, undefined, async (src) => fn(await ZipArchive.open(src, { ...DEFAULT_CAPS, ...caps })));
}

test('crc32 matches zlib', () => {
  const data = Buffer.from('The quick brown fox jumps over the lazy dog');
  assert.equal(crc32(data), 0x414fa339);
  assert.equal(crc32(Buffer.alloc(0)), 0);
});

test('the entries of a torch.save zip are listed and read, as Python zipfile sees them', async () => {
  const listing = execFileSync(
    '/usr/bin/python3',
    [
      '-c',
      'import sys, zipfile, json; z = zipfile.ZipFile(sys.argv[1]); print(json.dumps([[i.filename, i.file_size, i.compress_type] for i in z.infolist()]))',
      fixture('mlp_h32.pt'),
    ],
    { encoding: 'utf8' },
  );
  const expected = JSON.parse(listing) as [string, number, number][];
  await open(fixture('mlp_h32.pt'), async (z) => {
    assert.deepEqual(
      z.entries.map((e) => [e.name, e.uncompressedSize, e.method]),
      expected,
    );
    const version = z.find('mlp_h32/version');
    assert.ok(version);
    assert.equal((await z.read(version)).toString('utf8').trim(), '3');
    const storage = z.find('mlp_h32/data/0');
    assert.ok(storage);
    assert.equal((await z.read(storage)).length, 32 * 8 * 4);
  });
});

test('deflated entries (the .keras fixture) inflate and pass their CRC', async () => {
  await open(fixture('tiny.keras'), async (z) => {
    const cfg = z.find('config.json');
    assert.ok(cfg);
    assert.equal(cfg.method, 8);
    assert.equal(JSON.parse((await z.read(cfg)).toString('utf8')).class_name, 'Sequential');
  });
});

test('zip64 records and extra fields are understood', async () => {
  const dir = tempDir('zip64');
  const file = write(
    dir,
    'z64.zip',
    buildZip(
      [
        { name: 'a.txt', data: Buffer.from('hello zip64') },
        { name: 'b.bin', data: Buffer.alloc(1000, 7), method: 0 },
      ],
      { zip64: true },
    ),
  );
  await open(file, async (z) => {
    assert.equal(z.zip64, true);
    assert.deepEqual(
      z.entries.map((e) => [e.name, e.uncompressedSize]),
      [
        ['a.txt', 11],
        ['b.bin', 1000],
      ],
    );
    assert.equal((await z.read(z.entries[0] as never)).toString(), 'hello zip64');
    assert.ok((await z.read(z.entries[1] as never)).equals(Buffer.alloc(1000, 7)));
  });
});

test('zip bombs are refused at the cap: declared sizes, lying headers, the default 64 MiB cap', async () => {
  const dir = tempDir('zip-bomb');
  const bomb = await deflatedZeros(200 * 1024 * 1024); // 200 MiB of zeros, ~200 KB deflated
  assert.ok(bomb.length < 1024 * 1024);
  // 1. The entry honestly declares 200 MiB: refused before inflating.
  const declared = write(
    dir,
    'declared.zip',
    buildZip([{ name: 'data.pkl', data: Buffer.alloc(0), raw: bomb, declaredSize: 200 * 1024 * 1024 }]),
  );
  await open(declared, async (z) => {
    await expectInvalid(() => z.read(z.entries[0] as never), declared, {
      match: /declares 200\.0 MiB uncompressed, over the 64\.0 MiB cap/,
      maxRssMb: 64,
    });
  });
  // 2. It declares 5 GB through zip64: the same.
  const huge = write(
    dir,
    'huge.zip',
    buildZip([{ name: 'x', data: Buffer.alloc(0), raw: bomb, declaredSize: 5 * 1024 ** 3 }], { zip64: true }),
  );
  await open(huge, async (z) => {
    await expectInvalid(() => z.read(z.entries[0] as never), huge, { match: /declares 5\.0 GiB/ });
  });
  // 3. It lies (declares 1 KiB) and inflates to 200 MiB: inflation stops at the cap.
  const lying = write(
    dir,
    'lying.zip',
    buildZip([{ name: 'x', data: Buffer.alloc(0), raw: bomb, declaredSize: 1024 }]),
  );
  await open(lying, async (z) => {
    await expectInvalid(() => z.read(z.entries[0] as never), lying, {
      match: /inflates to more than the 64\.0 MiB cap/,
      maxRssMb: 200,
    });
  });
  // 4. With a small cap (tests), a lie inflating to more than the cap but declaring less.
  await open(
    lying,
    async (z) => {
      await expectInvalid(() => z.read(z.entries[0] as never), lying, {
        match: /inflates to more than the 1\.0 MiB cap/,
        maxRssMb: 64,
      });
    },
    { zipEntryBytes: 1024 * 1024 },
  );
  // 5. A torch-looking archive whose data.pkl is the bomb: summarize refuses it.
  const pt = write(
    dir,
    'bomb.pt',
    buildZip([{ name: 'bomb/data.pkl', data: Buffer.alloc(0), raw: bomb, declaredSize: 100 }]),
  );
  await expectInvalid(() => summarizeModel(pt), pt, { match: /inflates to more than/ });
});

test('corrupt and truncated zips are invalid-file errors', async () => {
  const dir = tempDir('zip-bad');
  const good = fs.readFileSync(fixture('mlp_h32.pt'));
  const ok = buildZip([{ name: 'arch/data.pkl', data: Buffer.from('\x80\x02}q\x00.', 'latin1') }]);
  const badCrc = buildZip([{ name: 'arch/data.pkl', data: Buffer.from('\x80\x02}q\x00.', 'latin1'), crc: 1234 }]);
  const badDeflate = buildZip([
    { name: 'arch/data.pkl', data: Buffer.from('abc'), raw: Buffer.from([0xff, 0xff, 0xff, 0xff]) },
  ]);
  const sizeLie = buildZip([
    { name: 'arch/data.pkl', data: Buffer.from('\x80\x02}q\x00.', 'latin1'), declaredSize: 3 },
  ]);
  const cdBeyond = Buffer.from(ok);
  cdBeyond.writeUInt32LE(0x7fffffff, cdBeyond.length - 6); // central directory offset past the end
  const manyEntries = Buffer.from(ok);
  manyEntries.writeUInt16LE(0xfffe, manyEntries.length - 12); // claims 65534 entries in a tiny directory
  const cases: [string, Buffer, RegExp][] = [
    ['truncated-end.pt', good.subarray(0, good.length - 10), /no end-of-central-directory record/],
    ['truncated-half.pt', good.subarray(0, good.length >> 1), /no end-of-central-directory record/],
    ['tiny.pt', Buffer.from('PK\x03\x04'), /shorter than an end-of-central-directory/],
    ['bad-crc.pt', badCrc, /fails its CRC-32 check/],
    ['bad-deflate.pt', badDeflate, /corrupt deflate data/],
    ['size-lie.pt', sizeLie, /inflates to .* but declares 3/],
    ['cd-beyond.pt', cdBeyond, /runs past its end record/],
    ['many-entries.pt', manyEntries, /central directory entry \d+ is corrupt/],
    ['no-config.keras', buildZip([{ name: 'readme.txt', data: Buffer.from('hi') }]), /no config\.json/],
    ['nested-junk.keras', buildZip([{ name: 'config.json', data: Buffer.from('['.repeat(50_000)) }]), /not valid JSON/],
  ];
  for (const [name, data, re] of cases) {
    const file = write(dir, name, data);
    await expectInvalid(() => summarizeModel(file), file, { match: re });
  }
  // The cap on entry counts.
  const two = write(
    dir,
    'two.zip',
    buildZip([
      { name: 'a', data: Buffer.from('a') },
      { name: 'b', data: Buffer.from('b') },
    ]),
  );
  await expectInvalid(() => open(two, async () => null, { zipEntries: 1 }), two, {
    match: /2 entries, more than the 1 cap/,
  });
});

test('a zip that is neither torch nor keras is summarized as unknown with its hash', async () => {
  const dir = tempDir('zip-other');
  const file = write(dir, 'other.zip', buildZip([{ name: 'a.txt', data: Buffer.from('hello') }]));
  const s = await summarizeModel(file);
  assert.equal(s.format, 'unknown');
  assert.equal(s.facts['container'], 'zip');
  assert.equal(s.facts['entries'], '1');
  assert.match(s.facts['blake3'] ?? '', /^[0-9a-f]{64}$/);
  // Named like a torch file but without data.pkl: still unknown, with a warning.
  const pt = write(dir, 'no-data-pkl.pt', buildZip([{ name: 'readme.txt', data: Buffer.from('hi') }]));
  const p = await summarizeModel(pt);
  assert.equal(p.format, 'unknown');
  assert.match(p.warnings.join('\n'), /without data\.pkl: not a torch\.save archive/);
});
