import { MlsnapError } from '../../../../shared/src/errors';
import { asRecord } from '../../../../shared/src/check';
import { MAX_JSON_NESTING, jsonNestingExceeds } from '../nesting';

/**
 * A lenient reader of .ipynb files (nbformat 3 and 4) into one shape for diffing. It refuses only
 * what is not a notebook at all (not JSON, no cells); odd cells and outputs are read as best it can.
 */

export interface ParsedOutput {
  /** nbformat 4 name: stream, execute_result, display_data, error (v3 pyout/pyerr are renamed). */
  type: string;
  /** stream name (stdout, stderr). */
  name?: string;
  /** Mime bundle, each value joined into one string (JSON values stringified). */
  data: Map<string, string>;
  /** Stream text. */
  text?: string;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface ParsedCell {
  index: number;
  id: string | null;
  cellType: string;
  source: string;
  executionCount: number | null;
  outputs: ParsedOutput[];
  metadata: unknown;
  /** Attachments of markdown/raw cells: name → mime → the data as stored (base64, joined). */
  attachments: Map<string, Map<string, string>>;
}

export interface ParsedNotebook {
  nbformat: string;
  cells: ParsedCell[];
  metadata: Record<string, unknown>;
}

/** nbformat 3 keys of display_data / pyout outputs → v4 mime types. */
const V3_MIMES: Record<string, string> = {
  text: 'text/plain',
  html: 'text/html',
  latex: 'text/latex',
  png: 'image/png',
  jpeg: 'image/jpeg',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  javascript: 'application/javascript',
  json: 'application/json',
  markdown: 'text/markdown',
};

/** nbformat "multiline strings" are a string or a list of strings. */
export function joinText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    let s = '';
    for (const part of value) if (typeof part === 'string') s += part;
    return s;
  }
  return '';
}

export function parseNotebook(buffer: Buffer, file: string): ParsedNotebook {
  let text = buffer.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new MlsnapError('invalid-file', `${file}: not valid JSON (${detail})`, file);
  }
  // stableStringify (here and in the diff) recurses per level of the JSON.
  if (jsonNestingExceeds(root))
    throw new MlsnapError(
      'invalid-file',
      `${file}: not a Jupyter notebook (JSON nested deeper than ${MAX_JSON_NESTING} levels)`,
      file,
    );
  const nb = asRecord(root);
  if (!nb) throw new MlsnapError('invalid-file', `${file}: not a Jupyter notebook (the JSON is not an object)`, file);

  const major = typeof nb['nbformat'] === 'number' ? nb['nbformat'] : null;
  const minor = typeof nb['nbformat_minor'] === 'number' ? nb['nbformat_minor'] : 0;
  let rawCells: unknown[];
  if (Array.isArray(nb['cells'])) {
    rawCells = nb['cells'];
  } else if (Array.isArray(nb['worksheets'])) {
    rawCells = [];
    for (const ws of nb['worksheets']) {
      const cells = asRecord(ws)?.['cells'];
      if (Array.isArray(cells)) rawCells.push(...(cells as unknown[]));
    }
  } else {
    throw new MlsnapError('invalid-file', `${file}: not a Jupyter notebook (no "cells" or "worksheets")`, file);
  }
  const v3 = major !== null ? major < 4 : !Array.isArray(nb['cells']);
  const nbformat = major === null ? (v3 ? '3' : '4') : `${major}.${minor}`;

  const cells: ParsedCell[] = [];
  for (const raw of rawCells) {
    const c = asRecord(raw);
    if (!c) continue;
    cells.push(parseCell(c, cells.length, v3));
  }
  return { nbformat, cells, metadata: asRecord(nb['metadata']) ?? {} };
}

function parseCell(c: Record<string, unknown>, index: number, v3: boolean): ParsedCell {
  let cellType = typeof c['cell_type'] === 'string' ? c['cell_type'] : 'unknown';
  let source = joinText(c['source'] !== undefined ? c['source'] : c['input']);
  if (cellType === 'heading') {
    // nbformat 3 heading cells become markdown headings, as nbformat's own v3 → v4 conversion does.
    const level = typeof c['level'] === 'number' ? Math.max(1, Math.min(6, c['level'])) : 1;
    cellType = 'markdown';
    source = `${'#'.repeat(level)} ${source.replace(/\n/g, ' ')}`;
  }
  const count = c['execution_count'] !== undefined ? c['execution_count'] : c['prompt_number'];
  const outputs: ParsedOutput[] = [];
  if (Array.isArray(c['outputs'])) {
    for (const o of c['outputs']) {
      const r = asRecord(o);
      if (r) outputs.push(parseOutput(r, v3));
    }
  }
  return {
    index,
    id: typeof c['id'] === 'string' && c['id'] !== '' ? c['id'] : null,
    cellType,
    source,
    executionCount: typeof count === 'number' ? count : null,
    outputs,
    metadata: c['metadata'] ?? null,
    attachments: parseAttachments(c['attachments']),
  };
}

/** `{"image.png": {"image/png": "iVBOR..."}}`; anything malformed is ignored, as Jupyter ignores it. */
function parseAttachments(value: unknown): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  const rec = asRecord(value);
  if (!rec) return out;
  for (const [name, bundle] of Object.entries(rec)) {
    const b = asRecord(bundle);
    if (!b) continue;
    out.set(name, new Map(Object.entries(b).map(([mime, data]) => [mime, bundleValue(data)])));
  }
  return out;
}

function parseOutput(o: Record<string, unknown>, v3: boolean): ParsedOutput {
  let type = typeof o['output_type'] === 'string' ? o['output_type'] : 'unknown';
  if (type === 'pyout') type = 'execute_result';
  else if (type === 'pyerr') type = 'error';
  const out: ParsedOutput = { type, data: new Map() };
  if (type === 'stream') {
    const name = typeof o['name'] === 'string' ? o['name'] : typeof o['stream'] === 'string' ? o['stream'] : undefined;
    if (name !== undefined) out.name = name;
    out.text = joinText(o['text']);
    return out;
  }
  if (type === 'error') {
    out.ename = typeof o['ename'] === 'string' ? o['ename'] : '';
    out.evalue = typeof o['evalue'] === 'string' ? o['evalue'] : '';
    out.traceback = Array.isArray(o['traceback'])
      ? o['traceback'].filter((t): t is string => typeof t === 'string')
      : [];
    return out;
  }
  const bundle = asRecord(o['data']);
  if (bundle) {
    for (const [mime, value] of Object.entries(bundle)) out.data.set(mime, bundleValue(value));
  } else if (v3 || o['data'] === undefined) {
    // nbformat 3: mime data sits on the output itself under short keys.
    for (const [key, mime] of Object.entries(V3_MIMES)) {
      if (o[key] !== undefined) out.data.set(mime, bundleValue(o[key]));
    }
  }
  return out;
}

function bundleValue(value: unknown): string {
  if (typeof value === 'string' || Array.isArray(value)) {
    if (typeof value === 'string' || value.every((v) => typeof v === 'string')) return joinText(value);
  }
  return stableStringify(value);
}

/** JSON with object keys sorted, so key order never counts as a change. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const rec = value as Record<string, unknown>;
  const keys = Object.keys(rec).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(rec[k])}`).join(',')}}`;
}
