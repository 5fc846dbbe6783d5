/**
 * Model-file summaries and diffs: which format a file is, what it holds (tensors, facts,
 * pickle globals), and what changed between two versions. Nothing here executes, imports or
 * unpickles a model: every format is parsed by a bounded reader (see the per-format files),
 * and a file that cannot be accepted is an `invalid-file` MlsnapError naming it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelDiff, ModelSummary, TensorChange, TensorInfo } from '../../../../shared/src/diff';
import { MlsnapError } from '../../../../shared/src/errors';
import {
  hashRange,
  invalid,
  resolveOptions,
  withFile,
  type ModelCaps,
  type ParseOptions,
  type ReadStats,
} from './FileSource';
import { parseGguf } from './Gguf';
import { parseKerasZip } from './Keras';
import { parseOnnx } from './Onnx';
import { compressionOf } from './pickle/compression';
import { parsePickleFile } from './pickle/file';
import { findDataPkl, isLegacyTorch, isTorchTar, parseLegacyTorch, parsePyTorchZip, parseTorchTar } from './PyTorch';
import { parseSafetensors } from './Safetensors';
import type { ParsedModel } from './types';
import { ZipArchive } from './Zip';
import { signed } from '../../../../shared/src/signed';
import { listNames } from '../../../../shared/src/listNames';

export type { ModelCaps, ReadStats } from './FileSource';

export interface ModelOptions {
  /** Override caps (tests use small ones). */
  caps?: Partial<ModelCaps>;
  /** Counts the bytes read from disk. */
  stats?: ReadStats;
  /**
   * The file's real name when `file` is a stand-in (a content-addressed blob has no
   * extension): its extension drives format detection. Defaults to `file`.
   */
  name?: string;
}

export interface ModelDiffOptions extends Omit<ModelOptions, 'name'> {
  /** Hash the bytes of tensors whose shape and dtype match ('changed' vs 'unchanged'). */
  compareBytes?: boolean;
  /** Real names of `before` and `after` (see ModelOptions.name). */
  names?: [before: string, after: string];
  /** The caller knows both files hold the same bytes (same blob hash): parse once, no change. */
  identical?: boolean;
}

const HDF5_MAGIC = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

function isZip(head: Buffer): boolean {
  return (
    head.length >= 4 &&
    head[0] === 0x50 &&
    head[1] === 0x4b &&
    ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))
  );
}

/**
 * The format of a file from its name and first bytes (64 are enough). Strong signatures win
 * (GGUF, HDF5, zip, legacy torch), then the extension, then weaker sniffing. A zip that is not
 * a `.keras` is reported 'pytorch' here; summarizeModel refines it from the central directory.
 */
export function detectModelFormat(file: string, head: Buffer): ModelSummary['format'] {
  const ext = path.extname(file).toLowerCase();
  if (head.subarray(0, 4).toString('latin1') === 'GGUF') return 'gguf';
  if (head.subarray(0, 8).equals(HDF5_MAGIC)) return 'unknown';
  if (isZip(head)) return ext === '.keras' ? 'keras' : 'pytorch';
  if (isLegacyTorch(head)) return 'pytorch';
  const proto = head[0] === 0x80 && head[1] !== undefined && head[1] >= 2 && head[1] <= 5;
  switch (ext) {
    case '.safetensors':
      return 'safetensors';
    case '.onnx':
      return 'onnx';
    case '.gguf':
      return 'gguf';
    case '.keras':
      return 'keras';
    case '.pkl':
    case '.pickle':
    case '.joblib':
    case '.sav':
      return 'pickle';
    case '.pt':
    case '.pth':
    case '.ckpt':
      return proto ? 'pickle' : 'pytorch';
    case '.h5':
    case '.hdf5':
      return 'unknown';
  }
  if (head.length >= 9 && head[8] === 0x7b && head.readBigUInt64LE(0) < 100_000_000n) return 'safetensors';
  if (proto) return 'pickle';
  // ONNX: ir_version (field 1, varint) then producer_name (field 2) is how exporters start.
  if (head[0] === 0x08 && head[1] !== undefined && head[1] > 0 && head[1] < 0x20 && head[2] === 0x12) return 'onnx';
  return 'unknown';
}

async function readHead(file: string, stats: ReadStats | undefined): Promise<Buffer> {
  return withFile(file, stats, (src) => src.read(0, Math.min(64, src.size), 'file header'));
}

