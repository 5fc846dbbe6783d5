/**
 * The secret gate: what must not leave the machine when a version is pushed to a team remote.
 * Notebooks are scanned as decoded text (sources, outputs, metadata), other text files as they
 * are, and model files for pickles that would run code when loaded. Findings carry an id stable
 * across machines, so a false positive can be allowed once (`push --allow <id>`).
 *
 * Nothing here loads a model: pickles are walked by the bounded parser in diff/models.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { ModelSummary, PickleLevel, PickleSafety, PickleVerdict } from '../../../shared/src/diff';
import { detectModelFormat, summarizeModel } from '../diff/models/ModelDiff';
import { PickleParseError } from '../diff/models/pickle/stream';
import { notebookUnits } from './notebookText';
import { findCandidates, type Candidate } from './rules';
import type { Finding, FindingRule, FindingWhere, TextUnit } from './types';
import { compressionOf } from '../diff/models/pickle/compression';

export type { Finding, FindingRule, FindingWhere } from './types';
export { stripOutputs } from './stripOutputs';

/** `<rule>-<12 hex>`: the same secret in the same file has the same id on every machine. */
export function findingId(path: string, rule: FindingRule, secret: string): string {
  const hash = createHash('sha256').update(path).update('\0').update(rule).update('\0').update(secret);
  return `${rule}-${hash.digest('hex').slice(0, 12)}`;
}

// ---------------------------------------------------------------------------------------------
// Text and notebooks

/** Git's test for binary content: a NUL byte in the first 8 KiB. */
const BINARY_SNIFF_BYTES = 8 * 1024;

function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

