import { Blake3Hasher } from '@napi-rs/blake-hash';
import { arrayOf, asRecord, bool, int, obj, oneOf, optional, text, type Check } from '../../../../shared/src/check';
import {
  TRIGGERS,
  type EnvironmentInfo,
  type GitState,
  type LineageLink,
  type Trigger,
} from '../../../../shared/src/domain';
import { MlsnapError } from '../../../../shared/src/errors';
import { insideProject } from '../../../../shared/src/projectPath';
import { BLOB_ENCODINGS, ContentStore, type BlobEncoding } from '../../store/blobs/ContentStore';
import type { BlobRecord, VersionRecord } from '../../store/VersionRecord';

/**
 * The layout of a team remote (docs/remote-format.md says the same for readers with only
 * the AWS CLI and jq). Every object is written create-only and never changed:
 *
 *   config                                   format marker, written once by the first writer
 *   writers/<writer>.json                    who writes (project id, author, host), once each
 *   data/<2 hex>/<blake3>[.zst]              blob bytes as the local store keeps them
 *   history/<writer>/<ms>-<16 hex>.json      versions pushed in one push, after their blobs
 *
 * A writer only ever adds keys under its own id, so pushes never conflict and need no lock.
 */
export const REMOTE_FORMAT = 'mlsnap-remote';
export const REMOTE_FORMAT_VERSION = 1;
export const CONFIG_KEY = 'config';
export const HISTORY_PREFIX = 'history/';
/** A history object larger than this is refused unread (a hostile writer could fill memory). */
export const MAX_HISTORY_OBJECT = 64 * 1024 * 1024;
/** Versions per history object: a first push of 20,000 files becomes several objects. */
export const VERSIONS_PER_HISTORY_OBJECT = 5000;

export interface RemoteConfig {
  format: typeof REMOTE_FORMAT;
  version: number;
  createdAt: number;
}

export function dataKey(hash: string, encoding: BlobEncoding): string {
  return `data/${ContentStore.keyOf(hash, encoding)}`;
}

export function writerKey(writer: string): string {
  return `writers/${writer}.json`;
}

export function encodeConfig(now: number): Uint8Array {
  const c: RemoteConfig = { format: REMOTE_FORMAT, version: REMOTE_FORMAT_VERSION, createdAt: now };
  return Buffer.from(`${JSON.stringify(c, null, 2)}\n`);
}

