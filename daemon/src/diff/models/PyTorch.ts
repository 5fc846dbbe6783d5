/**
 * PyTorch `torch.save` files, walked with the pickle walker, never unpickled:
 *
 * - the zip format (torch >= 1.6): `<archive>/data.pkl` (the object, storages referenced by
 *   persistent ids), `<archive>/data/<key>` (raw storages), `<archive>/version`. Tensors come
 *   from `_rebuild_tensor_v2(persistent_load(('storage', torch.FloatStorage, key, location,
 *   numel)), offset, size, stride, ...)`. Every other member that is a pickle (`*.pkl`, or
 *   bytes that start like one under another name) is scanned too: torch.jit.load reads
 *   constants.pkl, and a loader picks its data.pkl by the first entry's folder.
 * - the legacy format (before 1.6, not a zip): five pickles in a row (magic, protocol, sys
 *   info, the object, the storage keys), then raw storages. Globals and verdict only.
 * - the tar format (before 0.4): members `sys_info`, `pickle`, `tensors`, `storages`, all
 *   pickles. Globals and verdict only.
 */
import * as zlib from 'node:zlib';
import type { TensorInfo } from '../../../../shared/src/diff';
import {
  BufferSource,
  Cursor,
  formatBytes,
  hashRange,
  invalid,
  paramsOf,
  withFile,
  type ModelCaps,
  type ParseOptions,
  type Source,
} from './FileSource';
import { reportScan } from './pickle/report';
import { PickleParseError, startsLikePickle, seenIn, walkPickle, walkStream, type PickleScan } from './pickle/stream';
import { isTarHeader, tarMembers } from './pickle/tar';
import { collectTensors } from './pickle/tensors';
import { DTYPE_BYTES } from './pickle/torch';
import { addIssue, newScanState, type ScanState } from './pickle/state';
import type { ParsedModel } from './types';
import { ZipArchive, type ZipEntry } from './Zip';
import { ownEntry } from '../../../../shared/src/ownEntry';

/** Protocol-2 pickle of the legacy magic number 0x1950a86a20f9469cfc6c (LONG1). */
export const LEGACY_TORCH_MAGIC = Buffer.from([
  0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
]);

export function isLegacyTorch(head: Buffer): boolean {
  return head.subarray(0, LEGACY_TORCH_MAGIC.length).equals(LEGACY_TORCH_MAGIC);
}

/**
 * The `<archive>/data.pkl` torch.load reads: the one in the first entry's folder (torch names
 * the archive after its first record), else the shortest such name.
 */
export function findDataPkl(zip: ZipArchive): ZipEntry | undefined {
  const first = zip.entries[0]?.name ?? '';
  const slash = first.indexOf('/');
  const byFirst = slash >= 0 ? zip.find(`${first.slice(0, slash)}/data.pkl`) : undefined;
  return (
    byFirst ??
    zip.entries.filter((e) => /^(?:[^/]+\/)?data\.pkl$/.test(e.name)).sort((a, b) => a.name.length - b.name.length)[0]
  );
}

/** Scan state as a report: everything seen in the archive's pickles. */
function reportOf(shared: ScanState, first?: PickleScan): Parameters<typeof reportScan>[0] {
  const out: Parameters<typeof reportScan>[0] = { ...seenIn(shared), warnings: shared.warnings };
  if (first) out.protocol = first.protocol;
  return out;
}

async function archiveFacts(
  zip: ZipArchive,
  prefix: string,
  facts: Record<string, string>,
  warnings: string[],
): Promise<void> {
  if (prefix) facts['archive'] = prefix.replace(/\/$/, '');
  if (zip.find(`${prefix}constants.pkl`) || zip.entries.some((e) => e.name.startsWith(`${prefix}code/`))) {
    facts['container'] = 'TorchScript archive';
    warnings.push('TorchScript archive: its code/ runs when the model is loaded with torch.jit.load');
  }
  for (const name of ['version', 'byteorder']) {
    const e = zip.find(prefix + name);
    if (!e) continue;
    try {
      facts[name] = (await zip.read(e, 64)).toString('utf8').trim();
    } catch (err) {
      warnings.push(`${name}: ${(err as Error).message}`);
    }
  }
}