async function parseUnknown(file: string, opts: ParseOptions, head: Buffer, container?: string): Promise<ParsedModel> {
  return withFile(file, opts.stats, async (src) => {
    const facts: Record<string, string> = {
      size: `${src.size.toLocaleString('en-US')} bytes`,
      blake3: await hashRange(src, 0, src.size),
    };
    const warnings: string[] = [];
    if (container) facts['container'] = container;
    else if (head.subarray(0, 8).equals(HDF5_MAGIC)) {
      facts['container'] = 'HDF5';
      warnings.push('HDF5 (.h5) files are not parsed: only size and hash are compared');
    }
    return { summary: { format: 'unknown', size: src.size, facts, tensors: [], warnings } };
  });
}

async function parseZip(file: string, opts: ParseOptions, ext: string, head: Buffer): Promise<ParsedModel> {
  const kind = await withFile(file, opts.stats, async (src) => {
    const zip = await ZipArchive.open(src, opts.caps);
    if (ext === '.keras' || (zip.find('config.json') && !findDataPkl(zip)))
      return { model: await parseKerasZip(zip, opts) };
    if (findDataPkl(zip)) return { model: await parsePyTorchZip(zip, opts) };
    return { entries: zip.entries.length };
  });
  if (kind.model) return kind.model;
  const m = await parseUnknown(file, opts, head, 'zip');
  m.summary.facts['entries'] = String(kind.entries);
  if (['.pt', '.pth', '.ckpt', '.bin'].includes(ext))
    m.summary.warnings.push('zip archive without data.pkl: not a torch.save archive');
  return m;
}

async function parseAny(file: string, opts: ParseOptions, name = file): Promise<ParsedModel> {
  const head = await readHead(file, opts.stats);
  const format = detectModelFormat(name, head);
  const ext = path.extname(name).toLowerCase();
  try {
    switch (format) {
      case 'safetensors':
        return await parseSafetensors(file, opts);
      case 'onnx':
        return await parseOnnx(file, opts);
      case 'gguf':
        return await parseGguf(file, opts);
      case 'pickle':
        return await parsePickleFile(file, opts);
      case 'keras':
      case 'pytorch':
        if (isLegacyTorch(head)) return await parseLegacyTorch(file, opts);
        if (!isZip(head)) {
          if (compressionOf(head)) return await parsePickleFile(file, opts);
          // torch.load tries the tar format (torch < 0.4) on anything that is not a zip.
          if (format === 'pytorch' && (await isTorchTar(file, opts))) return await parseTorchTar(file, opts);
          throw invalid(
            file,
            `not a ${format === 'keras' ? 'Keras archive' : 'torch.save file'}: not a zip archive (first bytes ${head.subarray(0, 4).toString('hex')})`,
          );
        }
        return await parseZip(file, opts, ext, head);
      case 'unknown':
        return await parseUnknown(file, opts, head);
    }
  } catch (err) {
    if (err instanceof MlsnapError) throw err;
    // A parser bug or an engine limit hit by a hostile file: still this file's problem.
    throw invalid(file, `could not parse as ${format}: ${(err as Error).message}`);
  }
}

/** What a model file holds, read with bounded parsers (never executed or unpickled). */
export async function summarizeModel(file: string, opts?: ModelOptions): Promise<ModelSummary> {
  return (await parseAny(file, resolveOptions(opts), opts?.name ?? file)).summary;
}

async function sameFile(a: string, b: string): Promise<boolean> {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    const [sa, sb] = await Promise.all([fs.promises.stat(a), fs.promises.stat(b)]);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function totalParams(ts: TensorInfo[]): number {
  return ts.reduce((n, t) => n + t.params, 0);
}

/** Facts, params and op counts flattened to compare them. */
function comparable(s: ModelSummary): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of Object.entries(s.facts)) m.set(k, v);
  for (const [k, v] of Object.entries(s.params ?? {})) m.set(`param.${k}`, v);
  for (const [k, v] of Object.entries(s.opCounts ?? {})) m.set(`op.${k}`, String(v));
  return m;
}

/**
 * Tensors matched by name (reshaped, retyped, added, removed; with compareBytes, 'changed'
 * when the bytes differ), facts/params/op counts that differ, and parameter totals. Without
 * compareBytes only headers are read: a 1 GB safetensors diff reads a few KB.
 */
