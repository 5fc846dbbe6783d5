import type { SnapshotInfo, VersionInfo } from '../../../shared/src/domain';
import { MlsnapError } from '../../../shared/src/errors';
import { parseRef } from '../../../shared/src/refs';
import type { SnapshotStore } from '../store/SnapshotStore';

export type Resolved = { version: VersionInfo; snapshot: SnapshotInfo } | { version: null; snapshot: SnapshotInfo };

/** Turn a user's ref into a version (or a whole snapshot), with errors that say what exists. */
export function resolveRef(store: SnapshotStore, ref: string): Resolved {
  const parsed = parseRef(ref);
  if (parsed.kind === 'snapshot') {
    const ids = store.snapshotsByPrefix(parsed.prefix);
    if (ids.length === 0) throw new MlsnapError('not-found', `no snapshot id starts with ${parsed.prefix} (see \`mlsnap log\`)`);
    if (ids.length > 1) throw new MlsnapError('bad-request', `snapshot prefix ${parsed.prefix} is ambiguous: give more digits`);
    return { version: null, snapshot: store.snapshot(ids[0] as string) };
  }
  const { path, selector } = parsed;
  const version =
    selector.kind === 'seq'
      ? store.versionBySeq(path, selector.seq)
      : selector.kind === 'latest'
        ? store.latestVersion(path)
        : store.versionByTag(path, selector.tag);
  if (!version) throw notFound(store, path, ref);
  return { version, snapshot: store.snapshot(version.snapshotId) };
}

export function resolveVersion(store: SnapshotStore, ref: string): VersionInfo {
  const r = resolveRef(store, ref);
  if (r.version === null) {
    throw new MlsnapError('bad-request', `${ref} names a whole snapshot; name one file's version as path@N`);
  }
  return r.version;
}

function notFound(store: SnapshotStore, path: string, ref: string): MlsnapError {
  const latest = store.latestVersion(path);
  if (!latest) return new MlsnapError('not-found', `${path} has no recorded versions (is it tracked? try \`mlsnap snapshot ${path}\`)`, path);
  return new MlsnapError('not-found', `${ref} does not exist: ${path} has versions 1..${latest.seq}`, path);
}
