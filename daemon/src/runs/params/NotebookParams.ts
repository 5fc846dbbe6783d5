/**
 * A notebook's parameters, read from its cells' code as text. Papermill's convention comes
 * first: the cell tagged `parameters` holds the defaults and the `injected-parameters` cell
 * papermill adds holds what a run was given. Without either, every code cell's top-level literal
 * assignments stand in, which is how most notebooks set their knobs.
 */
import { asRecord } from '../../../../shared/src/check';
import type { ParamValue, RunParam } from '../../../../shared/src/runs';
import { topLevelAssignments, type Assignment } from './PythonLiteral';

const PARAMETERS_TAG = 'parameters';
const INJECTED_TAG = 'injected-parameters';
/** A value spelled out in more than this is data (an embedded table, a vocabulary), not a knob. */
const MAX_VALUE_TEXT = 1024;

interface CodeCell {
  /** 1-based among all cells, markdown included, as the editor numbers them. */
  number: number;
  code: string;
  tags: string[];
}

/** nbformat stores source as a string or as a list of lines. */
function cellSource(source: unknown): string {
  if (typeof source === 'string') return source;
  if (Array.isArray(source)) return source.filter((s): s is string => typeof s === 'string').join('');
  return '';
}

function cellTags(metadata: unknown): string[] {
  const tags = asRecord(metadata)?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

function codeCells(cells: unknown): CodeCell[] {
  if (!Array.isArray(cells)) return [];
  return cells.flatMap((raw, i) => {
    const cell = asRecord(raw);
    if (cell === null || cell.cell_type !== 'code') return [];
    return [{ number: i + 1, code: cellSource(cell.source), tags: cellTags(cell.metadata) }];
  });
}

/** An R or Julia notebook's `x = 1` is not Python: reading it as Python could misread it. */
function isPythonNotebook(metadata: unknown): boolean {
  const meta = asRecord(metadata);
  const language = asRecord(meta?.kernelspec)?.language ?? asRecord(meta?.language_info)?.name;
  return typeof language !== 'string' || language === '' || /^python/i.test(language);
}

function isParameterName(name: string): boolean {
  return !(name.startsWith('__') && name.endsWith('__'));
}

/** Parameters by name in first-seen order: a later assignment replaces the value and the source. */
class ParamTable {
  private readonly byName = new Map<string, RunParam>();

  set(name: string, value: ParamValue, source: string): void {
    const known = this.byName.get(name);
    if (known === undefined) this.byName.set(name, { name, value, source });
    else Object.assign(known, { value, source });
  }

  delete(name: string): void {
    this.byName.delete(name);
  }

  list(): RunParam[] {
    return [...this.byName.values()];
  }
}

function keepable(a: Assignment): a is Assignment & { value: ParamValue } {
  return a.value !== undefined && a.textLength <= MAX_VALUE_TEXT && isParameterName(a.name);
}

function taggedParams(defaults: CodeCell[], injected: CodeCell[]): RunParam[] {
  const table = new ParamTable();
  const read = (cells: CodeCell[], source: string): void => {
    for (const a of cells.flatMap((c) => topLevelAssignments(c.code))) {
      if (keepable(a)) table.set(a.name, a.value, source);
    }
  };
  read(defaults, 'parameters cell');
  read(injected, 'injected-parameters cell'); // papermill's values win over the defaults
  return table.list();
}

/** `history = []`, `results = {}`: an empty container assigned at top level is an accumulator. */
function isEmptyContainer(value: ParamValue): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

function untaggedParams(cells: CodeCell[]): RunParam[] {
  const table = new ParamTable();
  for (const cell of cells) {
    for (const a of topLevelAssignments(cell.code)) {
      // A name the code later computes (`model = None`, then `model = build()`) is a variable.
      if (a.value === undefined) table.delete(a.name);
      else if (keepable(a) && !isEmptyContainer(a.value)) table.set(a.name, a.value, `cell ${cell.number}`);
      else table.delete(a.name);
    }
  }
  return table.list();
}

/**
 * A notebook's parameters from its parsed nbformat JSON: the `parameters` cell's literal
 * assignments overridden by the `injected-parameters` cell's when either is tagged, else every
 * code cell's top-level literal assignments (a later one wins; source `cell N`). Dicts stay one
 * parameter; dunder names and values spelled in over 1 KiB are left out.
 */
export function notebookParams(notebook: unknown): RunParam[] {
  const nb = asRecord(notebook);
  if (nb === null || !isPythonNotebook(nb.metadata)) return [];
  const cells = codeCells(nb.cells);
  const defaults = cells.filter((c) => c.tags.includes(PARAMETERS_TAG));
  const injected = cells.filter((c) => c.tags.includes(INJECTED_TAG));
  if (defaults.length > 0 || injected.length > 0) return taggedParams(defaults, injected);
  return untaggedParams(cells);
}
