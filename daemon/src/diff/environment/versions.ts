import { compare as comparePep440, valid as validPep440 } from '@renovatebot/pep440';

/**
 * Version ordering for package diffs: PEP 440 by @renovatebot/pep440 (a well-kept port of
 * Python's `packaging`: epochs, pre/post/dev releases, local labels, normalised spellings);
 * versions outside PEP 440 (conda builds, OpenSSL's `1.1.1t`, dates with letters) fall back to
 * a segment-wise comparison: numbers numerically, words alphabetically.
 */

/** Whether `version` is a PEP 440 version (after normalisation: `v1.0`, `1.0-rc.1`). */
export function isPep440(version: string): boolean {
  return validPep440(version) !== null;
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
  if (isPep440(a) && isPep440(b)) return comparePep440(a, b);
  return compareLoose(a, b);
}
