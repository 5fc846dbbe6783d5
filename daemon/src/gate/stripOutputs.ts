/**
 * A notebook without its outputs, for pushing when the secrets are only in what cells printed
 * (nbstripout's default: outputs and execution counts go; sources, metadata, attachments stay).
 */
import { MlsnapError } from '../../../shared/src/errors';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function notANotebook(problem: string): never {
  throw new MlsnapError('invalid-file', `cannot strip outputs: ${problem}`);
}

function parseRoot(bytes: Buffer): Json {
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    notANotebook(`not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isObject(root)) notANotebook('not a Jupyter notebook (the JSON is not an object)');
  return root;
}

/** The cell lists of a notebook: nbformat 4's `cells`, or each nbformat 3 worksheet's. */
function cellLists(nb: Json): unknown[][] {
  if (Array.isArray(nb['cells'])) return [nb['cells']];
  if (Array.isArray(nb['worksheets']))
    return nb['worksheets'].flatMap((ws) => (isObject(ws) && Array.isArray(ws['cells']) ? [ws['cells']] : []));
  return notANotebook('not a Jupyter notebook (no "cells" or "worksheets")');
}

function stripCell(cell: unknown): void {
  if (!isObject(cell) || cell['cell_type'] !== 'code') return;
  cell['outputs'] = [];
  if ('prompt_number' in cell)
    delete cell['prompt_number']; // nbformat 3 leaves an unrun cell's count out
  else cell['execution_count'] = null;
}

/**
 * A copy of the notebook with every code cell's outputs emptied and its execution count cleared,
 * written as nbformat writes (indent 1, trailing newline). Key order is kept as it was: Jupyter
 * saves keys sorted, so its notebooks keep their layout and diff only where outputs were.
 */
export function stripOutputs(bytes: Buffer): Buffer {
  const nb = parseRoot(bytes);
  for (const cells of cellLists(nb)) for (const cell of cells) stripCell(cell);
  return Buffer.from(`${JSON.stringify(nb, null, 1)}\n`, 'utf8');
}
