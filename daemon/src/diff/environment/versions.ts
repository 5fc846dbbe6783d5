/**
 * PEP 440-ish version ordering: [N!]release[{a|b|rc}N][.postN][.devN][+local], with the usual
 * spellings normalised (alpha, beta, c, pre, preview, rev, r, `-N` post releases, `_`/`-`
 * separators, a leading `v`). Versions that do not parse (conda builds, dates with letters...)
 * fall back to a segment-wise comparison: numbers numerically, words alphabetically.
 */

export interface ParsedVersion {
  epoch: number;
  release: number[];
  /** ['a' | 'b' | 'rc', n] */
  pre: [string, number] | null;
  post: number | null;
  dev: number | null;
  local: (number | string)[] | null;
}

const PATTERN =
  /^v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/;

export function parseVersion(version: string): ParsedVersion | null {
  const m = PATTERN.exec(version.trim().toLowerCase());
  if (!m) return null;
  const num = (s: string | undefined): number => (s === undefined || s === '' ? 0 : Number(s));
  let pre: [string, number] | null = null;
  if (m[3] !== undefined) {
    const letter = m[3] === 'alpha' ? 'a' : m[3] === 'beta' ? 'b' : m[3] === 'a' || m[3] === 'b' ? m[3] : 'rc';
    pre = [letter, num(m[4])];
  }
  let post: number | null = null;
  if (m[5] !== undefined) post = num(m[5]);
  else if (m[6] !== undefined) post = num(m[7]);
  const dev = m[8] !== undefined ? num(m[9]) : null;
  const local = m[10] !== undefined ? m[10].split(/[-_.]/).map((s) => (/^\d+$/.test(s) ? Number(s) : s)) : null;
  return { epoch: num(m[1]), release: (m[2] as string).split('.').map(Number), pre, post, dev, local };
}

const PRE_ORDER: Record<string, number> = { a: 0, b: 1, rc: 2 };

function cmp(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareParsed(x: ParsedVersion, y: ParsedVersion): number {
  let c = cmp(x.epoch, y.epoch);
  if (c !== 0) return c;
  const n = Math.max(x.release.length, y.release.length);
  for (let i = 0; i < n; i++) {
    c = cmp(x.release[i] ?? 0, y.release[i] ?? 0);
    if (c !== 0) return c;
  }
  // Pre-release: a dev release of the final version (1.0.dev1) sorts before its pre-releases.
  const preKey = (v: ParsedVersion): [number, number] => {
    if (v.pre) return [PRE_ORDER[v.pre[0]] ?? 2, v.pre[1]];
    if (v.post === null && v.dev !== null) return [-1, 0];
    return [3, 0];
  };
  const [px, nx] = preKey(x);
  const [py, ny] = preKey(y);
  c = cmp(px, py) || cmp(nx, ny);
  if (c !== 0) return c;
  c = cmp(x.post ?? -1, y.post ?? -1);
  if (c !== 0) return c;
  c = cmp(x.dev ?? Infinity, y.dev ?? Infinity);
  if (c !== 0) return c;
  return compareLocal(x.local, y.local);
}

function compareLocal(x: (number | string)[] | null, y: (number | string)[] | null): number {
  if (x === null || y === null) return x === y ? 0 : x === null ? -1 : 1;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const a = x[i];
    const b = y[i];
    if (a === undefined) return -1;
    if (b === undefined) return 1;
    if (typeof a === 'number' && typeof b === 'number') {
      const c = cmp(a, b);
      if (c !== 0) return c;
    } else if (typeof a === 'number')
      return 1; // numbers sort after words
    else if (typeof b === 'number') return -1;
    else if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

/** Segment-wise fallback for versions outside PEP 440. */
function compareLoose(a: string, b: string): number {
  const seg = (s: string): (number | string)[] =>
    (s.toLowerCase().match(/\d+|[a-z]+/g) ?? []).map((t) => (/^\d+$/.test(t) ? Number(t) : t));
  const x = seg(a);
  const y = seg(b);
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return typeof q === 'string' ? 1 : -1; // 1.0 > 1.0rc ; 1.0 < 1.0.1
    if (q === undefined) return typeof p === 'string' ? -1 : 1;
    if (typeof p === 'number' && typeof q === 'number') {
      if (p !== q) return p < q ? -1 : 1;
    } else if (typeof p === 'number') return 1;
    else if (typeof q === 'number') return -1;
    else if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

/** Negative when a < b, positive when a > b, 0 when they are the same version (1.0 == 1.0.0). */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (x && y) return compareParsed(x, y);
  return compareLoose(a, b);
}
