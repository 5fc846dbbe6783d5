/**
 * The symbolic values the walker builds instead of Python objects: globals stay names, calls
 * stay records of what would be called with what, bytes stay a length and a position. Plus
 * the small readers the format-specific code uses on that tree, and the parsers of the
 * protocol-0 text arguments.
 */

export type PV =
  | { t: 'none' }
  | { t: 'bool'; v: boolean }
  | { t: 'int'; v: number | bigint }
  | { t: 'float'; v: number }
  | { t: 'str'; v: string; truncated?: number }
  /** Bytes are not kept: their length and where they are in the source. */
  | { t: 'bytes'; len: number; pos: number }
  | { t: 'tuple'; items: PV[] }
  | { t: 'list'; items: PV[] }
  | { t: 'set'; items: PV[] }
  | { t: 'dict'; entries: [PV, PV][] }
  | { t: 'global'; module: string; name: string }
  | PObj
  | { t: 'pid'; pid: PV }
  | { t: 'ext'; code: number }
  | { t: 'buffer' };

/** The result of REDUCE, NEWOBJ, INST or OBJ: a call that loading would make. */
export interface PObj {
  t: 'obj';
  func: PV;
  args: PV;
  how: 'reduce' | 'newobj' | 'inst';
  kwargs?: PV;
  state?: PV;
  items?: PV[];
  entries?: [PV, PV][];
  /** joblib NumpyArrayWrapper: the array that followed it in the stream. */
  array?: ArrayInfo;
}

export interface ArrayInfo {
  dtype: string;
  shape: number[];
  /** Where the raw bytes are in the walked source, when known. */
  dataPos?: number;
  dataLen?: number;
}

export const NONE: PV = { t: 'none' };
export const TRUE: PV = { t: 'bool', v: true };
export const FALSE: PV = { t: 'bool', v: false };

export function isGlobal(v: PV | undefined, module: string, name?: string): boolean {
  return v !== undefined && v.t === 'global' && v.module === module && (name === undefined || v.name === name);
}

export function globalName(v: PV | undefined): string | null {
  return v && v.t === 'global' ? `${v.module}.${v.name}` : null;
}

export function dictOf(v: PV): Map<string, PV> {
  const m = new Map<string, PV>();
  const entries = v.t === 'dict' ? v.entries : v.t === 'obj' ? (v.entries ?? []) : [];
  for (const [k, val] of entries) if (k.t === 'str') m.set(k.v, val);
  return m;
}

export function intOf(v: PV | undefined): number | null {
  return v && v.t === 'int' && typeof v.v === 'number' ? v.v : null;
}

export function intTuple(v: PV | undefined): number[] | null {
  if (!v || (v.t !== 'tuple' && v.t !== 'list')) return null;
  const out: number[] = [];
  for (const x of v.items) {
    const n = intOf(x);
    if (n === null || n < 0) return null;
    out.push(n);
  }
  return out;
}

export function isScalar(v: PV): boolean {
  return v.t === 'none' || v.t === 'bool' || v.t === 'int' || v.t === 'float' || v.t === 'str';
}

/** Appends without spreading: `push(...items)` overflows the call stack past ~100k items. */
export function pushAll(to: PV[], items: readonly PV[]): void {
  for (const v of items) to.push(v);
}

// ---------------------------------------------------------------------------------------------
// Protocol-0 text arguments

export function parseIntText(s: string, bad: () => never): PV {
  if (!/^[+-]?\d+$/.test(s) || s.length > 400) bad();
  const b = BigInt(s);
  return { t: 'int', v: b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b };
}

export function parseMemoIndex(s: string, bad: () => never): number {
  const t = s.trim();
  if (!/^\d{1,9}$/.test(t)) bad();
  return Number(t);
}

/** LONG1/LONG4: little-endian two's complement. */
export function longFromBytes(b: Buffer): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
  if ((b[b.length - 1] as number) & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** STRING's argument: a Python repr of a str, quotes included. */
export function unquote(line: string): string {
  const s = line.trim();
  const q = s[0];
  if ((q === "'" || q === '"') && s.endsWith(q) && s.length >= 2) {
    return s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_m, e: string) => {
      if (e.startsWith('x')) return String.fromCharCode(parseInt(e.slice(1), 16));
      return ({ n: '\n', t: '\t', r: '\r', '0': '\0' } as Record<string, string>)[e] ?? e;
    });
  }
  return s;
}

/** UNICODE's argument: raw-unicode-escape. */
export function rawUnicode(line: string): string {
  return line.replace(
    /\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g,
    (_m, a: string | undefined, b: string | undefined) => {
      const cp = parseInt(a ?? b ?? '0', 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
    },
  );
}