/** The remote's format version, refusing one this mlsnap cannot read or write. */
export function checkConfig(bytes: Uint8Array, where: string): RemoteConfig {
  let parsed: Record<string, unknown> | null = null;
  try {
    parsed = asRecord(JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch {
    // Reported below.
  }
  if (parsed === null || parsed['format'] !== REMOTE_FORMAT || typeof parsed['version'] !== 'number') {
    throw new MlsnapError(
      'remote',
      `${where} holds a "config" object that is not an mlsnap remote's; use an empty bucket, container or folder, or another prefix`,
    );
  }
  if (parsed['version'] > REMOTE_FORMAT_VERSION) {
    throw new MlsnapError(
      'remote',
      `${where} was written by a newer mlsnap (remote format ${String(parsed['version'])}, this one knows ${REMOTE_FORMAT_VERSION}); upgrade mlsnap`,
    );
  }
  return { format: REMOTE_FORMAT, version: parsed['version'], createdAt: Number(parsed['createdAt'] ?? 0) };
}

// ---- history objects ----

interface HistoryVersion {
  id: string;
  path: string;
  kind: VersionRecord['kind'];
  blob: string;
  mtimeMs: number;
  createdAt: number;
  trigger: VersionRecord['trigger'];
  message: string | null;
  snapshot: string;
  environment: string | null;
  lineage: LineageLink | null;
  renamedFrom: string | null;
  author: string;
  host: string;
  /** Writer id of the project that recorded it (differs from the object's writer for re-pushed teammates' versions). */
  origin: string;
  /** Other blobs its rows need (git patch, lockfiles). */
  needs: string[];
  /** Findings of the secret gate the pusher accepted. */
  allowed?: string[];
  /** Set when the blob is a copy with outputs stripped (local history kept the full notebook). */
  stripped?: boolean;
}

interface HistoryObject {
  format: typeof REMOTE_FORMAT;
  version: number;
  writer: string;
  createdAt: number;
  blobs: Record<string, { size: number; storedSize: number; encoding: string }>;
  snapshots: Record<string, { createdAt: number; trigger: string; message: string | null; git: GitState | null }>;
  environments: Record<string, EnvironmentInfo>;
  versions: HistoryVersion[];
}

/** What a push says of one version beyond its record: findings accepted, a stripped copy. */
export interface PushAnnotations {
  allowed?: string[];
  stripped?: boolean;
}

/**
 * Triggers as format 1 knows them: `run` is newer than the format, and a teammate on an older
 * mlsnap refuses a history object with a trigger it does not know, so a run's versions travel
 * as `manual` (their message still says which run).
 */
function onRemote(trigger: Trigger): Trigger {
  return trigger === 'run' ? 'manual' : trigger;
}

/**
 * One history object for `records`, keyed under the writer's own prefix by time and content
 * hash: the same push retried writes the same key (create-only: success), two pushes never
 * the same one.
 */
export function encodeHistory(
  writer: string,
  records: readonly (VersionRecord & PushAnnotations)[],
  now: number,
): { key: string; bytes: Buffer } {
  const obj: HistoryObject = {
    format: REMOTE_FORMAT,
    version: REMOTE_FORMAT_VERSION,
    writer,
    createdAt: now,
    blobs: {},
    snapshots: {},
    environments: {},
    versions: [],
  };
  for (const r of records) {
    for (const b of [r.blob, ...r.extraBlobs])
      obj.blobs[b.hash] = { size: b.size, storedSize: b.storedSize, encoding: b.encoding };
    const s = r.snapshot;
    obj.snapshots[s.id] = { createdAt: s.createdAt, trigger: onRemote(s.trigger), message: s.message, git: s.git };
    let envKey: string | null = null;
    if (r.environment !== null) {
      envKey = hashHex(Buffer.from(JSON.stringify(r.environment))).slice(0, 32);
      obj.environments[envKey] = r.environment;
    }
    obj.versions.push({
      id: r.uid,
      path: r.path,
      kind: r.kind,
      blob: r.blob.hash,
      mtimeMs: r.mtimeMs,
      createdAt: r.createdAt,
      trigger: onRemote(r.trigger),
      message: r.message,
      snapshot: s.id,
      environment: envKey,
      lineage: r.lineage,
      renamedFrom: r.renamedFrom,
      author: r.author,
      host: r.host,
      origin: r.origin,
      needs: r.extraBlobs.map((b) => b.hash),
      ...(r.allowed && r.allowed.length > 0 ? { allowed: r.allowed } : {}),
      ...(r.stripped ? { stripped: true } : {}),
    });
  }
  const bytes = Buffer.from(JSON.stringify(obj));
  const key = `${HISTORY_PREFIX}${writer}/${String(now).padStart(13, '0')}-${hashHex(bytes).slice(0, 16)}.json`;
  return { key, bytes };
}

const HEX64 = /^[0-9a-f]{64}$/;
const WRITER = /^[0-9a-f]{16}$/;
const UID = /^v[0-9a-f]{16}$/;
const HISTORY_KEY = /^history\/([0-9a-f]{16})\/[0-9]{13}-[0-9a-f]{16}\.json$/;
const LONG_TEXT = 64 * 1024;

/** Whether a listed key is a history object (anything else under history/ is ignored). */
export function isHistoryKey(key: string): boolean {
  return HISTORY_KEY.test(key);
}

function matching(re: RegExp, what: string): Check<string> {
  return (v, field) => {
    if (typeof v !== 'string' || !re.test(v)) throw new MlsnapError('bad-request', `"${field}" must be ${what}`);
    return v;
  };
}

function capped(max: number): Check<string> {
  return (v, field) => {
    const s = text(v, field);
    if (s.length > max) throw new MlsnapError('bad-request', `"${field}" is longer than ${max} characters`);
    return s;
  };
}

const nullable =
  <T>(c: Check<T>): Check<T | null> =>
  (v, field) =>
    v === null ? null : c(v, field);

const projectPath: Check<string> = (v, field) => {
  const s = capped(4096)(v, field);
  const verdict = insideProject('/project', s);
  if (!verdict.ok || verdict.rel !== s || s.startsWith('/'))
    throw new MlsnapError('bad-request', `"${field}" is not a project-relative path (${JSON.stringify(s)})`);
  return s;
};

const hash = matching(HEX64, 'a BLAKE3 hash (64 hex digits)');
const nonNegative = int(0);
const anyNumber: Check<number> = (v, field) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new MlsnapError('bad-request', `"${field}" must be a number`);
  return v;
};

const checkBlob = obj({ size: nonNegative, storedSize: nonNegative, encoding: oneOf(...BLOB_ENCODINGS) });
const checkGit = obj({
  commit: nullable(capped(64)),
  branch: nullable(capped(1024)),
  dirty: bool,
  patchBlob: optional(hash),
  patchTruncated: optional(bool),
});
const checkSnapshot = obj({
  createdAt: nonNegative,
  trigger: oneOf(...TRIGGERS),
  message: nullable(capped(LONG_TEXT)),
  git: nullable(checkGit),
});
const checkLineage = obj({ sourcePath: projectPath, reason: capped(1024) });
const checkVersion = obj({
  id: matching(UID, 'a version id (v + 16 hex digits)'),
  path: projectPath,
  kind: oneOf('notebook', 'model', 'metrics', 'other'),
  blob: hash,
  mtimeMs: anyNumber,
  createdAt: nonNegative,
  trigger: oneOf(...TRIGGERS),
  message: nullable(capped(LONG_TEXT)),
  snapshot: matching(/^[0-9a-f]{4,64}$/, 'a snapshot id'),
  environment: nullable(matching(/^[0-9a-f]{32}$/, 'an environment key')),
  lineage: nullable(checkLineage),
  renamedFrom: nullable(projectPath),
  author: capped(256),
  host: capped(256),
  origin: matching(WRITER, 'a writer id'),
  needs: arrayOf(hash),
  allowed: optional(arrayOf(capped(128))),
  stripped: optional(bool),
});

/** Environments are shown and compared, never executed: their shape is checked where it is used. */
const checkEnvironment: Check<EnvironmentInfo> = (v, field) => {
  const e = asRecord(v);
  if (e === null) throw new MlsnapError('bad-request', `"${field}" must be a JSON object`);
  obj({ complete: bool, packages: arrayOf(asObject), lockfiles: arrayOf(obj({ path: projectPath, blob: hash })) })(
    e,
    field,
  );
  arrayOf(capped(1024))(e['envVarNames'] ?? [], `${field}.envVarNames`);
  return e as unknown as EnvironmentInfo;
};

function asObject(v: unknown, field: string): Record<string, unknown> {
  const r = asRecord(v);
  if (r === null) throw new MlsnapError('bad-request', `"${field}" must be a JSON object`);
  return r;
}

function entries<T>(v: unknown, field: string, key: RegExp, check: Check<T>): Map<string, T> {
  const r = asObject(v, field);
  const out = new Map<string, T>();
  for (const [k, value] of Object.entries(r)) {
    if (!key.test(k))
      throw new MlsnapError('bad-request', `"${field}" has a malformed key ${JSON.stringify(k.slice(0, 80))}`);
    out.set(k, check(value, `${field}.${k.slice(0, 16)}`));
  }
  return out;
}

/**
 * The versions of a history object, every field checked: paths must stay inside a project
 * (no `..`, no absolute path, nothing in .mlsnap), hashes are hashes, every blob a version
 * needs is described in the same object. Anything else is refused whole, naming the key and
 * the field, and nothing of it is used.
 */
export function decodeHistory(key: string, bytes: Uint8Array): VersionRecord[] {
  const m = HISTORY_KEY.exec(key);
  if (m === null) throw new MlsnapError('bad-request', `${key} is not a history object key`);
  // Keys carry a hash of their bytes: an object altered in the bucket no longer matches its name.
  if (!key.endsWith(`-${hashHex(bytes).slice(0, 16)}.json`))
    throw new MlsnapError('bad-request', 'its bytes do not match the hash in its key (it was altered)');
  let root: Record<string, unknown>;
  try {
    root = asObject(JSON.parse(Buffer.from(bytes).toString('utf8')), 'history');
  } catch (e) {
    if (e instanceof MlsnapError) throw e;
    throw new MlsnapError('bad-request', `it is not JSON (${(e as Error).message})`);
  }
  if (root['format'] !== REMOTE_FORMAT) throw new MlsnapError('bad-request', '"format" is not mlsnap-remote');
  if (typeof root['version'] !== 'number' || root['version'] > REMOTE_FORMAT_VERSION)
    throw new MlsnapError(
      'bad-request',
      `"version" ${String(root['version'])} is newer than this mlsnap reads; upgrade mlsnap`,
    );
  if (root['writer'] !== m[1]) throw new MlsnapError('bad-request', '"writer" is not the writer its key names');
  const blobs = entries(root['blobs'], 'blobs', HEX64, checkBlob);
  const snapshots = entries(root['snapshots'], 'snapshots', /^[0-9a-f]{4,64}$/, checkSnapshot);
  const envs = entries(root['environments'], 'environments', /^[0-9a-f]{32}$/, checkEnvironment);
  const versions = arrayOf(checkVersion)(root['versions'], 'versions');
  return versions.map((v, i) => {
    const field = `versions[${i}]`;
    const blobOf = (h: string): BlobRecord => {
      const b = blobs.get(h);
      if (b === undefined)
        throw new MlsnapError(
          'bad-request',
          `"${field}" needs blob ${h.slice(0, 16)}, which "blobs" does not describe`,
        );
      return { hash: h, ...b };
    };
    const snap = snapshots.get(v.snapshot);
    if (snap === undefined) throw new MlsnapError('bad-request', `"${field}.snapshot" names no snapshot of the object`);
    const env = v.environment === null ? null : envs.get(v.environment);
    if (env === undefined)
      throw new MlsnapError('bad-request', `"${field}.environment" names no environment of the object`);
    const needs = new Set(v.needs);
    if (snap.git?.patchBlob !== undefined) needs.add(snap.git.patchBlob);
    for (const l of env?.lockfiles ?? []) needs.add(l.blob);
    const git = snap.git === null ? null : withoutUndefined(snap.git);
    return {
      uid: v.id,
      path: v.path,
      kind: v.kind,
      blob: blobOf(v.blob),
      mtimeMs: v.mtimeMs,
      createdAt: v.createdAt,
      trigger: v.trigger,
      message: v.message,
      snapshot: { id: v.snapshot, createdAt: snap.createdAt, trigger: snap.trigger, message: snap.message, git },
      environment: env,
      lineage: v.lineage,
      renamedFrom: v.renamedFrom,
      author: v.author,
      host: v.host,
      origin: v.origin,
      extraBlobs: [...needs].map(blobOf),
    };
  });
}

function withoutUndefined(g: {
  commit: string | null;
  branch: string | null;
  dirty: boolean;
  patchBlob?: string;
  patchTruncated?: boolean;
}): GitState {
  return {
    commit: g.commit,
    branch: g.branch,
    dirty: g.dirty,
    ...(g.patchBlob !== undefined ? { patchBlob: g.patchBlob } : {}),
    ...(g.patchTruncated !== undefined ? { patchTruncated: g.patchTruncated } : {}),
  };
}

function hashHex(bytes: Uint8Array): string {
  const h = new Blake3Hasher();
  h.update(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return h.digest('hex');
}