export async function diffModels(before: string, after: string, opts?: ModelDiffOptions): Promise<ModelDiff> {
  const po = resolveOptions(opts);
  const identical = opts?.identical === true || (await sameFile(before, after));
  const [nb, na] = opts?.names ?? [before, after];
  const [b, a] = await Promise.all([parseAny(before, po, nb), identical ? null : parseAny(after, po, na)]);
  const aa = a ?? b;
  const byName = new Map(aa.summary.tensors.map((t) => [t.name, t]));
  const beforeNames = new Set(b.summary.tensors.map((t) => t.name));
  const tensors: TensorChange[] = [];
  const toCompare: TensorChange[] = [];
  for (const t of b.summary.tensors) {
    const n = byName.get(t.name);
    if (!n) {
      tensors.push({ name: t.name, status: 'removed', before: t });
      continue;
    }
    const change: TensorChange = { name: t.name, status: 'unchanged', before: t, after: n };
    if (!sameShape(t.shape, n.shape)) change.status = 'reshaped';
    else if (t.dtype !== n.dtype) change.status = 'retyped';
    else if (!identical && opts?.compareBytes) toCompare.push(change);
    tensors.push(change);
  }
  for (const t of aa.summary.tensors)
    if (!beforeNames.has(t.name)) tensors.push({ name: t.name, status: 'added', after: t });

  let bytesCompared = identical;
  if (!identical && opts?.compareBytes) {
    bytesCompared = true;
    let missing = 0;
    for (const change of toCompare) {
      const hb = b.content?.get(change.name);
      const ha = aa.content?.get(change.name);
      if (!hb || !ha) {
        missing++;
        continue;
      }
      const [x, y] = [await hb(), await ha()];
      change.status = x === y ? 'unchanged' : 'changed';
    }
    if (missing > 0) {
      bytesCompared = false;
      aa.summary.warnings.push(
        `bytes of ${missing} tensors could not be compared (format keeps no byte range for them)`,
      );
    }
  }

  const factChanges: Record<string, [string | null, string | null]> = {};
  if (b.summary.format !== aa.summary.format) factChanges['format'] = [b.summary.format, aa.summary.format];
  const fb = comparable(b.summary);
  const fa = comparable(aa.summary);
  for (const k of new Set([...fb.keys(), ...fa.keys()])) {
    const x = fb.get(k) ?? null;
    const y = fa.get(k) ?? null;
    if (x !== y) factChanges[k] = [x, y];
  }
  if (!bytesCompared && (b.summary.tensors.length > 0 || aa.summary.tensors.length > 0)) {
    b.summary.facts['tensor bytes'] = 'not compared';
    if (a) a.summary.facts['tensor bytes'] = 'not compared';
  }
  return {
    type: 'model',
    format: aa.summary.format,
    before: b.summary,
    after: aa.summary,
    tensors,
    paramsBefore: totalParams(b.summary.tensors),
    paramsAfter: totalParams(aa.summary.tensors),
    factChanges,
    bytesCompared,
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The dimension change shared by the reshaped tensors ("32→64"), if there is one. */
function dimChanges(d: ModelDiff): string[] {
  const pairs = new Map<string, number>();
  let reshaped = 0;
  for (const t of d.tensors) {
    if (t.status !== 'reshaped' || !t.before || !t.after) continue;
    reshaped++;
    if (t.before.shape.length !== t.after.shape.length) return [];
    const here = new Set<string>();
    t.before.shape.forEach((x, i) => {
      const y = t.after?.shape[i];
      if (y !== undefined && x !== y) here.add(`${x}→${y}`);
    });
    for (const p of here) pairs.set(p, (pairs.get(p) ?? 0) + 1);
  }
  if (reshaped === 0 || pairs.size === 0 || pairs.size > 3) return [];
  return [...pairs.entries()].sort((x, y) => y[1] - x[1]).map(([p]) => p);
}

/** A fact whose change is the same number change (e.g. metadata.hidden 32→64) names the dimension. */
function dimName(d: ModelDiff, pair: string): string {
  const [x, y] = pair.split('→');
  for (const [k, [a, b]] of Object.entries(d.factChanges)) {
    if (a === x && b === y) {
      const last = k.split('.').pop() ?? k;
      if (/^[A-Za-z_][\w-]*$/.test(last) && last !== 'version') return last;
    }
  }
  return 'hidden';
}

/**
 * A fact's value kept short for one line. Lists ("a.B, c.D, …") are cut between items and a
 * single name is never cut: a global's name half shown would read as another name.
 */
function short(v: string | null): string {
  if (v === null) return 'none';
  if (v.length <= 40) return v;
  const items = v.split(', ');
  if (items.length === 1) return v;
  const kept: string[] = [];
  let len = 0;
  for (const item of items) {
    if (kept.length > 0 && len + item.length > 60) break;
    kept.push(item);
    len += item.length + 2;
  }
  return kept.length === items.length ? kept.join(', ') : `${kept.join(', ')} +${items.length - kept.length} more`;
}

/**
 * One line for a model diff: "hidden 32→64: +416 params; 3 tensors reshaped", the facts and
 * parameters that changed, dangerous pickle globals or an unknown verdict; "no change" when
 * nothing differs.
 */
export function modelSummaryLine(d: ModelDiff): string {
  const count = (s: TensorChange['status']): number => d.tensors.filter((t) => t.status === s).length;
  const parts: string[] = [];
  const delta = d.paramsAfter - d.paramsBefore;
  const head: string[] = [];
  if (delta !== 0) head.push(`${signed(delta)} params`);
  const reshaped = count('reshaped');
  if (reshaped) head.push(`${plural(reshaped, 'tensor')} reshaped`);
  for (const s of ['added', 'removed', 'retyped', 'changed'] as const) {
    const n = count(s);
    if (n) head.push(`${plural(n, 'tensor')} ${s}`);
  }
  const dims = dimChanges(d);
  let line = head.join('; ');
  if (dims.length === 1 && dims[0]) line = `${dimName(d, dims[0])} ${dims[0]}${line ? `: ${line}` : ''}`;
  else if (dims.length > 1) line = `dims ${dims.join(', ')}${line ? `: ${line}` : ''}`;
  if (line) parts.push(line);

  const facts = Object.entries(d.factChanges).filter(([k]) => k !== 'dangerous globals' && k !== 'tensor bytes');
  const paramFacts = facts.filter(([k]) => k.startsWith('param.'));
  const otherFacts = facts.filter(([k]) => !k.startsWith('param.'));
  for (const [k, [x, y]] of paramFacts.slice(0, 3)) parts.push(`${k.slice(6)} ${short(x)}→${short(y)}`);
  if (paramFacts.length > 3) parts.push(`${paramFacts.length - 3} more params changed`);
  if (otherFacts.length > 0 && otherFacts.length <= 2)
    for (const [k, [x, y]] of otherFacts) parts.push(`${k} ${short(x)}→${short(y)}`);
  else if (otherFacts.length > 2) parts.push(`${otherFacts.length} facts changed`);
  if (parts.length === 0) {
    const hasTensors = d.before.tensors.length > 0 || d.after.tensors.length > 0;
    parts.push(
      d.bytesCompared || !hasTensors ? 'no change' : 'no change in tensor names, shapes or dtypes (bytes not compared)',
    );
  }
  const safety = pickleSafetyPart(d.after);
  if (safety) parts.push(safety);
  return parts.join('; ');
}

/**
 * Always said, changed or not, when loading the version is not known to be harmless: the
 * dangerous globals, what else makes it dangerous, or why the verdict is unknown. Suspicious
 * classes are said through their fact ("suspicious globals") when they change.
 */
function pickleSafetyPart(s: ModelSummary): string | null {
  const dangerous = s.facts['dangerous globals'];
  const issue = (level: string): string | undefined => s.pickleIssues?.find((i) => i.level === level)?.text;
  if (s.pickleVerdict === 'dangerous') {
    if (dangerous) return `dangerous pickle globals: ${short(dangerous)}`;
    return `dangerous pickle: ${issue('dangerous') ?? 'loading would execute code'}`;
  }
  if (s.pickleVerdict === 'unknown') {
    const seen = (s.globals ?? []).filter((g) => g.level !== 'safe').map((g) => `${g.module}.${g.name}`);
    const also = seen.length > 0 ? `; references ${listNames(seen, 3)}` : '';
    return `pickle verdict unknown (treat as unsafe): ${issue('unknown') ?? 'not fully read'}${also}`;
  }
  return null;
}
