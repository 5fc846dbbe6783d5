/**
 * Test-only helpers for the model parsers: fixture paths and the values the fixture script
 * computed with the real libraries, an assertion for bad inputs (typed error naming the file,
 * fast, bounded memory), and small writers for hand-made zips, pickles and GGUF files.
 * Not imported by production code.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { MlsnapError } from '../../../../shared/src/errors';
import { tempDir } from '../../../../test/support/tmp';
import { crc32 } from './Zip';

export { tempDir };

export const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'models');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

/** What make_models.py computed with torch/onnx/sklearn/pickletools when it wrote the fixtures. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
export const EXPECTED: Record<string, Json> = JSON.parse(fs.readFileSync(fixture('expected.json'), 'utf8')) as Record<
  string,
  Json
>;

/**
 * Asserts that `run` rejects with MlsnapError('invalid-file') naming `file`, within `maxMs`,
 * and without the process growing by more than `maxRssMb`. Returns the message.
 */
export async function expectInvalid(
  run: () => Promise<unknown>,
  file: string,
  opts: { maxMs?: number; maxRssMb?: number; match?: RegExp } = {},
): Promise<string> {
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 2);
  const t0 = performance.now();
  let error: unknown = null;
  try {
    await run();
  } catch (err) {
    error = err;
  } finally {
    clearInterval(timer);
  }
  const ms = performance.now() - t0;
  peak = Math.max(peak, process.memoryUsage().rss);
  assert.ok(error !== null, `${path.basename(file)}: expected an invalid-file error, got a result`);
  assert.ok(error instanceof MlsnapError, `expected MlsnapError, got ${String(error)}`);
  assert.equal(error.kind, 'invalid-file', error.message);
  assert.equal(error.path, file);
  assert.ok(error.message.includes(file), `message names the file: ${error.message}`);
  if (opts.match) assert.match(error.message, opts.match);
  // 10 s by default: loaded CI machines miss tighter bounds; memory (below) bounds the work.
  assert.ok(ms < (opts.maxMs ?? 10_000), `${error.message}: took ${ms.toFixed(0)} ms`);
  const grew = (peak - rss0) / (1024 * 1024);
  assert.ok(grew < (opts.maxRssMb ?? 256), `${error.message}: memory grew by ${grew.toFixed(0)} MB`);
  return error.message;
}

/** Writes `data` to a fresh file in `dir` and returns its path. */
export function write(dir: string, name: string, data: Buffer | string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
}

// ---------------------------------------------------------------------------------------------
// Zip writer

export interface ZipSpec {
  name: string;
  data: Buffer;
  /** 0 stored, 8 deflate (default). */
  method?: 0 | 8;
  /** Already-compressed bytes (with `method: 8`), e.g. a zip bomb stream. */
  raw?: Buffer;
  /** Lie about the uncompressed size / CRC. */
  declaredSize?: number;
  crc?: number;
}

/** A zip archive; with `zip64` every entry and the end record use the zip64 forms. */
export function buildZip(specs: ZipSpec[], opts: { zip64?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const s of specs) {
    const method = s.method ?? 8;
    const body = s.raw ?? (method === 8 ? zlib.deflateRawSync(s.data) : s.data);
    const usize = s.declaredSize ?? s.data.length;
    const crc = s.crc ?? crc32(s.data);
    const name = Buffer.from(s.name, 'utf8');
    const z64 = opts.zip64 === true;
    const extraLocal = z64 ? Buffer.alloc(20) : Buffer.alloc(0);
    if (z64) {
      extraLocal.writeUInt16LE(1, 0);
      extraLocal.writeUInt16LE(16, 2);
      extraLocal.writeBigUInt64LE(BigInt(usize), 4);
      extraLocal.writeBigUInt64LE(BigInt(body.length), 12);
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(z64 ? 45 : 20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(z64 ? 0xffffffff : body.length, 18);
    local.writeUInt32LE(z64 ? 0xffffffff : usize, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extraLocal.length, 28);
    parts.push(local, name, extraLocal, body);

    const extraCentral = z64 ? Buffer.alloc(28) : Buffer.alloc(0);
    if (z64) {
      extraCentral.writeUInt16LE(1, 0);
      extraCentral.writeUInt16LE(24, 2);
      extraCentral.writeBigUInt64LE(BigInt(usize), 4);
      extraCentral.writeBigUInt64LE(BigInt(body.length), 12);
      extraCentral.writeBigUInt64LE(BigInt(offset), 20);
    }
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(z64 ? 45 : 20, 4);
    c.writeUInt16LE(z64 ? 45 : 20, 6);
    c.writeUInt16LE(0x800, 8);
    c.writeUInt16LE(method, 10);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(z64 ? 0xffffffff : body.length, 20);
    c.writeUInt32LE(z64 ? 0xffffffff : usize, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt16LE(extraCentral.length, 30);
    c.writeUInt32LE(z64 ? 0xffffffff : offset, 42);
    central.push(c, name, extraCentral);
    offset += 30 + name.length + extraLocal.length + body.length;
  }
  const cd = Buffer.concat(central);
  const tail: Buffer[] = [];
  if (opts.zip64) {
    const e64 = Buffer.alloc(56);
    e64.writeUInt32LE(0x06064b50, 0);
    e64.writeBigUInt64LE(44n, 4);
    e64.writeUInt16LE(45, 12);
    e64.writeUInt16LE(45, 14);
    e64.writeBigUInt64LE(BigInt(specs.length), 24);
    e64.writeBigUInt64LE(BigInt(specs.length), 32);
    e64.writeBigUInt64LE(BigInt(cd.length), 40);
    e64.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + cd.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(e64, loc);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : specs.length, 8);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : specs.length, 10);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : cd.length, 12);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : offset, 16);
  return Buffer.concat([...parts, cd, ...tail, eocd]);
}

