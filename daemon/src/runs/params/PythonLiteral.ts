/**
 * Python literals and top-level `NAME = literal` assignments, read from code text. Nothing is
 * ever executed: what is not a pure literal (a call, a name, `2*3`) reads as undefined, the way
 * `ast.literal_eval` refuses it, so a parameter is only ever a value the code spells out.
 */
import type { ParamValue } from '../../../../shared/src/runs';
import { tokenizePython, type Token } from './PythonTokens';

/** Bound on nested brackets: Python's own parser stops near here, and recursion must not overflow. */
const MAX_NESTING = 100;
const KEYWORDS = new Set(
  (
    'False None True and as assert async await break class continue def del elif else except finally for from ' +
    'global if import in is lambda nonlocal not or pass raise return try while with yield'
  ).split(' '),
);
const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** Thrown inside the parser only: "not a literal", turned into undefined at the boundary. */
class NotLiteral extends Error {}

function refuse(): never {
  throw new NotLiteral();
}

/** Sets a key as an own property: a dict key `__proto__` must not reach the prototype. */
function setKey(target: { [key: string]: ParamValue }, key: string, value: ParamValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** An int beyond 2^53 keeps its exact digits as a string rather than a rounded number. */
function fromBigInt(n: bigint): number | string {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

function numberValue(text: string): number | string {
  const digits = text.replace(/_/g, '').toLowerCase();
  if (digits.endsWith('j')) refuse(); // imaginary: no JSON value for it
  if (/^0[xob]/.test(digits)) return fromBigInt(BigInt(digits));
  if (/^\d+$/.test(digits)) {
    if (/^0+[1-9]/.test(digits)) refuse(); // `010` is a SyntaxError in Python 3
    return fromBigInt(BigInt(digits));
  }
  const value = Number(digits);
  // 1e999 is inf in Python, which a parameter stored as JSON cannot hold.
  return Number.isFinite(value) ? value : refuse();
}

function negate(value: number | string): number | string {
  if (typeof value === 'string') return value.startsWith('-') ? value.slice(1) : `-${value}`;
  return value === 0 ? 0 : -value; // no -0: it would compare unequal to 0 in tests and diffs
}

/** `\x41`, `\101`, `\u0041`, `\U00000041`: the code point, or a refusal when malformed. */
function codeEscape(body: string, at: number, kind: string): { char: string; length: number } {
  if (/[0-7]/.test(kind)) {
    const octal = /^[0-7]{1,3}/.exec(body.slice(at))?.[0] ?? '';
    return { char: String.fromCodePoint(parseInt(octal, 8)), length: octal.length };
  }
  const width = kind === 'x' ? 2 : kind === 'u' ? 4 : 8;
  const hex = body.slice(at + 1, at + 1 + width);
  if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) refuse();
  const code = parseInt(hex, 16);
  if (code > 0x10ffff) refuse();
  return { char: String.fromCodePoint(code), length: 1 + width };
}

function unescape(body: string, bytes: boolean): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? '';
    if (c !== '\\') {
      if (bytes && c.charCodeAt(0) > 0x7f) refuse(); // bytes literals are ASCII only
      out += c;
      continue;
    }
    const next = body[i + 1] ?? '';
    if (next === '\n') {
      i++; // backslash-newline continues the string
    } else if (next in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[next];
      i++;
    } else if (/[0-7x]/.test(next) || (!bytes && (next === 'u' || next === 'U'))) {
      const { char, length } = codeEscape(body, i + 1, next === 'U' ? 'U' : next);
      out += char;
      i += length;
    } else if (next === 'N' && !bytes) {
      refuse(); // \N{NAME} needs Unicode's name table: unknown beats wrong
    } else {
      out += c; // an unknown escape keeps its backslash, as Python does
    }
  }
  return out;
}

