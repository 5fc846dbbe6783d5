/**
 * Values as written on a command line, typed the way argparse `type=` conversions and Hydra's
 * override grammar would read them, so `--lr 0.01` and `lr=0.01` both record the number 0.01.
 */
import type { ParamValue } from '../../../../shared/src/runs';

/** Hydra's `[1, [2, 3]]` nesting; deeper reads as a plain string. */
const MAX_NESTING = 32;
/** No leading zeros: `007` is an id, and typing it would lose what was written. */
const INTEGER = /^[+-]?(?:0|[1-9](?:_?\d)*)$/;
const FLOAT = /^[+-]?(?:(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)$/;

function integerValue(text: string): number | string {
  const n = BigInt(text.replace(/_/g, ''));
  // Beyond 2^53 a number would round: the digits stay exact as a string.
  if (n < BigInt(Number.MIN_SAFE_INTEGER) || n > BigInt(Number.MAX_SAFE_INTEGER)) return text;
  const value = Number(n);
  return value === 0 ? 0 : value;
}

/** `64` → 64, `1e-3` → 0.001, `True` → true, `null`/`None` → null; anything else stays the string. */
export function scalarValue(text: string): ParamValue {
  if (INTEGER.test(text)) return integerValue(text);
  if (FLOAT.test(text)) {
    const value = Number(text);
    if (Number.isFinite(value)) return value === 0 ? 0 : value;
  }
  const lower = text.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null' || text === 'None') return null;
  return text;
}

/** Splits at commas outside brackets and quotes: `a,[b,c],'d,e'` is three items. */
function splitTopLevel(text: string, separator: string): string[] | null {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== null) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '[' || c === '{' || c === '(') depth++;
    else if (c === ']' || c === '}' || c === ')') depth--;
    else if (c === separator && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
    if (depth < 0) return null;
  }
  if (quote !== null || depth !== 0) return null;
  parts.push(text.slice(start));
  return parts;
}

function listValue(inner: string, nesting: number): ParamValue[] | null {
  if (inner.trim() === '') return [];
  const parts = splitTopLevel(inner, ',');
  return parts === null ? null : parts.map((p) => hydraValue(p, nesting + 1));
}

function dictValue(inner: string, nesting: number): { [key: string]: ParamValue } | null {
  const dict: { [key: string]: ParamValue } = {};
  if (inner.trim() === '') return dict;
  for (const part of splitTopLevel(inner, ',') ?? []) {
    const colon = splitTopLevel(part, ':');
    if (colon === null || colon.length < 2) return null;
    const [key = '', ...value] = colon;
    // An own property: a key `__proto__` must not reach the prototype.
    Object.defineProperty(dict, unquote(key.trim()), {
      value: hydraValue(value.join(':'), nesting + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return dict;
}

function unquote(text: string): string {
  return /^(['"]).*\1$/s.test(text) ? text.slice(1, -1) : text;
}

/** A Hydra override's value: quoted strings, `[lists]`, `{dicts}`, typed scalars; sweeps stay strings. */
export function hydraValue(text: string, nesting = 0): ParamValue {
  const trimmed = text.trim();
  if (/^(['"]).*\1$/s.test(trimmed)) return trimmed.slice(1, -1);
  if (nesting < MAX_NESTING && trimmed.startsWith('[') && trimmed.endsWith(']')) {
    const list = listValue(trimmed.slice(1, -1), nesting);
    if (list !== null) return list;
  }
  if (nesting < MAX_NESTING && trimmed.startsWith('{') && trimmed.endsWith('}')) {
    const dict = dictValue(trimmed.slice(1, -1), nesting);
    if (dict !== null) return dict;
  }
  return scalarValue(trimmed);
}

/** `key=value`, `+key=value`, `++key=value`; `~key` (a deletion) matches too, for callers to skip. */
const OVERRIDE = /^(\+\+|\+|~)?([A-Za-z_][\w.\-/@]*)(?:=(.*))?$/s;

export interface Override {
  name: string;
  /** Null for a deletion (`~key`, `~key=value`): it removes a setting, it sets none. */
  value: ParamValue | null;
  deletion: boolean;
}

/** A Hydra-style override, or null when the text is not one (`data/`, `--lr`, `key` alone). */
export function parseOverride(text: string): Override | null {
  const match = OVERRIDE.exec(text);
  if (match === null) return null;
  const [, prefix, name = '', raw] = match;
  if (prefix === '~') return { name, value: null, deletion: true };
  if (raw === undefined) return null;
  return { name, value: hydraValue(raw), deletion: false };
}
