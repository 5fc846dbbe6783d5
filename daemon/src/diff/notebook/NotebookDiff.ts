import { createHash } from 'node:crypto';
import type {
  AttachmentChange,
  CellDiff,
  CellStatus,
  KeyChange,
  LineChange,
  NotebookDiff,
  OutputChange,
  OutputSummary,
} from '../../../../shared/src/diff';
import { diffText, splitLines } from './lineDiff';
import {
  parseNotebook,
  stableStringify,
  type ParsedCell,
  type ParsedNotebook,
  type ParsedOutput,
} from './parseNotebook';

/**
 * Cell-level diff of two notebooks (nbformat 3 or 4).
 *
 * Matching: by cell id when every cell of both notebooks has a unique id (nbformat >= 4.5) and at
 * least one id is shared; otherwise by content — identical (type, source) first, then the most
 * similar remaining cell of the same type (Dice of character-bigram sets, estimated from
 * bottom-k sketches, >= SIMILARITY_THRESHOLD = 0.6) among a
 * window of candidates near the expected position, best pairs first; what is left is added/removed.
 * Matched cells outside a longest increasing subsequence of before-indices (in after order) are
 * `moved`. A cell that moved and also changed is reported `modified` (its indices still show the move).
 *
 * Outputs are compared by index. Image payloads are compared as strings and hashed (sha-256 of the
 * decoded bytes) only for outputs that are reported, so unchanged cells cost no hashing.
 */

export interface NotebookDiffOptions {
  /** Report cell metadata (metadataChanged, counts as a modification) and notebook metadata keys. */
  showMetadata?: boolean;
  /** Count execution_count-only changes as modifications. */
  showExecutionCounts?: boolean;
  /** Name used in error messages. */
  file?: string;
}

export const SIMILARITY_THRESHOLD = 0.6;
/** Unmatched before-cells considered on each side of a cell's expected position... */
const CANDIDATE_WINDOW = 24;
/** ...narrowed so that at most about this many pairs are compared in all (huge rewritten notebooks). */
const MAX_SIMILARITY_PAIRS = 100_000;
/** Characters of a source used for the similarity measure. */
const SIMILARITY_CHARS = 2_000;
/** OutputSummary.text is capped at this many characters. */
const SUMMARY_TEXT_CHARS = 10_000;
/** Text outputs longer than this are diffed on their first this-many characters. */
const DIFF_TEXT_CHARS = 256 * 1024;

const IMAGE_MIMES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp', 'image/svg+xml']);
const BASE64_IMAGE_MIMES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp']);

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.includes('\u001b') ? text.replace(ANSI, '') : text;
}

export function diffNotebooks(before: Buffer, after: Buffer, opts: NotebookDiffOptions = {}): NotebookDiff {
  const file = opts.file ?? 'notebook';
  const a = parseNotebook(before, file);
  const b = parseNotebook(after, file);
  return diffParsedNotebooks(a, b, opts);
}

interface Pair {
  before: ParsedCell;
  after: ParsedCell;
  by: 'id' | 'content';
}

export function diffParsedNotebooks(
  a: ParsedNotebook,
  b: ParsedNotebook,
  opts: NotebookDiffOptions = {},
): NotebookDiff {
  const pairs = matchCells(a.cells, b.cells);
  const pairByBefore = new Map<number, Pair>();
  for (const p of pairs) pairByBefore.set(p.before.index, p);
  const inOrder = stablePairs(pairs);

  const afterDiffs = new Map<number, CellDiff>();
  for (const p of pairs) afterDiffs.set(p.after.index, diffPair(p, inOrder.has(p), opts));

  // Removed cells sit after the nearest preceding before-cell that kept its place.
  const removedAfter = new Map<number, CellDiff[]>();
  let anchor = -1;
  for (const cell of a.cells) {
    const p = pairByBefore.get(cell.index);
    if (p) {
      if (inOrder.has(p)) anchor = p.after.index;
      continue;
    }
    const list = removedAfter.get(anchor) ?? [];
    list.push(oneSided(cell, 'removed'));
    removedAfter.set(anchor, list);
  }

  const cells: CellDiff[] = [...(removedAfter.get(-1) ?? [])];
  for (const cell of b.cells) {
    cells.push(afterDiffs.get(cell.index) ?? oneSided(cell, 'added'));
    cells.push(...(removedAfter.get(cell.index) ?? []));
  }

  const counts: Record<CellStatus, number> = { added: 0, removed: 0, modified: 0, moved: 0, unchanged: 0 };
  for (const c of cells) counts[c.status]++;
  const notebookMetadata = keyChanges(a.metadata, b.metadata);

  return {
    type: 'notebook',
    nbformat: { before: a.nbformat, after: b.nbformat },
    cells,
    metadataChanges: opts.showMetadata ? notebookMetadata.map((k) => k.key) : [],
    ...(opts.showMetadata && notebookMetadata.length > 0 ? { metadataDetail: notebookMetadata } : {}),
    counts,
    hidden: hiddenChanges(pairs, opts, notebookMetadata.length > 0),
  };
}

