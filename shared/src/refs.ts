/**
 * Version references, as users type them:
 * `path@N` (N-th version, from 1), `path@latest`, `path@<tag>`, a version id (`v` + 16 hex,
 * the same on every machine, also as `path@<id>`), or a snapshot id prefix.
 */
import { MlsnapError } from './errors';

export type VersionSelector =
  { kind: 'seq'; seq: number } | { kind: 'latest' } | { kind: 'tag'; tag: string } | { kind: 'uid'; uid: string };

export type ParsedRef =
  | { kind: 'version'; path: string; selector: VersionSelector }
  | { kind: 'uid'; uid: string }
  | { kind: 'snapshot'; prefix: string };

/** A version id: `v` + 16 hex digits, given where the version was recorded and kept everywhere. */
export const VERSION_UID = /^v[0-9a-f]{16}$/;

/** Snapshot ids are hex; a prefix must be long enough not to be a typo of a path. */
export const MIN_SNAPSHOT_PREFIX = 4;

export function parseRef(ref: string): ParsedRef {
  const at = ref.lastIndexOf('@');
  if (at > 0) {
    const path = ref.slice(0, at);
    const sel = ref.slice(at + 1);
    if (sel === '')
      throw new MlsnapError('bad-request', `"${ref}" ends with @: add a version number, "latest" or a tag`);
    if (/^[0-9]+$/.test(sel)) {
      const seq = Number(sel);
      if (seq < 1) throw new MlsnapError('bad-request', `"${ref}": versions are numbered from 1`);
      return { kind: 'version', path, selector: { kind: 'seq', seq } };
    }
    if (sel === 'latest') return { kind: 'version', path, selector: { kind: 'latest' } };
    if (VERSION_UID.test(sel)) return { kind: 'version', path, selector: { kind: 'uid', uid: sel } };
    return { kind: 'version', path, selector: { kind: 'tag', tag: sel } };
  }
  if (VERSION_UID.test(ref)) return { kind: 'uid', uid: ref };
  if (/^[0-9a-f]+$/i.test(ref) && ref.length >= MIN_SNAPSHOT_PREFIX)
    return { kind: 'snapshot', prefix: ref.toLowerCase() };
  throw new MlsnapError(
    'bad-request',
    `"${ref}" is not a reference: use path@N, path@latest, path@<tag>, a version id (v + 16 hex digits) or a snapshot id (at least ${MIN_SNAPSHOT_PREFIX} hex digits)`,
  );
}

/** Tags name versions in refs, so they must not look like a number or "latest". */
export function validateTagName(name: string): string | null {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name))
    return `tag "${name}" must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`;
  if (/^[0-9]+$/.test(name)) return `tag "${name}" is a number, which would read as a version number`;
  if (name === 'latest') return 'tag "latest" is reserved';
  if (VERSION_UID.test(name)) return `tag "${name}" looks like a version id`;
  return null;
}
