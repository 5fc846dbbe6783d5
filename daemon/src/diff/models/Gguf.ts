/**
 * GGUF (llama.cpp) v2/v3: "GGUF", u32 version, u64 tensor count, u64 key/value count, the
 * key/values (typed, arrays included), the tensor infos (name, dims, ggml type, offset),
 * then aligned tensor data. Only the header is read; counts, string lengths and array sizes
 * are capped, and tensor extents are checked against the file size.
 *
 * Shapes are reported row-major (numpy/torch order): GGUF stores ne[0] (the fastest-varying
 * dimension) first, so the stored dims are reversed.
 */
import type { TensorInfo } from '../../../../shared/src/diff';
import {
  Cursor,
  fileRangeHasher,
  formatBytes,
  invalid,
  paramsOf,
  safeNumber,
  withFile,
  type ParseOptions,
} from './FileSource';
import { pyFloat } from './pickle/render';
import type { ParsedModel } from './types';

/** ggml_type → [name, block size (elements), bytes per block] (bytes 0: extent not checked). */
const GGML_TYPES: Record<number, [string, number, number]> = {
  0: ['float32', 1, 4],
  1: ['float16', 1, 2],
  2: ['q4_0', 32, 18],
  3: ['q4_1', 32, 20],
  6: ['q5_0', 32, 22],
  7: ['q5_1', 32, 24],
  8: ['q8_0', 32, 34],
  9: ['q8_1', 32, 36],
  10: ['q2_k', 256, 84],
  11: ['q3_k', 256, 110],
  12: ['q4_k', 256, 144],
  13: ['q5_k', 256, 176],
  14: ['q6_k', 256, 210],
  15: ['q8_k', 256, 292],
  16: ['iq2_xxs', 256, 0],
  17: ['iq2_xs', 256, 0],
  18: ['iq3_xxs', 256, 0],
  19: ['iq1_s', 256, 0],
  20: ['iq4_nl', 32, 0],
  21: ['iq3_s', 256, 0],
  22: ['iq2_s', 256, 0],
  23: ['iq4_xs', 256, 0],
  24: ['int8', 1, 1],
  25: ['int16', 1, 2],
  26: ['int32', 1, 4],
  27: ['int64', 1, 8],
  28: ['float64', 1, 8],
  29: ['iq1_m', 256, 0],
  30: ['bfloat16', 1, 2],
  34: ['tq1_0', 256, 0],
  35: ['tq2_0', 256, 0],
  39: ['mxfp4', 32, 0],
};

const VALUE_TYPES = [
  'uint8',
  'int8',
  'uint16',
  'int16',
  'uint32',
  'int32',
  'float32',
  'bool',
  'string',
  'array',
  'uint64',
  'int64',
  'float64',
];
const FIXED_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

interface KvValue {
  text: string;
  num?: number;
}