/** What the default view leaves out, so "no change" is never said of a notebook that changed. */
function hiddenChanges(
  pairs: Pair[],
  opts: NotebookDiffOptions,
  notebookMetadataChanged: boolean,
): { executionCounts: number; metadata: number } {
  let executionCounts = 0;
  let metadata = opts.showMetadata || !notebookMetadataChanged ? 0 : 1;
  for (const { before, after } of pairs) {
    if (!opts.showExecutionCounts && before.executionCount !== after.executionCount) executionCounts++;
    if (!opts.showMetadata && stableStringify(before.metadata) !== stableStringify(after.metadata)) metadata++;
    // An id that changed alone (the cell matched by content or position) is metadata too.
    else if (!opts.showMetadata && before.id !== after.id) metadata++;
  }
  return { executionCounts, metadata };
}

/** "2 cells modified (outputs changed in 1), 1 added" or "no change". */
export function notebookSummaryLine(d: NotebookDiff): string {
  const parts: string[] = [];
  const n = d.counts;
  const noun = (count: number): string => (parts.length === 0 ? (count === 1 ? ' cell' : ' cells') : '');
  if (n.modified > 0) {
    const withOutputs = d.cells.filter((c) => c.status === 'modified' && c.outputChanges.length > 0).length;
    parts.push(
      `${n.modified}${noun(n.modified)} modified${withOutputs > 0 ? ` (outputs changed in ${withOutputs})` : ''}`,
    );
  }
  if (n.added > 0) parts.push(`${n.added}${noun(n.added)} added`);
  if (n.removed > 0) parts.push(`${n.removed}${noun(n.removed)} removed`);
  if (n.moved > 0) parts.push(`${n.moved}${noun(n.moved)} moved`);
  if (d.metadataChanges.length > 0) parts.push(`notebook metadata changed (${d.metadataChanges.join(', ')})`);
  if (parts.length > 0) return parts.join(', ');
  return hiddenOnlyLine(d.hidden) ?? 'no change';
}

/** "only execution counts changed; use --execution-counts", or null when nothing is hidden. */
function hiddenOnlyLine(hidden: NotebookDiff['hidden']): string | null {
  const what: string[] = [];
  const flags: string[] = [];
  if (hidden && hidden.executionCounts > 0) {
    what.push('execution counts');
    flags.push('--execution-counts');
  }
  if (hidden && hidden.metadata > 0) {
    what.push('metadata');
    flags.push('--metadata');
  }
  return what.length === 0 ? null : `only ${what.join(' and ')} changed; use ${flags.join(' ')}`;
}

// ---------------------------------------------------------------------------------------------
// Matching

function matchCells(before: ParsedCell[], after: ParsedCell[]): Pair[] {
  if (before.length > 0 && after.length > 0 && uniqueIds(before) && uniqueIds(after)) {
    const byId = new Map<string, ParsedCell>();
    for (const c of before) byId.set(c.id as string, c);
    const pairs: Pair[] = [];
    for (const c of after) {
      const m = byId.get(c.id as string);
      if (m) pairs.push({ before: m, after: c, by: 'id' });
    }
    // Ids regenerated wholesale (a tool that rewrites them) tell nothing: fall back to content.
    // In after order, as stablePairs expects.
    if (pairs.length > 0)
      return [...pairs, ...matchLeftovers(before, after, pairs)].sort((x, y) => x.after.index - y.after.index);
  }
  return matchByContent(before, after);
}

