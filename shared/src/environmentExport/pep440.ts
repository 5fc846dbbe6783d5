/**
 * PEP 440 versions, just enough to judge a recorded pin: is it a version an index can serve,
 * what is its public part, does it carry a local build label, is it a pre- or dev release.
 * Not a full implementation (no ordering, no specifiers): nothing here needs one.
 */

export interface Pep440Version {
  epoch: number;
  /** The release segment, `1.13.0` → [1, 13, 0]. */
  release: number[];
  /** Normalised pre-release: `a`, `b` or `rc` and its number. */
  pre: { label: 'a' | 'b' | 'rc'; number: number } | null;
  post: number | null;
  dev: number | null;
  /** The local label after `+`, normalised (lower case, `-`/`_` as `.`): `cu121`, `gitunknown`. */
  local: string | null;
}

// The grammar of PEP 440's appendix ("Parsing version strings with regular expressions"),
// which accepts every spelling pip accepts; captured groups are normalised below.
const VERSION_RE = new RegExp(
  '^\\s*v?' +
    '(?:(?<epoch>[0-9]+)!)?' +
    '(?<release>[0-9]+(?:\\.[0-9]+)*)' +
    '(?:[-_.]?(?<preL>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<preN>[0-9]+)?)?' +
    '(?:-(?<postN1>[0-9]+)|[-_.]?(?<postL>post|rev|r)[-_.]?(?<postN2>[0-9]+)?)?' +
    '(?:[-_.]?(?<devL>dev)[-_.]?(?<devN>[0-9]+)?)?' +
    '(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?' +
    '\\s*$',
  'i',
);

const PRE_LABELS: Readonly<Record<string, 'a' | 'b' | 'rc'>> = {
  a: 'a',
  alpha: 'a',
  b: 'b',
  beta: 'b',
  c: 'rc',
  rc: 'rc',
  pre: 'rc',
  preview: 'rc',
};

/** The parsed version, or null when the string is not PEP 440 (so no index can serve it). */
export function parseVersion(version: string): Pep440Version | null {
  const groups = VERSION_RE.exec(version)?.groups;
  if (!groups || groups['release'] === undefined) return null;
  return {
    epoch: groups['epoch'] === undefined ? 0 : Number(groups['epoch']),
    release: groups['release'].split('.').map(Number),
    pre: preOf(groups['preL'], groups['preN']),
    post: postOf(groups),
    dev: groups['devL'] === undefined ? null : Number(groups['devN'] ?? 0),
    local: groups['local'] === undefined ? null : groups['local'].toLowerCase().replace(/[-_]/g, '.'),
  };
}

function preOf(label: string | undefined, n: string | undefined): Pep440Version['pre'] {
  if (label === undefined) return null;
  return { label: PRE_LABELS[label.toLowerCase()] ?? 'rc', number: Number(n ?? 0) };
}

function postOf(groups: Record<string, string | undefined>): number | null {
  if (groups['postN1'] !== undefined) return Number(groups['postN1']);
  if (groups['postL'] !== undefined) return Number(groups['postN2'] ?? 0);
  return null;
}

export function isValidVersion(version: string): boolean {
  return parseVersion(version) !== null;
}

/** The normalised version without its local label (`1.13.0a0+gitunknown` → `1.13.0a0`). */
export function publicVersion(version: string): string | null {
  const v = parseVersion(version);
  if (!v) return null;
  const epoch = v.epoch === 0 ? '' : `${v.epoch}!`;
  const pre = v.pre ? `${v.pre.label}${v.pre.number}` : '';
  const post = v.post === null ? '' : `.post${v.post}`;
  const dev = v.dev === null ? '' : `.dev${v.dev}`;
  return `${epoch}${v.release.join('.')}${pre}${post}${dev}`;
}

export function localLabel(version: string): string | null {
  return parseVersion(version)?.local ?? null;
}

/** Pre-releases and dev releases are snapshots before a release, not the release itself. */
export function isPreOrDevRelease(version: string): boolean {
  const v = parseVersion(version);
  return v !== null && (v.pre !== null || v.dev !== null);
}

export function releaseTuple(version: string): number[] | null {
  return parseVersion(version)?.release ?? null;
}