export async function parsePyTorchZip(zip: ZipArchive, opts: ParseOptions): Promise<ParsedModel> {
  const file = zip.file;
  const dataPkl = findDataPkl(zip);
  if (!dataPkl) throw invalid(file, 'not a torch.save archive: no data.pkl in the zip');
  const prefix = dataPkl.name.slice(0, -'data.pkl'.length);
  const facts: Record<string, string> = {};
  const warnings: string[] = [];
  await archiveFacts(zip, prefix, facts, warnings);

  const shared = newScanState();
  const pkl = await zip.read(dataPkl);
  const main = await walkStream(new Cursor(new BufferSource(file, pkl)), opts.caps, { shared });
  const storages = new Map<string, ZipEntry>();
  for (const e of zip.entries)
    if (e.name.startsWith(`${prefix}data/`)) storages.set(e.name.slice(prefix.length + 5), e);
  const found = collectTensors(main.root, opts.caps.tensors);
  const referenced = new Set(found.flatMap((t) => (t.torch ? [storages.get(t.torch.storageKey)] : [])));
  await scanMembers(zip, dataPkl, referenced, shared, opts.caps);
  const fields = reportScan(reportOf(shared, main), facts, warnings);

  facts['storages'] = String(storages.size);
  const storageBytes = [...storages.values()].reduce((n, e) => n + e.uncompressedSize, 0);
  if (storageBytes === 0 && storages.size > 0) warnings.push('all storages are empty');
  const { tensors, content } = tensorsOf(zip, found, storages, opts, warnings);
  return {
    summary: { format: 'pytorch', size: zip.src.size, facts, tensors, warnings, ...fields },
    content,
  };
}

/** The first bytes of a member (stored or deflated), without reading all of it. */
async function memberHead(zip: ZipArchive, e: ZipEntry): Promise<Buffer> {
  if (e.uncompressedSize < 2 || (e.method !== 0 && e.method !== 8) || e.flags & 1) return Buffer.alloc(0);
  const { start, length } = await zip.dataRange(e);
  const raw = await zip.src.read(start, Math.min(length, e.method === 0 ? 2 : 256), 'zip member head');
  if (e.method === 0) return raw;
  try {
    // A truncated deflate stream, flushed as far as it goes: enough for two bytes.
    return zlib.inflateRawSync(raw, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: 64 });
  } catch {
    return Buffer.alloc(0);
  }
}

/**
 * Every member but the main data.pkl and the storages it references that is a pickle: named
 * `*.pkl`, or starting with a PROTO opcode under any other name.
 */
async function scanMembers(
  zip: ZipArchive,
  main: ZipEntry,
  referenced: Set<ZipEntry | undefined>,
  shared: ScanState,
  caps: ModelCaps,
): Promise<void> {
  for (const e of zip.entries) {
    if (e === main || referenced.has(e) || e.name.endsWith('/')) continue;
    const named = e.name.endsWith('.pkl');
    if (!named && !startsLikePickle(await memberHead(zip, e))) continue;
    const what = named ? `archive member ${e.name}` : `archive member ${e.name} (a pickle under another name)`;
    if (e.uncompressedSize > caps.zipEntryBytes) {
      addIssue(shared, 'unknown', `${what} is ${formatBytes(e.uncompressedSize)}, over the cap: not scanned`);
      continue;
    }
    try {
      await walkStream(new Cursor(new BufferSource(zip.file, await zip.read(e))), caps, { shared });
    } catch (err) {
      const why = err instanceof Error ? err.message.replace(/^.*?: (?=pickle|truncated|zip)/, '') : String(err);
      addIssue(shared, 'unknown', `${what} does not parse (${why.slice(0, 160)})`);
    }
  }
}

function tensorsOf(
  zip: ZipArchive,
  found: ReturnType<typeof collectTensors>,
  storages: Map<string, ZipEntry>,
  opts: ParseOptions,
  warnings: string[],
): { tensors: TensorInfo[]; content: Map<string, () => Promise<string>> } {
  const tensors: TensorInfo[] = [];
  const content = new Map<string, () => Promise<string>>();
  for (const t of found) {
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
    const elsize = ownEntry(DTYPE_BYTES, ref.dtype);
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
    content.set(t.name, storageHasher(zip, entry, from, to, opts));
  }
  return { tensors, content };
}