/**
 * Cells whose ids found no partner but whose type and source are those of an unpaired cell
 * on the other side: the id alone changed (a pasted cell, a tool rewriting it). Paired, so
 * the change shows as an id change, not as a cell removed and the same cell added. Only
 * identical content pairs: a cell really replaced by another stays removed and added.
 */
function matchLeftovers(before: ParsedCell[], after: ParsedCell[], pairs: readonly Pair[]): Pair[] {
  const usedBefore = new Set(pairs.map((p) => p.before));
  const usedAfter = new Set(pairs.map((p) => p.after));
  const waiting = new Map<string, ParsedCell[]>();
  for (const c of before) {
    if (usedBefore.has(c)) continue;
    const key = `${c.cellType}\u0000${c.source}`;
    waiting.set(key, [...(waiting.get(key) ?? []), c]);
  }
  const out: Pair[] = [];
  for (const c of after) {
    if (usedAfter.has(c)) continue;
    const m = waiting.get(`${c.cellType}\u0000${c.source}`)?.shift();
    if (m) out.push({ before: m, after: c, by: 'content' });
  }
  return out;
}

function uniqueIds(cells: ParsedCell[]): boolean {
  const seen = new Set<string>();
  for (const c of cells) {
    if (c.id === null || seen.has(c.id)) return false;
    seen.add(c.id);
  }
  return true;
}

function matchByContent(before: ParsedCell[], after: ParsedCell[]): Pair[] {
  const pairs: Pair[] = [];
  const beforeUsed = new Uint8Array(before.length);
  const afterMatch = new Int32Array(after.length).fill(-1);

  // 1. Identical type and source, in order (duplicates pair up first-come first-served).
  const exact = new Map<string, number[]>();
  for (const c of before) {
    const key = `${c.cellType}\u0000${c.source}`;
    const list = exact.get(key);
    if (list) list.push(c.index);
    else exact.set(key, [c.index]);
  }
  const queuePos = new Map<string, number>();
  for (const c of after) {
    const key = `${c.cellType}\u0000${c.source}`;
    const list = exact.get(key);
    if (!list) continue;
    const pos = queuePos.get(key) ?? 0;
    if (pos >= list.length) continue;
    queuePos.set(key, pos + 1);
    const bi = list[pos] as number;
    beforeUsed[bi] = 1;
    afterMatch[c.index] = bi;
  }

  // 2. Most similar among the unmatched, near where the cell would be expected.
  const freeBefore: number[] = [];
  for (let i = 0; i < before.length; i++) if (!beforeUsed[i]) freeBefore.push(i);
  if (freeBefore.length > 0) {
    const candidates: { ai: number; bi: number; sim: number }[] = [];
    const grams = new Map<number, Sketch>();
    const gramsOf = (side: 'a' | 'b', cell: ParsedCell): Sketch => {
      const key = side === 'a' ? cell.index : -1 - cell.index;
      let g = grams.get(key);
      if (!g) {
        g = sketch(cell.source);
        grams.set(key, g);
      }
      return g;
    };
    let unmatchedAfter = 0;
    for (let i = 0; i < after.length; i++) if ((afterMatch[i] as number) < 0) unmatchedAfter++;
    const window = Math.max(
      2,
      Math.min(CANDIDATE_WINDOW, Math.floor(MAX_SIMILARITY_PAIRS / (2 * Math.max(1, unmatchedAfter)))),
    );
    let lastMatchedAfter = -1;
    let lastMatchedBefore = -1;
    for (const c of after) {
      const m = afterMatch[c.index] as number;
      if (m >= 0) {
        lastMatchedAfter = c.index;
        lastMatchedBefore = m;
        continue;
      }
      const expected = lastMatchedAfter < 0 ? c.index : lastMatchedBefore + (c.index - lastMatchedAfter);
      const at = lowerBound(freeBefore, expected);
      const from = Math.max(0, at - window);
      const to = Math.min(freeBefore.length, at + window);
      for (let k = from; k < to; k++) {
        const bc = before[freeBefore[k] as number] as ParsedCell;
        if (bc.cellType !== c.cellType) continue;
        const sim = similarity(gramsOf('a', bc), gramsOf('b', c), bc.source, c.source);
        if (sim >= SIMILARITY_THRESHOLD) candidates.push({ ai: c.index, bi: bc.index, sim });
      }
    }
    candidates.sort((x, y) => y.sim - x.sim || Math.abs(x.ai - x.bi) - Math.abs(y.ai - y.bi));
    for (const { ai, bi } of candidates) {
      if (beforeUsed[bi] || (afterMatch[ai] as number) >= 0) continue;
      beforeUsed[bi] = 1;
      afterMatch[ai] = bi;
    }
  }

  for (const c of after) {
    const m = afterMatch[c.index] as number;
    if (m >= 0) pairs.push({ before: before[m] as ParsedCell, after: c, by: 'content' });
  }
  return pairs;
}

function lowerBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A bottom-k sketch of a source's distinct character bigrams: the SKETCH_SIZE smallest hashes.
 * Comparing two sketches estimates the Jaccard index of the bigram sets in O(SKETCH_SIZE), and is
 * exact when both sets are smaller than the sketch (cells up to a few hundred characters).
 */
interface Sketch {
  hashes: Uint32Array;
  /** Number of distinct bigrams. */
  size: number;
}

const SKETCH_SIZE = 128;

function sketch(source: string): Sketch {
  const s = source.length > SIMILARITY_CHARS ? source.slice(0, SIMILARITY_CHARS) : source;
  const n = Math.max(0, s.length - 1);
  const all = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let h = Math.imul(s.charCodeAt(i) * 65536 + s.charCodeAt(i + 1), 0x9e3779b1);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    all[i] = h >>> 0;
  }
  all.sort();
  const hashes = new Uint32Array(Math.min(n, SKETCH_SIZE));
  let size = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0 && all[i] === all[i - 1]) continue;
    if (size < hashes.length) hashes[size] = all[i] as number;
    size++;
  }
  return { hashes: hashes.subarray(0, Math.min(size, SKETCH_SIZE)), size };
}

/** Dice coefficient of the bigram sets (1 = same, 0 = nothing in common), from their sketches. */
function similarity(x: Sketch, y: Sketch, sa: string, sb: string): number {
  if (sa === sb) return 1;
  if (x.size === 0 || y.size === 0) return sa.trim() === sb.trim() ? 1 : 0;
  // Jaccard is at most min/max of the set sizes: skip pairs that cannot reach the threshold.
  const bound = Math.min(x.size, y.size) / Math.max(x.size, y.size);
  if ((2 * bound) / (1 + bound) < SIMILARITY_THRESHOLD) return 0;
  const a = x.hashes;
  const b = y.hashes;
  const aCut = x.size > a.length;
  const bCut = y.size > b.length;
  let i = 0;
  let j = 0;
  let taken = 0;
  let both = 0;
  while (taken < SKETCH_SIZE) {
    // Past the end of a truncated sketch the union's order is unknown: stop there.
    if ((i >= a.length && (aCut || j >= b.length)) || (j >= b.length && bCut)) break;
    const p = i < a.length ? (a[i] as number) : Infinity;
    const q = j < b.length ? (b[j] as number) : Infinity;
    if (p < q) i++;
    else if (q < p) j++;
    else {
      both++;
      i++;
      j++;
    }
    taken++;
  }
  if (taken === 0) return 0;
  const jaccard = both / taken;
  return (2 * jaccard) / (1 + jaccard);
}

/** Pairs that kept their relative order: a longest increasing subsequence of before-indices in after order. */
function stablePairs(pairs: Pair[]): Set<Pair> {
  // pairs are in after order already.
  const tails: number[] = []; // index into pairs of the smallest tail of each length
  const prev = new Int32Array(pairs.length).fill(-1);
  for (let i = 0; i < pairs.length; i++) {
    const v = (pairs[i] as Pair).before.index;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((pairs[tails[mid] as number] as Pair).before.index < v) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1] as number;
    tails[lo] = i;
  }
  const keep = new Set<Pair>();
  let k = tails.length > 0 ? (tails[tails.length - 1] as number) : -1;
  while (k >= 0) {
    keep.add(pairs[k] as Pair);
    k = prev[k] as number;
  }
  return keep;
}

// ---------------------------------------------------------------------------------------------
// Cells and outputs

function cellLabel(before: ParsedCell | null, after: ParsedCell | null): string {
  const id = after?.id ?? before?.id;
  if (id) return id;
  return after ? `after[${after.index}]` : `before[${(before as ParsedCell).index}]`;
}

