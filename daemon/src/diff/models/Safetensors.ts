/**
 * safetensors: a little-endian u64 header length N, N bytes of JSON
 * (`{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {str: str}}`),
 * then the tensor bytes, offsets relative to the end of the header. Only the header is read;
 * tensor bytes are hashed on request (compareBytes).
 */
import type { TensorInfo } from '../../../../shared/src/diff';
import { fileRangeHasher, formatBytes, invalid, paramsOf, withFile, type ParseOptions } from './FileSource';
import type { ParsedModel } from './types';
import { jsonNestingExceeds } from '../nesting';
import { ownEntry } from '../../../../shared/src/ownEntry';

/** __metadata__ maps strings to strings; other values are shown as JSON, if they nest this little. */
const MAX_METADATA_NESTING = 8;

/** safetensors dtype → [normalised name, bytes per element]. */
const DTYPES: Record<string, [string, number]> = {
  BOOL: ['bool', 1],
  U8: ['uint8', 1],
  I8: ['int8', 1],
  F8_E5M2: ['float8_e5m2', 1],
  F8_E4M3: ['float8_e4m3fn', 1],
  F8_E8M0: ['float8_e8m0fnu', 1],
  I16: ['int16', 2],
  U16: ['uint16', 2],
  F16: ['float16', 2],
  BF16: ['bfloat16', 2],
  I32: ['int32', 4],
  U32: ['uint32', 4],
  F32: ['float32', 4],
  C64: ['complex64', 8],
  F64: ['float64', 8],
  I64: ['int64', 8],
  U64: ['uint64', 8],
};

export async function parseSafetensors(file: string, opts: ParseOptions): Promise<ParsedModel> {
  return withFile(file, opts.stats, async (src) => {
    const size = src.size;
    if (size < 8)
      throw invalid(file, `truncated: ${size} bytes, a safetensors file starts with an 8-byte header length`);
    const n64 = (await src.read(0, 8, 'header length')).readBigUInt64LE(0);
    const cap = opts.caps.safetensorsHeaderBytes;
    if (n64 > BigInt(cap)) throw invalid(file, `safetensors header length ${n64} exceeds the ${formatBytes(cap)} cap`);
    const n = Number(n64);
    if (8 + n > size)
      throw invalid(file, `safetensors header length ${n} runs beyond the end of the file (${size} bytes)`);
    if (n < 2) throw invalid(file, `safetensors header length ${n} is too small for a JSON object`);
    const raw = await src.read(8, n, 'safetensors header');
    if (raw[0] !== 0x7b) throw invalid(file, 'not a safetensors file: the header does not start with "{"');
    let header: unknown;
    try {
      header = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw invalid(file, `safetensors header is not valid JSON (${(err as Error).message})`);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header))
      throw invalid(file, 'safetensors header is not a JSON object');

    const dataStart = 8 + n;
    const dataSize = size - dataStart;
    const facts: Record<string, string> = {};
    const warnings: string[] = [];
    const tensors: TensorInfo[] = [];
    const content = new Map<string, () => Promise<string>>();
    const spans: [number, number, string][] = [];
    for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') {
        if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
          warnings.push('__metadata__ is not an object: ignored');
          continue;
        }
        for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
          // Values should be strings; a deeply nested one would overflow the stack in JSON.stringify.
          if (jsonNestingExceeds(v, MAX_METADATA_NESTING))
            throw invalid(file, `__metadata__ value "${k}" nests deeper than ${MAX_METADATA_NESTING} levels`);
          const s = typeof v === 'string' ? v : JSON.stringify(v);
          facts[`metadata.${k}`] = s.length > 200 ? `${s.slice(0, 200)}…` : s;
        }
        continue;
      }
      if (tensors.length >= opts.caps.tensors)
        throw invalid(file, `more than ${opts.caps.tensors} tensors in the header`);
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
        throw invalid(file, `tensor "${name}": entry is not an object`);
      const e = entry as Record<string, unknown>;
      const dtypeRaw = e['dtype'];
      const shape = e['shape'];
      const offsets = e['data_offsets'];
      if (typeof dtypeRaw !== 'string') throw invalid(file, `tensor "${name}": dtype missing`);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
        throw invalid(file, `tensor "${name}": shape is not a list of non-negative integers`);
      if (
        !Array.isArray(offsets) ||
        offsets.length !== 2 ||
        !offsets.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)
      ) {
        throw invalid(file, `tensor "${name}": data_offsets is not [begin, end]`);
      }
      const [begin, end] = offsets as [number, number];
      if (begin > end) throw invalid(file, `tensor "${name}": data_offsets [${begin}, ${end}] are reversed`);
      if (end > dataSize)
        throw invalid(
          file,
          `truncated: tensor "${name}" data_offsets [${begin}, ${end}] run beyond the ${dataSize} data bytes in the file`,
        );
      const dims = shape as number[];
      const params = paramsOf(dims);
      const known = ownEntry(DTYPES, dtypeRaw);
      if (known) {
        if (params * known[1] !== end - begin) {
          throw invalid(
            file,
            `tensor "${name}": ${dtypeRaw} ${JSON.stringify(dims)} needs ${params * known[1]} bytes, data_offsets give ${end - begin}`,
          );
        }
      } else {
        warnings.push(`tensor "${name}": unknown dtype ${dtypeRaw}, byte size not checked`);
      }
      tensors.push({ name, dtype: known ? known[0] : dtypeRaw.toLowerCase(), shape: dims, params });
      spans.push([begin, end, name]);
      content.set(name, fileRangeHasher(file, dataStart + begin, end - begin, opts.stats));
    }
    spans.sort((a, b) => a[0] - b[0]);
    let last = 0;
    for (const [b, e, name] of spans) {
      if (b < last) warnings.push(`tensor "${name}" overlaps the previous tensor's bytes`);
      last = Math.max(last, e);
    }
    if (last < dataSize) warnings.push(`${dataSize - last} bytes after the last tensor`);
    return { summary: { format: 'safetensors', size, facts, tensors, warnings }, content };
  });
}
