import { open, stat } from 'node:fs/promises';
import { asRecord } from '../../../shared/src/check';

/** A code cell as far as provenance cares: its source and when nbclient says it ran. */
export interface NotebookCell {
  source: string;
  /** Earliest and latest `metadata.execution` timestamps of the cell (ms), when recorded. */
  startedMs?: number;
  finishedMs?: number;
}

/** What a notebook says about the interpreter that ran it, besides the kernelspec name. */
export interface NotebookInterpreterMetadata {
  /** kernelspec.display_name: VS Code writes the environment's name (`.venv`, a conda env). */
  kernelDisplayName: string | null;
  /** metadata.vscode.interpreter.hash: VS Code's sha256 (hex) of the interpreter's path. */
  interpreterHash: string | null;
  /** language_info.version: the Python version the kernel reported when it last ran. */
  languageVersion: string | null;
}

export interface NotebookSummary extends NotebookInterpreterMetadata {
  kernelName: string | null;
  kernelLanguage: string | null;
  cells: NotebookCell[];
  /** Latest execution timestamp over all cells, when nbclient recorded timing. */
  lastRunMs?: number;
  /**
   * The file was too big to parse whole: `cells` holds one pseudo-cell with the raw head of the
   * file (outputs included), so names can still be searched for.
   */
  partial: boolean;
}

/** Tail searched for the kernelspec in notebooks too large to parse (nbformat writes metadata after cells). */
const TAIL_BYTES = 64 * 1024;

/** nbformat stores source as a string or as a list of lines. */
function sourceText(source: unknown): string {
  if (typeof source === 'string') return source;
  if (Array.isArray(source)) return source.filter((s): s is string => typeof s === 'string').join('');
  return '';
}

/** Timestamps nbclient writes to `cell.metadata.execution` (iopub.status.idle, shell.execute_reply, ...). */
function executionTimes(metadata: unknown): { startedMs?: number; finishedMs?: number } {
  const execution = asRecord(asRecord(metadata)?.execution);
  if (execution === null) return {};
  const times = Object.values(execution)
    .map((v) => (typeof v === 'string' ? Date.parse(v) : NaN))
    .filter((t) => Number.isFinite(t));
  if (times.length === 0) return {};
  return { startedMs: Math.min(...times), finishedMs: Math.max(...times) };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function kernelspecOf(
  metadata: unknown,
): { name: string | null; language: string | null } & NotebookInterpreterMetadata {
  const meta = asRecord(metadata);
  const spec = asRecord(meta?.kernelspec);
  const info = asRecord(meta?.language_info);
  const specLanguage = stringOrNull(spec?.language);
  return {
    name: stringOrNull(spec?.name),
    language: specLanguage ?? stringOrNull(info?.name),
    kernelDisplayName: stringOrNull(spec?.display_name),
    interpreterHash: stringOrNull(asRecord(asRecord(meta?.vscode)?.interpreter)?.hash),
    languageVersion: stringOrNull(info?.version),
  };
}

/** Summary of a parsed notebook document; null when it is not a notebook. */
export function summarizeNotebook(doc: unknown): NotebookSummary | null {
  const nb = asRecord(doc);
  if (nb === null) return null;
  const { name, language, ...interpreter } = kernelspecOf(nb.metadata);
  const cells: NotebookCell[] = [];
  const rawCells = Array.isArray(nb.cells) ? nb.cells : [];
  for (const raw of rawCells) {
    const cell = asRecord(raw);
    // Only code runs; a markdown cell that mentions a file did not write it.
    if (cell === null || cell.cell_type !== 'code') continue;
    cells.push({ source: sourceText(cell.source), ...executionTimes(cell.metadata) });
  }
  const finished = cells.map((c) => c.finishedMs).filter((t): t is number => t !== undefined);
  const summary: NotebookSummary = {
    kernelName: name,
    kernelLanguage: language,
    ...interpreter,
    cells,
    partial: false,
  };
  if (finished.length > 0) summary.lastRunMs = Math.max(...finished);
  return summary;
}

/** Best-effort kernelspec and interpreter metadata from raw notebook text (for files too big to parse). */
export function kernelspecFromText(
  text: string,
): { name: string | null; language: string | null } & NotebookInterpreterMetadata {
  const field = (block: string, key: string): string | null =>
    new RegExp(`"${key}"\\s*:\\s*"([^"\\\\]*)"`).exec(block)?.[1] || null;
  const block = (key: string): string => new RegExp(`"${key}"\\s*:\\s*\\{([^{}]*)\\}`).exec(text)?.[1] ?? '';
  const spec = block('kernelspec');
  // language_info nests codemirror_mode {name, version: 3}: take the quoted version after it.
  const infoAt = text.indexOf('"language_info"');
  const info = infoAt < 0 ? '' : text.slice(infoAt, infoAt + 2048).replace(/"codemirror_mode"\s*:\s*\{[^{}]*\}/, '');
  return {
    name: field(spec, 'name'),
    language: field(spec, 'language'),
    kernelDisplayName: field(spec, 'display_name'),
    interpreterHash: field(block('interpreter'), 'hash'),
    languageVersion: field(info, 'version'),
  };
}

async function readRange(file: string, position: number, length: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Read a notebook, parsing it when it is at most maxBytes. Larger notebooks (usually big image
 * outputs) are not parsed: their head is kept as raw text and the kernelspec is taken from the tail.
 * Throws on I/O errors; returns null for files that are not notebooks.
 */
export async function readNotebook(file: string, maxBytes: number): Promise<NotebookSummary | null> {
  const size = (await stat(file)).size;
  if (size <= maxBytes) {
    let doc: unknown;
    try {
      doc = JSON.parse(await readRange(file, 0, size));
    } catch {
      return null;
    }
    return summarizeNotebook(doc);
  }
  const head = await readRange(file, 0, maxBytes);
  const tail = await readRange(file, Math.max(0, size - TAIL_BYTES), TAIL_BYTES);
  const { name, language, ...interpreter } = kernelspecFromText(tail);
  return { kernelName: name, kernelLanguage: language, ...interpreter, cells: [{ source: head }], partial: true };
}