function oneSided(cell: ParsedCell, status: 'added' | 'removed'): CellDiff {
  const lines = splitLines(cell.source);
  const op = status === 'added' ? 'add' : 'remove';
  return {
    status,
    id: cellLabel(status === 'removed' ? cell : null, status === 'added' ? cell : null),
    cellType: cell.cellType,
    beforeIndex: status === 'removed' ? cell.index : null,
    afterIndex: status === 'added' ? cell.index : null,
    sourceDiff: lines.map((text): LineChange => ({ op, text })),
    outputChanges: cell.outputs.map((o, index): OutputChange =>
      status === 'added' ? { index, status, after: summarize(o) } : { index, status, before: summarize(o) },
    ),
  };
}

function diffPair(p: Pair, inOrder: boolean, opts: NotebookDiffOptions): CellDiff {
  const { before, after } = p;
  const sourceChanged = before.source !== after.source;
  const typeChanged = before.cellType !== after.cellType;
  const outputChanges = diffOutputs(before.outputs, after.outputs, opts.showExecutionCounts === true);
  const executionCountChanged = before.executionCount !== after.executionCount;
  const metadataChanged =
    opts.showMetadata === true && stableStringify(before.metadata) !== stableStringify(after.metadata);
  const attachmentChanges = diffAttachments(before.attachments, after.attachments);
  const idChanged = opts.showMetadata === true && before.id !== after.id;

  const modified =
    sourceChanged ||
    typeChanged ||
    outputChanges.length > 0 ||
    metadataChanged ||
    attachmentChanges.length > 0 ||
    idChanged ||
    (executionCountChanged && opts.showExecutionCounts === true);
  const status: CellStatus = modified ? 'modified' : inOrder ? 'unchanged' : 'moved';

  const d: CellDiff = {
    status,
    id: cellLabel(before, after),
    cellType: after.cellType,
    beforeIndex: before.index,
    afterIndex: after.index,
    matchedBy: p.by,
    outputChanges,
  };
  if (sourceChanged) d.sourceDiff = diffText(before.source, after.source);
  if (executionCountChanged) d.executionCountChanged = true;
  if (executionCountChanged && opts.showExecutionCounts === true)
    d.executionCount = { before: before.executionCount, after: after.executionCount };
  if (metadataChanged) {
    d.metadataChanged = true;
    d.metadataChanges = keyChanges(asMetadata(before.metadata), asMetadata(after.metadata));
  }
  if (attachmentChanges.length > 0) d.attachmentChanges = attachmentChanges;
  if (idChanged) d.idChange = { before: before.id, after: after.id };
  return d;
}

/** Attachments by name: added, removed, or modified when any of their data differs (hashed for display). */
function diffAttachments(
  before: Map<string, Map<string, string>>,
  after: Map<string, Map<string, string>>,
): AttachmentChange[] {
  const hashes = (m: Map<string, string>): Record<string, string> =>
    Object.fromEntries([...m].map(([mime, data]) => [mime, createHash('sha256').update(data).digest('hex')]));
  const changes: AttachmentChange[] = [];
  for (const name of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const a = before.get(name);
    const b = after.get(name);
    if (a && b && stableStringify(Object.fromEntries(a)) === stableStringify(Object.fromEntries(b))) continue;
    const status = a === undefined ? 'added' : b === undefined ? 'removed' : 'modified';
    changes.push({
      name,
      status,
      mimes: [...(b ?? a ?? new Map<string, string>()).keys()],
      ...(a ? { before: hashes(a) } : {}),
      ...(b ? { after: hashes(b) } : {}),
    });
  }
  return changes;
}

function diffOutputs(before: ParsedOutput[], after: ParsedOutput[], strictCounts: boolean): OutputChange[] {
  const changes: OutputChange[] = [];
  const n = Math.max(before.length, after.length);
  for (let index = 0; index < n; index++) {
    const a = before[index];
    const b = after[index];
    if (a && b) {
      if (sameOutput(a, b, strictCounts)) continue;
      const sa = summarize(a);
      const sb = summarize(b);
      const change: OutputChange = { index, status: 'modified', before: sa, after: sb };
      const ta = fullText(a);
      const tb = fullText(b);
      if (ta !== null && tb !== null && ta !== tb) change.textDiff = diffText(capForDiff(ta), capForDiff(tb));
      changes.push(change);
    } else if (a) {
      changes.push({ index, status: 'removed', before: summarize(a) });
    } else if (b) {
      changes.push({ index, status: 'added', after: summarize(b) });
    }
  }
  return changes;
}

