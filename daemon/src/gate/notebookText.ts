/**
 * A notebook as the decoded text a person would see: each cell's joined source, its outputs'
 * text (stream, text/* and JSON mime data, errors with their ANSI colours removed) and its
 * metadata. Scanning this instead of the raw .ipynb is the point of the gate: in the file a
 * printed `token="…"` is `token=\"…\"`, and keys often sit only in outputs.
 */
import { parseNotebook, type ParsedCell, type ParsedOutput } from '../diff/notebook/parseNotebook';
import type { TextUnit } from './types';

/** CSI (colours, cursor moves) and OSC (titles, links) escape sequences, as IPython tracebacks carry. */
const ANSI_ESCAPE = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI_ESCAPE, '');
}

/** Mime types whose payload is text a secret could be printed into; images and binaries are skipped. */
function isTextMime(mime: string): boolean {
  if (mime.startsWith('text/')) return true;
  return mime === 'application/json' || mime === 'application/javascript' || mime.endsWith('+json');
}

function isJsonMime(mime: string): boolean {
  return mime === 'application/json' || mime.endsWith('+json');
}

const MAX_JSON_DEPTH = 32;

/**
 * JSON as `key: value` lines of decoded strings: the generic assignment rule sees
 * `api_token: abc…` rather than escaped JSON, and multi-line strings keep their lines.
 */
export function flattenJson(value: unknown): string {
  const lines: string[] = [];
  const visit = (v: unknown, key: string, depth: number): void => {
    if (depth > MAX_JSON_DEPTH) return;
    if (typeof v === 'string') lines.push(key ? `${key}: ${v}` : v);
    else if (Array.isArray(v)) for (const item of v) visit(item, key, depth + 1);
    else if (v !== null && typeof v === 'object')
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) visit(item, k, depth + 1);
  };
  visit(value, '', 0);
  return lines.join('\n');
}

function mimeText(mime: string, value: string): string {
  if (!isJsonMime(mime)) return value;
  try {
    return flattenJson(JSON.parse(value));
  } catch {
    return value; // a JSON mime holding a plain string: scan it as it is
  }
}

/** The texts of one output; text/plain first, so its line numbers are the ones reported. */
function outputTexts(out: ParsedOutput): string[] {
  if (out.type === 'stream') return [out.text ?? ''];
  if (out.type === 'error') {
    const traceback = (out.traceback ?? []).map(stripAnsi).join('\n');
    return [stripAnsi(`${out.ename ?? ''}: ${out.evalue ?? ''}`), traceback];
  }
  const mimes = [...out.data.keys()].filter(isTextMime).sort((a, b) => rankMime(a) - rankMime(b));
  return mimes.map((mime) => mimeText(mime, out.data.get(mime) ?? ''));
}

function rankMime(mime: string): number {
  return mime === 'text/plain' ? 0 : 1;
}

function cellUnits(cell: ParsedCell, nextGroup: () => number): TextUnit[] {
  const n = cell.index + 1;
  const units: TextUnit[] = [{ where: 'source', cell: n, text: cell.source, group: nextGroup() }];
  for (const out of cell.outputs) {
    const group = nextGroup();
    for (const text of outputTexts(out)) units.push({ where: 'output', cell: n, text, group });
  }
  const metadata = flattenJson(cell.metadata);
  if (metadata) units.push({ where: 'metadata', cell: n, text: metadata, group: nextGroup() });
  return units;
}

/**
 * The texts of a notebook, or null when the bytes are not one (not JSON, no cells): the caller
 * then scans them as plain text.
 */
export function notebookUnits(bytes: Buffer, path: string): TextUnit[] | null {
  let nb;
  try {
    nb = parseNotebook(bytes, path);
  } catch {
    return null;
  }
  let group = 0;
  const nextGroup = (): number => group++;
  const units = nb.cells.flatMap((cell) => cellUnits(cell, nextGroup));
  const metadata = flattenJson(nb.metadata);
  if (metadata) units.push({ where: 'metadata', text: metadata, group: nextGroup() });
  return units;
}