export async function parseGguf(file: string, opts: ParseOptions): Promise<ParsedModel> {
  const caps = opts.caps;
  return withFile(file, opts.stats, async (src) => {
    const size = src.size;
    const c = new Cursor(src);
    await c.need(4, 'GGUF magic');
    const magic = c.bytes(4);
    if (magic.toString('latin1') !== 'GGUF')
      throw invalid(file, `not a GGUF file: magic ${JSON.stringify(magic.toString('latin1'))}`);
    await c.need(4, 'GGUF version');
    const version = c.u32();
    if (version === 1) throw invalid(file, 'GGUF version 1 is not supported (32-bit counts; convert the file)');
    if (version < 1 || version > 3) throw invalid(file, `unsupported GGUF version ${version}`);
    await c.need(16, 'GGUF counts');
    const tensorCount64 = c.u64();
    const kvCount64 = c.u64();
    if (tensorCount64 > BigInt(caps.ggufTensors))
      throw invalid(file, `GGUF tensor count ${tensorCount64} exceeds the ${caps.ggufTensors} cap`);
    if (kvCount64 > BigInt(caps.ggufKv))
      throw invalid(file, `GGUF key/value count ${kvCount64} exceeds the ${caps.ggufKv} cap`);
    const tensorCount = Number(tensorCount64);
    const kvCount = Number(kvCount64);

    const checkHeaderCap = (): void => {
      if (c.pos > caps.ggufHeaderBytes)
        throw invalid(file, `GGUF header is larger than the ${formatBytes(caps.ggufHeaderBytes)} cap`);
    };
    const str = async (what: string, keep = 200): Promise<string> => {
      if (c.avail() < 8) await c.need(8, what);
      const len = safeNumber(file, c.u64(), `${what} length`);
      if (len > caps.ggufStringBytes)
        throw invalid(
          file,
          `${what} of ${len} bytes at offset ${c.pos - 8} exceeds the ${formatBytes(caps.ggufStringBytes)} cap`,
        );
      if (len > c.remaining())
        throw invalid(file, `truncated: ${what} of ${len} bytes at offset ${c.pos} runs past the end of the file`);
      const n = Math.min(len, keep);
      if (n > 0 && c.avail() < n) await c.need(n, what);
      const s = n > 0 ? c.bytes(n).toString('utf8') : '';
      c.skip(len - n, what);
      return len > n ? `${s}…` : s;
    };
    const scalar = async (type: number, what: string): Promise<KvValue> => {
      const sz = FIXED_SIZE[type];
      if (sz !== undefined) {
        await c.need(sz, what);
        switch (type) {
          case 0:
            return numeric(c.u8());
          case 1:
            return numeric(c.bytes(1).readInt8(0));
          case 2:
            return numeric(c.u16());
          case 3:
            return numeric(c.bytes(2).readInt16LE(0));
          case 4:
            return numeric(c.u32());
          case 5:
            return numeric(c.i32());
          case 6:
            return { text: f32Repr(c.f32()) };
          case 7:
            return { text: c.u8() !== 0 ? 'true' : 'false' };
          case 10:
            return bigNumeric(c.u64());
          case 11:
            return bigNumeric(c.i64());
          default:
            return { text: pyFloat(c.f64()) };
        }
      }
      if (type === 8) return { text: JSON.stringify(await str(what)) };
      throw invalid(file, `${what}: unknown GGUF value type ${type} at offset ${c.pos - 4}`);
    };
    const value = async (type: number, what: string, depth: number): Promise<KvValue> => {
      if (type !== 9) return scalar(type, what);
      if (depth > 2) throw invalid(file, `${what}: arrays nested deeper than 3`);
      await c.need(12, what);
      const itemType = c.u32();
      const n64 = c.u64();
      if (n64 > BigInt(caps.ggufArrayItems))
        throw invalid(file, `${what}: array of ${n64} items exceeds the ${caps.ggufArrayItems} cap`);
      const n = Number(n64);
      const shown: string[] = [];
      const fixed = FIXED_SIZE[itemType];
      if (fixed !== undefined) {
        const show = Math.min(n, 3);
        for (let i = 0; i < show; i++) shown.push((await scalar(itemType, what)).text);
        const rest = (n - show) * fixed;
        if (rest > c.remaining())
          throw invalid(
            file,
            `truncated: ${what} array of ${n} ${VALUE_TYPES[itemType]} runs past the end of the file`,
          );
        c.skip(rest, what);
      } else if (itemType === 8 || itemType === 9) {
        for (let i = 0; i < n; i++) {
          const v = await value(itemType, what, depth + 1);
          if (i < 3) shown.push(v.text);
          if ((i & 1023) === 0) checkHeaderCap();
        }
      } else {
        throw invalid(file, `${what}: unknown GGUF array item type ${itemType}`);
      }
      return {
        text: `[${VALUE_TYPES[itemType] ?? itemType} × ${n}${n ? ': ' : ''}${shown.join(', ')}${n > 3 ? ', …' : ''}]`,
      };
    };

    const facts: Record<string, string> = {
      version: String(version),
      tensor_count: String(tensorCount),
      kv_count: String(kvCount),
    };
    const warnings: string[] = [];
    let alignment = 32;
    for (let i = 0; i < kvCount; i++) {
      const key = await str('metadata key', 4096);
      await c.need(4, `type of "${key}"`);
      const type = c.u32();
      const v = await value(type, `metadata "${key}"`, 0);
      const text = v.text.length > 300 ? `${v.text.slice(0, 299)}…` : v.text;
      facts[`metadata.${key}`] = text;
      if (key === 'general.alignment') {
        if (v.num === undefined || v.num <= 0 || (v.num & (v.num - 1)) !== 0)
          throw invalid(file, `general.alignment ${v.text} is not a power of two`);
        alignment = v.num;
      }
      checkHeaderCap();
    }

    const tensors: TensorInfo[] = [];
    const content = new Map<string, () => Promise<string>>();
    const infos: { name: string; offset: number; bytes: number | null }[] = [];
    const names = new Set<string>();
    for (let i = 0; i < tensorCount; i++) {
      const name = await str('tensor name', 4096);
      await c.need(4, `dims of "${name}"`);
      const nDims = c.u32();
      if (nDims > 8) throw invalid(file, `tensor "${name}" has ${nDims} dimensions (at most 8)`);
      await c.need(nDims * 8 + 12, `info of "${name}"`);
      const dims: number[] = [];
      for (let d = 0; d < nDims; d++) dims.push(safeNumber(file, c.u64(), `dimension of "${name}"`));
      const type = c.u32();
      const offset = safeNumber(file, c.u64(), `offset of "${name}"`);
      const t = GGML_TYPES[type];
      const shape = [...dims].reverse();
      const params = paramsOf(shape);
      if (!Number.isSafeInteger(params))
        throw invalid(file, `tensor "${name}" has an absurd shape ${JSON.stringify(shape)}`);
      if (names.has(name)) warnings.push(`duplicate tensor name "${name}"`);
      names.add(name);
      let bytes: number | null = null;
      if (t && t[2] > 0) {
        if (params % t[1] !== 0)
          throw invalid(
            file,
            `tensor "${name}": ${params} elements is not a multiple of the ${t[0]} block size ${t[1]}`,
          );
        bytes = (params / t[1]) * t[2];
      }
      if (!t) warnings.push(`tensor "${name}": unknown ggml type ${type}`);
      tensors.push({ name, dtype: t ? t[0] : `ggml_type_${type}`, shape, params });
      infos.push({ name, offset, bytes });
      checkHeaderCap();
    }
    const dataStart = Math.ceil(c.pos / alignment) * alignment;
    if (tensorCount > 0 && dataStart > size)
      throw invalid(file, `truncated: tensor data would start at ${dataStart}, file has ${size} bytes`);
    for (const info of infos) {
      if (info.offset % alignment !== 0)
        warnings.push(`tensor "${info.name}" offset ${info.offset} is not aligned to ${alignment}`);
      if (info.bytes === null) continue;
      const end = dataStart + info.offset + info.bytes;
      if (end > size)
        throw invalid(
          file,
          `truncated: tensor "${info.name}" data ends at ${end}, beyond the end of the file (${size} bytes)`,
        );
      content.set(info.name, fileRangeHasher(file, dataStart + info.offset, info.bytes, opts.stats));
    }
    if (alignment !== 32) facts['alignment'] = String(alignment);
    return { summary: { format: 'gguf', size, facts, tensors, warnings }, content };
  });
}

function numeric(n: number): KvValue {
  return { text: String(n), num: n };
}

function bigNumeric(n: bigint): KvValue {
  const num = n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(n) : undefined;
  return num === undefined ? { text: String(n) } : { text: String(n), num };
}

/** The shortest decimal that reads back as the same float32 (like numpy's repr). */
function f32Repr(v: number): string {
  if (!Number.isFinite(v)) return pyFloat(v);
  for (let p = 1; p <= 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v) return pyFloat(d);
  }
  return pyFloat(v);
}