function storageHasher(
  zip: ZipArchive,
  entry: ZipEntry,
  from: number,
  to: number,
  opts: ParseOptions,
): () => Promise<string> {
  const { file, entries } = zip;
  return () =>
    withFile(file, opts.stats, async (src: Source) => {
      const z = ZipArchive.fromEntries(src, entries, opts.caps);
      if (entry.method === 0) {
        const range = await z.dataRange(entry);
        return hashRange(src, range.start + from, to - from);
      }
      return z.hash(entry, from, to);
    });
}

function contiguousStride(shape: number[]): number[] {
  const out: number[] = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = (out[i + 1] as number) * (shape[i + 1] as number);
  return out;
}

/** A walk that stopped: its warning, and what it had seen kept in the scan. */
function stopped(err: unknown, shared: ScanState, warnings: string[], label: string, part: string): void {
  if (!(err instanceof PickleParseError)) throw err;
  warnings.push(`could not walk the ${label}: ${err.message}`);
  addIssue(shared, 'unknown', `the ${part} stops parsing: what follows was not checked`);
}

/** Legacy torch.save: magic, protocol, sys info, the object pickle, the storage keys, then raw storages. */
export async function parseLegacyTorch(file: string, opts: ParseOptions): Promise<ParsedModel> {
  return withFile(file, opts.stats, async (src) => {
    const facts: Record<string, string> = { container: 'legacy torch.save (pre-1.6, not a zip)' };
    const warnings = ['legacy torch format not supported: tensors are not listed'];
    const shared = newScanState();
    const c = new Cursor(src);
    const names = ['magic number', 'protocol version', 'sys info', 'object', 'storage keys'];
    let main: PickleScan | undefined;
    for (const what of names) {
      try {
        const r = await walkPickle(c, opts.caps, shared);
        if (what === 'object') main = r;
      } catch (err) {
        stopped(err, shared, warnings, 'legacy pickle', `legacy torch ${what} pickle`);
        break;
      }
    }
    const fields = reportScan(reportOf(shared, main), facts, warnings);
    return { summary: { format: 'pytorch', size: src.size, facts, tensors: [], warnings, ...fields } };
  });
}

/** Whether a file is a tar archive (torch's format before 0.4). */
export async function isTorchTar(file: string, opts: ParseOptions): Promise<boolean> {
  return withFile(
    file,
    opts.stats,
    async (src) => src.size >= 512 && isTarHeader(await src.read(0, 512, 'tar header')),
  );
}

/** torch.save's tar format: every member that is a pickle, walked as a stream of pickles. */
export async function parseTorchTar(file: string, opts: ParseOptions): Promise<ParsedModel> {
  return withFile(file, opts.stats, async (src) => {
    const facts: Record<string, string> = { container: 'torch.save tar archive (before 0.4)' };
    const warnings = ['tar torch format not supported: tensors are not listed'];
    const shared = newScanState();
    const members = (await tarMembers(src, opts.caps.zipEntries)).filter((m) => m.type === '0' || m.type === '\0');
    facts['members'] = members.map((m) => m.name).join(', ');
    for (const m of members) {
      const head = m.size >= 2 ? await src.read(m.offset, 2, 'tar member head') : Buffer.alloc(0);
      if (!['sys_info', 'pickle', 'tensors', 'storages'].includes(m.name) && !startsLikePickle(head)) continue;
      if (m.size > opts.caps.zipEntryBytes) {
        addIssue(shared, 'unknown', `tar member ${m.name} is over the cap: not scanned`);
        continue;
      }
      try {
        const data = await src.read(m.offset, m.size, `tar member ${m.name}`);
        await walkStream(new Cursor(new BufferSource(file, data)), opts.caps, { shared });
      } catch (err) {
        stopped(err, shared, warnings, `tar member ${m.name}`, `tar member ${m.name}`);
      }
    }
    const fields = reportScan(reportOf(shared), facts, warnings);
    return { summary: { format: 'pytorch', size: src.size, facts, tensors: [], warnings, ...fields } };
  });
}