/** Prompt numbers IPython writes into tracebacks ("Cell In[5], line 1"); noise when counts are hidden. */
const PROMPT_IN_TRACEBACK = /\bIn ?\[\d*\]/g;

function sameOutput(a: ParsedOutput, b: ParsedOutput, strictCounts: boolean): boolean {
  if (a.type !== b.type || a.name !== b.name || a.text !== b.text) return false;
  if (a.type === 'error') {
    if (a.ename !== b.ename || a.evalue !== b.evalue) return false;
    const ta = (a.traceback ?? []).join('\n');
    const tb = (b.traceback ?? []).join('\n');
    if (ta === tb) return true;
    if (strictCounts) return false;
    return stripAnsi(ta).replace(PROMPT_IN_TRACEBACK, 'In[]') === stripAnsi(tb).replace(PROMPT_IN_TRACEBACK, 'In[]');
  }
  if (a.data.size !== b.data.size) return false;
  for (const [mime, va] of a.data) {
    const vb = b.data.get(mime);
    if (vb === undefined) return false;
    if (va === vb) continue;
    // Same image re-encoded with other line wrapping is the same image.
    if (BASE64_IMAGE_MIMES.has(mime) && va.replace(/\s+/g, '') === vb.replace(/\s+/g, '')) continue;
    return false;
  }
  return true;
}

/** Text of an output for the line diff: stream text, text/plain, or error name: value + traceback. */
function fullText(o: ParsedOutput): string | null {
  if (o.type === 'stream') return o.text ?? '';
  if (o.type === 'error') {
    const head = `${o.ename ?? ''}: ${o.evalue ?? ''}`;
    const tb = (o.traceback ?? []).map(stripAnsi).join('\n');
    return tb === '' ? head : `${head}\n${tb}`;
  }
  const plain = o.data.get('text/plain');
  return plain === undefined ? null : plain;
}

function capForDiff(text: string): string {
  if (text.length <= DIFF_TEXT_CHARS) return text;
  return `${text.slice(0, DIFF_TEXT_CHARS)}\n… (${text.length - DIFF_TEXT_CHARS} more characters not compared)`;
}

function summarize(o: ParsedOutput): OutputSummary {
  const s: OutputSummary = { type: o.type, mimes: [...o.data.keys()].sort() };
  let text: string | null;
  if (o.type === 'error') text = `${o.ename ?? ''}: ${o.evalue ?? ''}`;
  else text = fullText(o);
  if (text !== null) s.text = text.length > SUMMARY_TEXT_CHARS ? `${text.slice(0, SUMMARY_TEXT_CHARS)}…` : text;
  let images: Record<string, string> | undefined;
  for (const [mime, payload] of o.data) {
    if (!IMAGE_MIMES.has(mime)) continue;
    images ??= {};
    images[mime] = imageHash(mime, payload);
  }
  if (images) s.images = images;
  return s;
}

/** sha-256 (hex) of the image bytes: base64 payloads are decoded, SVG is hashed as UTF-8 text. */
export function imageHash(mime: string, payload: string): string {
  const bytes = BASE64_IMAGE_MIMES.has(mime) ? Buffer.from(payload, 'base64') : Buffer.from(payload, 'utf8');
  return createHash('sha256').update(bytes).digest('hex');
}

/** Metadata values are shown up to this many characters each. */
const METADATA_VALUE_CHARS = 200;

function keyChanges(a: Record<string, unknown>, b: Record<string, unknown>): KeyChange[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys
    .filter((k) => stableStringify(a[k]) !== stableStringify(b[k]))
    .map((key) => ({ key, before: metadataValue(a, key), after: metadataValue(b, key) }));
}

function metadataValue(m: Record<string, unknown>, key: string): string | null {
  if (!(key in m)) return null;
  const json = stableStringify(m[key]);
  return json.length > METADATA_VALUE_CHARS ? `${json.slice(0, METADATA_VALUE_CHARS - 1)}…` : json;
}

function asMetadata(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : { '(metadata)': v };
}