/** One string token's value and whether it was bytes (which must not concatenate with str). */
function stringValue(text: string): { value: string; bytes: boolean } {
  const quoteAt = text.search(/['"]/);
  const prefix = text.slice(0, quoteAt).toLowerCase();
  if (prefix.includes('f') || prefix.includes('t')) refuse(); // f-strings and t-strings are code
  const quotes = text.startsWith(text[quoteAt]!.repeat(3), quoteAt) && text.length - quoteAt >= 6 ? 3 : 1;
  const body = text.slice(quoteAt + quotes, text.length - quotes);
  const bytes = prefix.includes('b');
  return { value: prefix.includes('r') ? body : unescape(body, bytes), bytes };
}

/** A recursive-descent reader of one expression's tokens: literal displays and nothing else. */
class LiteralParser {
  private pos = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  /** The whole token list as one value: a bare `1, 2` is a tuple, as in `x = 1, 2`. */
  parseAll(): ParamValue {
    if (this.tokens.length === 0) refuse();
    const first = this.item(0);
    const value = this.isOp(',') ? this.rest([first], null, 0) : first;
    if (this.pos !== this.tokens.length) refuse();
    return value;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private isOp(text: string): boolean {
    const t = this.peek();
    return t !== undefined && t.kind === 'op' && t.text === text;
  }

  private expectOp(text: string): void {
    if (!this.isOp(text)) refuse();
    this.pos++;
  }

  private item(nesting: number): ParamValue {
    if (nesting > MAX_NESTING) refuse();
    const t = this.peek() ?? refuse();
    this.pos++;
    if (t.kind === 'number') return numberValue(t.text);
    if (t.kind === 'string') return this.strings(t);
    if (t.kind === 'name')
      return t.text === 'True' ? true : t.text === 'False' ? false : t.text === 'None' ? null : refuse();
    if (t.kind !== 'op') refuse();
    if (t.text === '-' || t.text === '+') return this.signed(t.text);
    if (t.text === '[') return this.rest([], ']', nesting + 1);
    if (t.text === '(') return this.parenthesized(nesting + 1);
    if (t.text === '{') return this.braces(nesting + 1);
    return refuse();
  }

  /** One sign on a number literal, as literal_eval allows: `-1`, `+0.5`; not `--1` nor `-True`. */
  private signed(sign: string): number | string {
    const t = this.peek();
    if (t?.kind !== 'number') refuse();
    this.pos++;
    const value = numberValue(t.text);
    return sign === '-' ? negate(value) : value;
  }

  /** Adjacent string literals concatenate: `'a' 'b'` is `'ab'`. */
  private strings(first: Token): string {
    const head = stringValue(first.text);
    let value = head.value;
    while (this.peek()?.kind === 'string') {
      const next = stringValue(this.peek()!.text);
      if (next.bytes !== head.bytes) refuse(); // b'' 'x' is a SyntaxError
      value += next.value;
      this.pos++;
    }
    return value;
  }

  /**
   * Comma-separated items up to `close` (null: the end of the tokens), a trailing comma allowed,
   * after `items` already read (the cursor is on the comma that follows them, if any).
   */
  private rest(items: ParamValue[], close: string | null, nesting: number): ParamValue[] {
    const atEnd = (): boolean => (close === null ? this.peek() === undefined : this.isOp(close));
    if (items.length > 0 && !atEnd()) this.expectOp(',');
    while (!atEnd()) {
      items.push(this.item(nesting));
      if (!atEnd()) this.expectOp(',');
    }
    if (close !== null) this.expectOp(close);
    return items;
  }

  /** `()` and `(1,)` are tuples (arrays); `(1)` is just 1. */
  private parenthesized(nesting: number): ParamValue {
    if (this.isOp(')')) return this.rest([], ')', nesting);
    const first = this.item(nesting);
    if (this.isOp(')')) {
      this.pos++;
      return first;
    }
    return this.rest([first], ')', nesting);
  }

  /** `{}` is a dict, `{k: v}` a dict, `{a, b}` a set (an array of its distinct items, in order). */
  private braces(nesting: number): ParamValue {
    const dict: { [key: string]: ParamValue } = {};
    if (this.isOp('}')) {
      this.pos++;
      return dict;
    }
    const first = this.item(nesting);
    if (!this.isOp(':')) return distinct(this.rest([first], '}', nesting));
    for (let key = first; ; key = this.item(nesting)) {
      this.expectOp(':');
      setKey(dict, dictKey(key), this.item(nesting));
      if (this.isOp('}')) break;
      this.expectOp(',');
      if (this.isOp('}')) break;
    }
    this.pos++;
    return dict;
  }
}

/** String keys as they are, int keys as their digits; other keys have no JSON spelling worth guessing. */
function dictKey(key: ParamValue): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' && Number.isInteger(key)) return String(key);
  return refuse();
}

function distinct(items: ParamValue[]): ParamValue[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = JSON.stringify(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The value of a token run that is exactly one literal expression, else undefined. */
export function literalOfTokens(tokens: readonly Token[]): ParamValue | undefined {
  if (tokens.some((t) => t.kind === 'error' || t.kind === 'newline')) return undefined;
  try {
    return new LiteralParser(tokens).parseAll();
  } catch (err) {
    if (err instanceof NotLiteral) return undefined;
    throw err;
  }
}

/**
 * A Python literal's value: numbers (`1_000`, `0x10`, `1e-3`, one sign), strings (every quoting
 * and prefix but f/t, escapes decoded, adjacent ones joined), True/False/None, lists, tuples and
 * sets (as arrays), dicts with string or int keys, nested. Undefined for anything else.
 */
export function parsePythonLiteral(text: string): ParamValue | undefined {
  const tokens = tokenizePython(text.replace(/\r\n?/g, '\n'));
  while (tokens.at(-1)?.kind === 'newline') tokens.pop();
  return literalOfTokens(tokens);
}

/** A top-level assignment as read; `value` undefined when the right side is not a literal. */
export interface Assignment {
  name: string;
  value: ParamValue | undefined;
  /** Length of the right side's source text, for callers that bound what they keep. */
  textLength: number;
}

/** Logical lines (split at `;` too) that start at column 0; indented blocks are not top level. */
function topLevelStatements(tokens: readonly Token[]): Token[][] {
  const statements: Token[][] = [];
  let current: Token[] = [];
  // Set by the first token of each logical line: `a = 1; b = 2` shares its line's indentation.
  let indented: boolean | null = null;
  const flush = (): void => {
    if (current.length > 0 && indented === false) statements.push(current);
    current = [];
  };
  for (const token of tokens) {
    if (token.kind === 'newline') {
      flush();
      indented = null;
    } else if (token.kind === 'op' && token.text === ';' && token.depth === 0) {
      flush();
    } else {
      indented ??= token.column > 0;
      current.push(token);
    }
  }
  flush();
  return statements;
}

function isTargetName(t: Token | undefined): t is Token {
  return t !== undefined && t.kind === 'name' && !KEYWORDS.has(t.text);
}

/** `a`, `a: T`, `a, b`, `(a, b)`, `[a, b]`: the names assigned, or null for any other target. */
function targetNames(target: readonly Token[]): string[] | null {
  const [first, second] = target;
  if (!isTargetName(first)) return unwrapped(target);
  if (target.length === 1) return [first.text];
  if (second?.kind === 'op' && second.text === ':') return target.length > 2 ? [first.text] : null;
  const names: string[] = [];
  for (let i = 0; i < target.length; i += 2) {
    const name = target[i];
    const comma = target[i + 1];
    if (!isTargetName(name)) return null;
    if (comma !== undefined && !(comma.kind === 'op' && comma.text === ',')) return null;
    names.push(name.text);
  }
  return names;
}

function unwrapped(target: readonly Token[]): string[] | null {
  const open = target[0]?.text;
  const close = target.at(-1)?.text;
  if (!((open === '(' && close === ')') || (open === '[' && close === ']')) || target.length < 3) return null;
  const inner = target.slice(1, -1).map((t) => ({ ...t, depth: t.depth - 1 }));
  const names = isTargetName(inner[0]) && inner.every((t) => t.depth === 0) ? targetNames(inner) : null;
  return names !== null && names.length > 0 ? names : null;
}

function statementAssignments(statement: readonly Token[]): Assignment[] {
  const equals = statement.filter((t) => t.kind === 'op' && t.text === '=' && t.depth === 0);
  // `A = B = 1` (chained) and `f = lambda x=1: x` are skipped: neither names one parameter.
  const eq = equals.length === 1 ? equals[0] : undefined;
  if (eq === undefined) return [];
  const at = statement.indexOf(eq);
  const names = targetNames(statement.slice(0, at));
  const valueTokens = statement.slice(at + 1);
  const last = valueTokens.at(-1);
  if (names === null || last === undefined) return [];
  const textLength = last.end - eq.end;
  const value = literalOfTokens(valueTokens);
  if (names.length === 1) return [{ name: names[0]!, value, textLength }];
  // Unpacking `a, b = 1, 2` only when the literal has exactly one item per name.
  const items = Array.isArray(value) && value.length === names.length ? value : undefined;
  return names.map((name, i) => ({ name, value: items?.[i], textLength }));
}

/** IPython cell magics whose body is still Python run at top level; any other makes the cell not Python. */
const PYTHON_CELL_MAGICS = new Set(['time', 'timeit', 'capture', 'prun']);

function pythonBody(code: string): string | null {
  const normalized = code.replace(/\r\n?/g, '\n');
  const magic = /^\s*%%(\w+)[^\n]*(\n|$)/.exec(normalized);
  if (magic === null) return normalized;
  return PYTHON_CELL_MAGICS.has(magic[1] ?? '') ? normalized.slice(magic[0].length) : null;
}

/** Every top-level single-target assignment of a cell, literal or not, in order. */
export function topLevelAssignments(code: string): Assignment[] {
  const body = pythonBody(code);
  if (body === null) return [];
  const statements = topLevelStatements(tokenizePython(body));
  return statements.filter((s) => !s.some((t) => t.kind === 'error')).flatMap(statementAssignments);
}

/**
 * Top-level `NAME = literal` (and `NAME: T = literal`, `a, b = 1, 2`) assignments of one cell:
 * statements at column 0 only, spanning lines inside brackets and triple quotes; chained
 * assignments, attribute or item targets and non-literal values are left out.
 */
export function literalAssignments(code: string): { name: string; value: ParamValue }[] {
  return topLevelAssignments(code).flatMap(({ name, value }) => (value === undefined ? [] : [{ name, value }]));
}
