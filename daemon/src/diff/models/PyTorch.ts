/**
 * PyTorch `torch.save` files (since 1.6): a zip holding `<archive>/data.pkl` (the pickled
 * object, storages referenced by persistent ids), `<archive>/data/<key>` (raw storages) and
 * `<archive>/version`. data.pkl is walked with the pickle walker, never unpickled; tensors
 * come from `_rebuild_tensor_v2(persistent_load(('storage', torch.FloatStorage, key, location,
 * numel)), offset, size, stride, ...)`. The legacy (pre-1.6, not zip) format is detected and
 * reported as unsupported; its main pickle is still walked to flag unsafe globals.
 */
import type { TensorInfo } from '../../../../shared/src/diff';
import {
  BufferSource,
  Cursor,
  hashRange,
  invalid,
  paramsOf,
  withFile,
  type ParseOptions,
  type Source,
} from './FileSource';
import { collectTensors, DTYPE_BYTES, reportGlobals, walkPickle, type GlobalRef } from './Pickle';
import type { ParsedModel } from './types';
import { ZipArchive, type ZipEntry } from './Zip';

/** Protocol-2 pickle of the legacy magic number 0x1950a86a20f9469cfc6c (LONG1). */
export const LEGACY_TORCH_MAGIC = Buffer.from([
  0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
]);

export function isLegacyTorch(head: Buffer): boolean {
  return head.subarray(0, LEGACY_TORCH_MAGIC.length).equals(LEGACY_TORCH_MAGIC);
}

/** The `<archive>/data.pkl` entry of a torch.save zip, if any. */
export function findDataPkl(zip: ZipArchive): ZipEntry | undefined {
  return zip.entries
    .filter((e) => /^(?:[^/]+\/)?data\.pkl$/.test(e.name))
    .sort((a, b) => a.name.length - b.name.length)[0];
}

export async function parsePyTorchZip(zip: ZipArchive, opts: ParseOptions): Promise<ParsedModel> {
  const file = zip.file;
  const dataPkl = findDataPkl(zip);
  if (!dataPkl) throw invalid(file, 'not a torch.save archive: no data.pkl in the zip');
  const prefix = dataPkl.name.slice(0, -'data.pkl'.length);
  const facts: Record<string, string> = {};
  const warnings: string[] = [];
  if (prefix) facts['archive'] = prefix.replace(/\/$/, '');
  if (zip.find(`${prefix}constants.pkl`) || zip.entries.some((e) => e.name.startsWith(`${prefix}code/`))) {
    facts['container'] = 'TorchScript archive';
    warnings.push('TorchScript archive: its code/ runs when the model is loaded with torch.jit.load');
  }
  const small = async (name: string): Promise<string | null> => {
    const e = zip.find(prefix + name);
    if (!e) return null;
    try {
      return (await zip.read(e, 64)).toString('utf8').trim();
    } catch (err) {
      warnings.push(`${name}: ${(err as Error).message}`);
      return null;
    }
  };
  const version = await small('version');
  if (version !== null) facts['version'] = version;
  const byteorder = await small('byteorder');
  if (byteorder !== null) facts['byteorder'] = byteorder;

  const pkl = await zip.read(dataPkl);
  const res = await walkPickle(new Cursor(new BufferSource(file, pkl)), opts.caps);
  reportGlobals(res, facts, warnings);

  const storages = new Map<string, ZipEntry>();
  let storageBytes = 0;
  for (const e of zip.entries) {
    if (e.name.startsWith(`${prefix}data/`)) {
      storages.set(e.name.slice(prefix.length + 5), e);
      storageBytes += e.uncompressedSize;
    }
  }
  facts['storages'] = String(storages.size);
  if (storageBytes === 0 && storages.size > 0) warnings.push('all storages are empty');

  const tensors: TensorInfo[] = [];
  const content = new Map<string, () => Promise<string>>();
  const entries = zip.entries;
  const caps = opts.caps;
  for (const t of collectTensors(res.root, caps.tensors)) {
    if (!t.torch) {
      if (t.array)
        tensors.push({ name: t.name, dtype: t.array.dtype, shape: t.array.shape, params: paramsOf(t.array.shape) });
      continue;
    }
    const ref = t.torch;
    tensors.push({ name: t.name, dtype: ref.dtype, shape: ref.shape, params: paramsOf(ref.shape) });
    const entry = storages.get(ref.storageKey);
    if (!entry) {
      warnings.push(`tensor "${t.name}": storage ${ref.storageKey} is missing from the archive`);
      continue;
    }
    const elsize = DTYPE_BYTES[ref.dtype];
    if (elsize === undefined) continue;
    const numel = paramsOf(ref.shape);
    const stride = ref.stride ?? contiguousStride(ref.shape);
    const extent = numel === 0 ? 0 : 1 + ref.shape.reduce((acc, d, i) => acc + (d - 1) * (stride[i] ?? 0), 0);
    const from = ref.offset * elsize;
    const to = from + extent * elsize;
    if (to > entry.uncompressedSize) {
      warnings.push(
        `tensor "${t.name}" needs ${to} bytes of storage ${ref.storageKey}, which has ${entry.uncompressedSize}`,
      );
      continue;
    }
    const stats = opts.stats;
    content.set(t.name, () =>
      withFile(file, stats, async (src: Source) => {
        const z = ZipArchive.fromEntries(src, entries, caps);
        if (entry.method === 0) {
          const range = await z.dataRange(entry);
          return hashRange(src, range.start + from, to - from);
        }
        return z.hash(entry, from, to);
      }),
    );
  }
  return {
    summary: { format: 'pytorch', size: zip.src.size, facts, tensors, warnings, globals: res.globals },
    content,
  };
}

function contiguousStride(shape: number[]): number[] {
  const out: number[] = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = (out[i + 1] as number) * (shape[i + 1] as number);
  return out;
}

/** Legacy torch.save: magic, protocol, sys info, then the object pickle, then raw storages. */
export async function parseLegacyTorch(file: string, opts: ParseOptions): Promise<ParsedModel> {
  return withFile(file, opts.stats, async (src) => {
    const facts: Record<string, string> = { container: 'legacy torch.save (pre-1.6, not a zip)' };
    const warnings = ['legacy torch format not supported: tensors are not listed'];
    let globals: GlobalRef[] = [];
    try {
      const c = new Cursor(src);
      for (let i = 0; i < 3; i++) await walkPickle(c, opts.caps); // magic, protocol version, sys info
      const res = await walkPickle(c, opts.caps);
      reportGlobals(res, facts, warnings);
      globals = res.globals;
    } catch (err) {
      warnings.push(`could not walk the legacy pickle: ${(err as Error).message}`);
    }
    return { summary: { format: 'pytorch', size: src.size, facts, tensors: [], warnings, globals } };
  });
}
