import type { SnapshotInfo, VersionInfo } from '../../../shared/src/domain';
import { MlsnapError } from '../../../shared/src/errors';
import { parseRef, type VersionSelector } from '../../../shared/src/refs';
import type { SnapshotStore } from '../store/SnapshotStore';

export type Resolved = { version: VersionInfo; snapshot: SnapshotInfo } | { version: null; snapshot: SnapshotInfo };

/** Turn a user's ref into a version (or a whole snapshot), with errors that say what exists. */
export function resolveRef(store: SnapshotStore, ref: string): Resolved {
  const parsed = parseRef(ref);
  if (parsed.kind === 'snapshot') {
    const ids = store.snapshotsByPrefix(parsed.prefix);
    if (ids.length === 0)
      throw new MlsnapError('not-found', `no snapshot id starts with ${parsed.prefix} (see \`mlsnap log\`)`);
    if (ids.length > 1)
      throw new MlsnapError('bad-request', `snapshot prefix ${parsed.prefix} is ambiguous: give more digits`);
    return { version: null, snapshot: store.snapshot(ids[0] as string) };
  }
  if (parsed.kind === 'uid') {
    const v = store.versionByUid(parsed.uid);
    if (!v)
      throw new MlsnapError('not-found', `no version ${parsed.uid} here; \`mlsnap pull\` fetches teammates' versions`);
    return { version: v, snapshot: store.snapshot(v.snapshotId) };
  }
  const { path, selector } = parsed;
  const version = select(store, path, selector);
  if (!version) throw notFound(store, path, ref, selector);
  return { version, snapshot: store.snapshot(version.snapshotId) };
}

function select(store: SnapshotStore, path: string, selector: VersionSelector): VersionInfo | null {
  switch (selector.kind) {
    case 'seq':
      return store.versionBySeq(path, selector.seq);
    case 'latest':
      return store.latestVersion(path);
    case 'tag':
      return store.versionByTag(path, selector.tag);
    case 'uid': {
      const v = store.versionByUid(selector.uid);
      return v !== null && v.path === path ? v : null;
    }
  }
}

export function resolveVersion(store: SnapshotStore, ref: string): VersionInfo {
  const r = resolveRef(store, ref);
  if (r.version === null) {
    throw new MlsnapError('bad-request', `${ref} names a whole snapshot; name one file's version as path@N`);
  }
  return r.version;
}

function notFound(store: SnapshotStore, path: string, ref: string, selector: VersionSelector): MlsnapError {
  const versions = store.log(path, LISTED);
  if (versions.length === 0)
    return new MlsnapError(
      'not-found',
      `${path} has no recorded versions (is it tracked? try \`mlsnap snapshot ${path}\`)`,
      path,
    );
  if (selector.kind === 'tag') {
    const tags = [...new Set(versions.flatMap((v) => v.tags.map((t) => `${t} (@${v.seq})`)))].sort();
    const known = tags.length === 0 ? `${path} has no tags` : `${path} has tags ${tags.join(', ')}`;
    return new MlsnapError('not-found', `${ref} does not exist: ${known}`, path);
  }
  // After gc the numbers have gaps: say which versions remain, not a range that is not there.
  return new MlsnapError(
    'not-found',
    `${ref} does not exist: ${path} has versions ${seqRanges(versions.map((v) => v.seq))}`,
    path,
  );
}

/** Versions listed in a not-found message: enough to see the gaps gc left. */
const LISTED = 1000;

/** [1,2,3,5,7,8] → "1..3, 5, 7..8". */
export function seqRanges(seqs: number[]): string {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}..${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}