/** A raw deflate stream of `total` zero bytes, built in 1 MiB steps (low memory). */
export async function deflatedZeros(total: number): Promise<Buffer> {
  const d = zlib.createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  d.on('data', (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => {
    d.on('end', resolve);
    d.on('error', reject);
  });
  const chunk = Buffer.alloc(1024 * 1024);
  for (let left = total; left > 0; left -= chunk.length) {
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    if (!d.write(piece)) await new Promise((r) => d.once('drain', r));
  }
  d.end();
  await done;
  return Buffer.concat(out);
}

// ---------------------------------------------------------------------------------------------
// Pickle bytes

/** Protocol-4 style pieces for hand-made pickles. */
export const pk = {
  proto: (v = 4): Buffer => Buffer.from([0x80, v]),
  str: (s: string): Buffer => {
    const b = Buffer.from(s, 'utf8');
    if (b.length < 256) return Buffer.concat([Buffer.from([0x8c, b.length]), b]);
    const h = Buffer.alloc(5);
    h[0] = 0x58;
    h.writeUInt32LE(b.length, 1);
    return Buffer.concat([h, b]);
  },
  stackGlobal: (module: string, name: string): Buffer =>
    Buffer.concat([pk.str(module), pk.str(name), Buffer.from([0x93])]),
  global0: (module: string, name: string): Buffer => Buffer.from(`c${module}\n${name}\n`, 'latin1'),
  tuple1: Buffer.from([0x85]),
  reduce: Buffer.from('R'),
  stop: Buffer.from('.'),
  mark: Buffer.from('('),
};

/** A pickle that, if loaded, would call module.name(arg). */
export function callPickle(module: string, name: string, arg: string): Buffer {
  return Buffer.concat([pk.proto(4), pk.stackGlobal(module, name), pk.str(arg), pk.tuple1, pk.reduce, pk.stop]);
}

// ---------------------------------------------------------------------------------------------
// GGUF writer

export type GgufKv = [string, 'u32' | 'f32' | 'str' | 'bool' | 'strs', unknown];

function ggufString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const h = Buffer.alloc(8);
  h.writeBigUInt64LE(BigInt(b.length));
  return Buffer.concat([h, b]);
}

/** A GGUF v3 file: tensors are float32 with `shape` given row-major (stored reversed). */
export function buildGguf(
  kvs: GgufKv[],
  tensors: { name: string; shape: number[]; fill?: number }[],
  version = 3,
): Buffer {
  const parts: Buffer[] = [Buffer.from('GGUF')];
  const counts = Buffer.alloc(20);
  counts.writeUInt32LE(version, 0);
  counts.writeBigUInt64LE(BigInt(tensors.length), 4);
  counts.writeBigUInt64LE(BigInt(kvs.length), 12);
  parts.push(counts);
  for (const [key, type, value] of kvs) {
    parts.push(ggufString(key));
    const t = Buffer.alloc(4);
    if (type === 'u32') {
      t.writeUInt32LE(4);
      const v = Buffer.alloc(4);
      v.writeUInt32LE(value as number);
      parts.push(t, v);
    } else if (type === 'f32') {
      t.writeUInt32LE(6);
      const v = Buffer.alloc(4);
      v.writeFloatLE(value as number);
      parts.push(t, v);
    } else if (type === 'bool') {
      t.writeUInt32LE(7);
      parts.push(t, Buffer.from([value ? 1 : 0]));
    } else if (type === 'str') {
      t.writeUInt32LE(8);
      parts.push(t, ggufString(value as string));
    } else {
      t.writeUInt32LE(9);
      const h = Buffer.alloc(12);
      const list = value as string[];
      h.writeUInt32LE(8, 0);
      h.writeBigUInt64LE(BigInt(list.length), 4);
      parts.push(t, h, ...list.map(ggufString));
    }
  }
  let offset = 0;
  const datas: Buffer[] = [];
  for (const t of tensors) {
    const dims = [...t.shape].reverse();
    const info = Buffer.alloc(4 + 8 * dims.length + 12);
    info.writeUInt32LE(dims.length, 0);
    dims.forEach((d, i) => info.writeBigUInt64LE(BigInt(d), 4 + 8 * i));
    info.writeUInt32LE(0, 4 + 8 * dims.length);
    info.writeBigUInt64LE(BigInt(offset), 8 + 8 * dims.length);
    parts.push(ggufString(t.name), info);
    const n = t.shape.reduce((a, b) => a * b, 1);
    const data = Buffer.alloc(Math.ceil((n * 4) / 32) * 32);
    for (let i = 0; i < n; i++) data.writeFloatLE(t.fill ?? i, i * 4);
    datas.push(data);
    offset += data.length;
  }
  const head = Buffer.concat(parts);
  const pad = Buffer.alloc((32 - (head.length % 32)) % 32);
  return Buffer.concat([head, pad, ...datas]);
}