function decodeText(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Base64 payloads of data: URIs (images inlined in HTML outputs and markdown) are images, not
 * text: random base64 runs sometimes look like keys. The payload is cut; no newline is removed,
 * so line numbers stay right.
 */
const DATA_URI_PAYLOAD = /(data:[\w.+-]{1,64}\/[\w.+-]{1,64};base64,)[A-Za-z0-9+/=]{64,}/g;

/** Starts of lines, found once per text that has a finding. */
class LineIndex {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  /** 0-based line holding `offset`. */
  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  start(line: number): number {
    return this.starts[line] ?? 0;
  }

  /** Offset of the newline ending `line` (or the text's end). */
  end(line: number): number {
    const next = this.starts[line + 1];
    return next === undefined ? this.text.length : next - 1;
  }
}

const CONTEXT_BEFORE = 20;
const CONTEXT_AFTER = 12;

/**
 * A few characters either side of the secret, and only its public prefix: `key = "AKIA…(20
 * chars)"`. Context stops at the line's ends and at any other match, so one secret's excerpt
 * never shows another.
 */
function excerptOf(text: string, c: Candidate, all: readonly Candidate[], lines: LineIndex): string {
  let from = Math.max(lines.start(lines.lineOf(c.start)), c.start - CONTEXT_BEFORE);
  let to = Math.min(lines.end(lines.lineOf(c.end)), c.end + CONTEXT_AFTER);
  for (const o of all) {
    if (o.start < c.start && o.end > from) from = Math.min(c.start, Math.max(from, o.end));
    if (o.end > c.end && o.start < to) to = Math.max(c.end, Math.min(to, o.start));
  }
  const before = text.slice(from, c.start);
  const after = text.slice(c.end, Math.max(c.end, to));
  const redacted = `${c.rule.shown(c.secret)}…(${c.secret.length} chars)`;
  return `${before}${redacted}${after}`.replace(/[\u0000-\u001f\u007f]/g, ' ');
}

const FIX: Record<FindingWhere, string> = {
  source: 'move it out of the code (an environment variable or a secret store)',
  output: "clear that cell's output",
  metadata: 'remove it from the metadata',
  text: 'remove it from the file',
};

function messageOf(what: string, unit: TextUnit, id: string): string {
  const place =
    unit.cell !== undefined
      ? `cell ${unit.cell}'s ${unit.where}`
      : unit.where === 'metadata'
        ? "the notebook's metadata"
        : 'this file';
  return `Found ${what} in ${place}: ${FIX[unit.where]} and rotate it if it was ever shared, or push anyway with \`mlsnap push --allow ${id}\` if it is not a secret.`;
}

function scanUnit(path: string, unit: TextUnit): Finding[] {
  const text = unit.text.replace(DATA_URI_PAYLOAD, '$1…');
  const all: Candidate[] = [];
  const kept = findCandidates(text, all);
  if (kept.length === 0) return [];
  const lines = new LineIndex(text);
  return kept.map((c) => {
    const id = findingId(path, c.rule.name, c.secret);
    const finding: Finding = {
      id,
      rule: c.rule.name,
      path,
      line: lines.lineOf(c.start) + 1,
      where: unit.where,
      excerpt: excerptOf(text, c, all, lines),
      message: messageOf(c.rule.what, unit, id),
    };
    if (unit.cell !== undefined) finding.cell = unit.cell;
    return finding;
  });
}

/** Findings of every unit; a secret seen twice in one group (text/plain and text/html) once. */
function scanUnits(path: string, units: readonly TextUnit[]): Finding[] {
  const out: Finding[] = [];
  const idsByGroup = new Map<number, Set<string>>();
  for (const unit of units) {
    let ids = idsByGroup.get(unit.group);
    if (!ids) idsByGroup.set(unit.group, (ids = new Set()));
    for (const f of scanUnit(path, unit)) {
      if (ids.has(f.id)) continue;
      ids.add(f.id);
      out.push(f);
    }
  }
  return out;
}

/**
 * Secrets in a file about to be pushed. `kind` is the tracked file's kind ('notebook', 'model',
 * 'metrics', 'other'). A notebook is scanned decoded: each cell's source, its text, stream and
 * error outputs (image and other binary payloads skipped), cell and notebook metadata; bytes that
 * are not a notebook are scanned as text. Models are not scanned here (see scanModelFile), nor
 * is binary content (a NUL in the first 8 KiB).
 */
export function scanContent(path: string, kind: string, bytes: Buffer): Finding[] {
  if (kind === 'model' || isBinary(bytes)) return [];
  const units = kind === 'notebook' ? notebookUnits(bytes, path) : null;
  return scanUnits(path, units ?? [{ where: 'text', text: decodeText(bytes), group: 0 }]);
}

// ---------------------------------------------------------------------------------------------
// Model files

/** Formats whose loading unpickles: plain pickles/joblib and torch.save files (zip, legacy, tar). */
const PICKLED_FORMATS = new Set<ModelSummary['format']>(['pickle', 'pytorch']);

/** Globals named in the excerpt and message; the id covers all of them. */
const GLOBALS_SHOWN = 3;

async function readHead(file: string): Promise<Buffer> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function listShown(names: readonly string[]): string {
  const shown = names.slice(0, GLOBALS_SHOWN).join(', ');
  return names.length > GLOBALS_SHOWN ? `${shown} and ${names.length - GLOBALS_SHOWN} more` : shown;
}

function namesAt(globals: ModelSummary['globals'], level: PickleLevel): string[] {
  return (globals ?? []).filter((g) => g.level === level).map((g) => `${g.module}.${g.name}`);
}

function issuesAt(summary: Pick<ModelSummary, 'pickleIssues'>, level: PickleVerdict): string[] {
  return (summary.pickleIssues ?? []).filter((i) => i.level === level).map((i) => i.text);
}

/** One 'pickle-code-execution' finding: the dangerous globals (or what else runs code) and a call. */
function codeExecutionFinding(path: string, summary: ModelSummary): Finding {
  const dangerous = namesAt(summary.globals, 'dangerous');
  const what = dangerous.length > 0 ? dangerous : issuesAt(summary, 'dangerous');
  const call = summary.warnings.find((w) => w.startsWith('loading would call '));
  const head = dangerous.length > 0 ? `unsafe globals: ${listShown(dangerous)}` : listShown(what);
  const excerpt = `dangerous pickle: ${head}${call ? `; ${call}` : ''}`;
  return pickleFinding(path, 'pickle-code-execution', what.join('\n'), (id) => ({
    excerpt: excerpt.length > 200 ? `${excerpt.slice(0, 199)}…` : excerpt,
    message: `Found a pickle that would run code when loaded (dangerous: ${listShown(what)}): re-save it in a format that holds only data (safetensors), or push anyway with \`mlsnap push --allow ${id}\` if you trust it.`,
  }));
}

/** A finding about a whole model file: its id from the rule and `detail`, the words from `say(id)`. */
function pickleFinding(
  path: string,
  rule: FindingRule,
  detail: string,
  say: (id: string) => Pick<Finding, 'excerpt' | 'message'>,
): Finding {
  const id = findingId(path, rule, detail);
  return { id, rule, path, line: 1, where: 'text', ...say(id) };
}

/** What a model file would do when loaded: the blocking findings, and the suspicious classes named. */
export interface ModelAssessment {
  findings: Finding[];
  /** null when the file is not something a loader unpickles. */
  verdict: PickleVerdict | null;
  /** Classes whose own code runs while they are rebuilt: named, not blocking. */
  suspicious: string[];
}

const NOT_PICKLED: ModelAssessment = { findings: [], verdict: null, suspicious: [] };

function assessSummary(path: string, summary: ModelSummary): ModelAssessment {
  const suspicious = namesAt(summary.globals, 'suspicious');
  const verdict = summary.pickleVerdict ?? (namesAt(summary.globals, 'dangerous').length > 0 ? 'dangerous' : 'safe');
  if (verdict === 'dangerous') return { findings: [codeExecutionFinding(path, summary)], verdict, suspicious };
  if (verdict === 'unknown') {
    const why = issuesAt(summary, 'unknown')[0] ?? 'the pickle was not fully read';
    return { findings: [unverifiableFinding(path, why, [])], verdict, suspicious };
  }
  return { findings: [], verdict, suspicious };
}

/**
 * A model file on disk (`file`; `path` is its project-relative name, whose extension drives
 * format detection), assessed by the pickle scanner's levels: dangerous and unknown give one
 * blocking finding ('pickle-code-execution', 'pickle-unverifiable'), suspicious classes are
 * named only. Never loads or unpickles. `summarize` parses it (a caller that parses the file
 * anyway passes its own parse, so the file is walked once).
 */
export async function assessModelFile(
  path: string,
  file: string,
  summarize: () => Promise<ModelSummary> = () => summarizeModel(file, { name: path }),
): Promise<ModelAssessment> {
  let head: Buffer;
  try {
    head = await readHead(file);
  } catch {
    return NOT_PICKLED;
  }
  if (!PICKLED_FORMATS.has(detectModelFormat(path, head))) return NOT_PICKLED;
  let summary: ModelSummary;
  try {
    summary = await summarize();
  } catch (e) {
    // Fail closed: a pickle that runs `os.system` and then holds junk still runs it on load.
    // What cannot be checked is reported when it starts like something a loader would
    // unpickle, or when the walk saw a dangerous global before it stopped.
    const seen = e instanceof PickleParseError ? e.partial.globals : [];
    const dangerous = namesAt(seen, 'dangerous');
    if (dangerous.length === 0 && !looksPickled(head)) return NOT_PICKLED;
    return {
      findings: [unverifiableFinding(path, (e as Error).message, dangerous)],
      verdict: dangerous.length > 0 ? 'dangerous' : 'unknown',
      suspicious: namesAt(seen, 'suspicious'),
    };
  }
  return assessSummary(path, summary);
}

/** What `show` says of an assessment: null for files no loader unpickles. */
export function pickleSafetyOf(a: ModelAssessment): PickleSafety | null {
  if (a.verdict === null) return null;
  const safety: PickleSafety = { verdict: a.verdict, suspicious: a.suspicious };
  const blocking = a.findings[0];
  if (blocking) safety.detail = blocking.excerpt;
  return safety;
}

/**
 * The push gate's model check: one finding when loading the file would run code
 * (dangerous) or when what it would run cannot be told (unknown); [] for data-only formats,
 * safe and suspicious pickles, and bytes no loader would unpickle.
 */
export async function scanModelFile(path: string, file: string): Promise<Finding[]> {
  return (await assessModelFile(path, file)).findings;
}

/**
 * Bytes a pickle loader would start executing: a protocol 2+ header (0x80), a zip archive
 * (torch.save), compressed joblib (what the scanner recognises: compressionOf), or a protocol 0/1 pickle's usual
 * first opcodes (MARK, GLOBAL, EMPTY_LIST/DICT).
 */
function looksPickled(head: Buffer): boolean {
  const b0 = head[0];
  if (b0 === undefined) return false;
  if (b0 === 0x80 || head.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) return true;
  if (compressionOf(head) !== null) return true;
  return '(c]}'.includes(String.fromCharCode(b0)) && head.subarray(0, 64).every((c) => c >= 0x09 && c < 0x80);
}

function unverifiableFinding(path: string, why: string, dangerous: readonly string[]): Finding {
  const reason = why.replace(/^.*?: (?=pickle|truncated|zip|unknown|compressed)/, '').slice(0, 160);
  const before = dangerous.length > 0 ? `; before it stopped it references ${listShown(dangerous)} (dangerous)` : '';
  return pickleFinding(path, 'pickle-unverifiable', reason, (id) => ({
    excerpt: `not readable as a pickle (verdict unknown: treat as unsafe): ${reason}${before}`.slice(0, 300),
    message: `Could not check what loading this pickle would run (${reason})${before}: re-save it uncompressed or as safetensors, or push anyway with \`mlsnap push --allow ${id}\` if you trust it.`,
  }));
}
