import { Blake3Hasher } from '@napi-rs/blake-hash';
import { asRecord } from '../../../../shared/src/check';
import { MlsnapError } from '../../../../shared/src/errors';
import {
  STAGE_NAME,
  type AuditRecord,
  type GateResult,
  type StagePointer,
  type StagePolicy,
  type StageTarget,
} from '../../../../shared/src/release';
import { assertKey } from '../../store/blobs/BlobBackend';

/**
 * Where stages live on a remote and what their objects must hold (docs/remote-format.md,
 * "Stages"). Pointers are the one kind of object mlsnap ever replaces, always by
 * compare-and-swap; audit records and the rest are create-only. Readers check every field a
 * deployment or a gate relies on, so a hand-edited or hostile pointer is refused, naming its key.
 *
 *   stages/<model path>/<stage>.json               the pointer (replaced by CAS)
 *   audit/<model path>/<stage>/<ms>-<h16>.json     one record per move, create-only
 *   policy.json                                    who may move protected stages (replaced by CAS)
 */
export const STAGES_PREFIX = 'stages/';
export const AUDIT_PREFIX = 'audit/';
export const POLICY_KEY = 'policy.json';
/** Pointers, audit records and the policy are small; a larger object is refused unread. */
export const MAX_STAGE_OBJECT = 1024 * 1024;

const HEX64 = /^[0-9a-f]{64}$/;
const VERSION_ID = /^v[0-9a-f]{16}$/;
/** One folder or file name of a key: the remote's key alphabet, never starting with "." (so no "." or ".."). */
const KEY_SEGMENT = '[A-Za-z0-9_-][A-Za-z0-9._-]*';
const STAGE_SEGMENT = '[a-z0-9][a-z0-9._-]{0,63}';
const AUDIT_KEY = new RegExp(
  `^audit/((?:${KEY_SEGMENT}/)*${KEY_SEGMENT})/(${STAGE_SEGMENT})/(\\d{13})-([0-9a-f]{16})\\.json$`,
);

/** Whether `model` can name remote keys: project-relative, each segment letters, digits, `.`, `_`, `-`. */
export function isModelPath(model: string): boolean {
  try {
    // Segments may not start with ".", so "..", "." and hidden names are refused with the rest.
    assertKey(`${STAGES_PREFIX}${model}/x.json`);
    return true;
  } catch {
    return false;
  }
}

/** A model path that can name remote keys (each segment letters, digits, `.`, `_`, `-`). */
export function assertModelPath(model: string): void {
  if (!isModelPath(model))
    throw new MlsnapError(
      'bad-request',
      `${model} cannot have stages: a staged model's path is project-relative and each of its folder and file names uses only letters, digits, ".", "_" and "-" (remote keys); rename it`,
      model,
    );
}

export function assertStageName(stage: string): void {
  if (!STAGE_NAME.test(stage))
    throw new MlsnapError(
      'bad-request',
      `${JSON.stringify(stage)} is not a stage name: 1-64 lower-case letters, digits, ".", "_" or "-" (like production)`,
    );
}

export function pointerKey(model: string, stage: string): string {
  return `${STAGES_PREFIX}${model}/${stage}.json`;
}

/**
 * `stages/models/a.pt/production.json` → model and stage; null for keys that are not pointers
 * (a file a person left on a share, with a space or a leading dot in its name, is not one).
 */
export function parsePointerKey(key: string): { model: string; stage: string } | null {
  const m = /^stages\/(.+)\/([^/]+)\.json$/.exec(key);
  if (m === null || !STAGE_NAME.test(m[2] as string) || !isModelPath(m[1] as string)) return null;
  return { model: m[1] as string, stage: m[2] as string };
}

export function auditPrefix(model?: string, stage?: string): string {
  if (model === undefined) return AUDIT_PREFIX;
  return stage === undefined ? `${AUDIT_PREFIX}${model}/` : `${AUDIT_PREFIX}${model}/${stage}/`;
}

/** The key names its time (so listings sort) and a hash of its bytes (so two moves never collide). */
export function auditKey(record: AuditRecord, bytes: Uint8Array): string {
  const h16 = blake3Hex(bytes).slice(0, 16);
  return `${auditPrefix(record.model, record.stage)}${String(record.at).padStart(13, '0')}-${h16}.json`;
}

function blake3Hex(bytes: Uint8Array): string {
  return new Blake3Hasher().update(Buffer.from(bytes)).digest('hex');
}

export function isAuditKey(key: string): boolean {
  return parseAuditKey(key) !== null;
}

/**
 * `audit/models/a.pt/production/1796171600000-5c1e….json` → its model, stage, time and hash;
 * null for any other key. A model path may itself hold folders, so the stage is the last
 * folder and the model everything before it.
 */
export function parseAuditKey(key: string): { model: string; stage: string; at: number; h16: string } | null {
  const m = AUDIT_KEY.exec(key);
  if (m === null) return null;
  return { model: m[1] as string, stage: m[2] as string, at: Number(m[3]), h16: m[4] as string };
}

/** Whether `key` is an audit record of exactly this model's stage (not of `models/a.pt.bak` or a sub-path). */
function isAuditKeyOf(key: string, model: string, stage: string): boolean {
  const a = parseAuditKey(key);
  return a !== null && a.model === model && a.stage === stage;
}

export function encodeObject(value: StagePointer | AuditRecord | StagePolicy): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
}

function parseJson(key: string, bytes: Uint8Array): Record<string, unknown> {
  let parsed: Record<string, unknown> | null = null;
  try {
    parsed = asRecord(JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch {
    // Reported below.
  }
  if (parsed === null) throw refused(key, 'it is not a JSON object');
  return parsed;
}

/**
 * What to do about a refused object. A refused pointer cannot be demoted or promoted over
 * (both read it first), so the fix is to remove it by hand; the audit trail keeps every move.
 */
function fixFor(key: string): string {
  if (key === POLICY_KEY)
    return 'fix or delete policy.json on the remote (it only lists who may move protected stages), then try again';
  if (key.startsWith(AUDIT_PREFIX))
    return 'restore that record from a backup, or delete it (the trail then ends there)';
  return "delete that pointer on the remote, then promote again (the stage's audit/ records stay, but the trail `stages --history` shows starts again)";
}

/** An object of the stages' part of the remote refused, naming its key and the fix. */
export function refused(key: string, why: string): MlsnapError {
  return new MlsnapError('remote', `the remote's ${key} was refused: ${why}; ${fixFor(key)}`, key);
}

function expect(key: string, ok: boolean, why: string): void {
  if (!ok) throw refused(key, why);
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isStrOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isAmount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isVersionIdOrNull = (v: unknown): boolean => v === null || (isStr(v) && VERSION_ID.test(v));

/** A pointer read back, every field a deployment relies on checked; it must be the one `key` names. */
export function decodePointer(key: string, bytes: Uint8Array): StagePointer {
  const p = parseJson(key, bytes);
  const where = parsePointerKey(key);
  expect(key, p['format'] === 'mlsnap-stage' && p['version'] === 1, 'it is not an mlsnap stage pointer (format 1)');
  expect(key, where !== null && p['model'] === where.model && p['stage'] === where.stage, 'it names another stage');
  expect(key, isStr(p['movedBy']) && isStr(p['host']) && isInt(p['movedAt']), 'who moved it and when are missing');
  expect(key, isStrOrNull(p['reason']), 'its reason is malformed');
  // The audit record of this very stage: a chain that wandered into another stage's records
  // would show that stage's moves as this one's.
  expect(
    key,
    where !== null && isStr(p['audit']) && isAuditKeyOf(p['audit'], where.model, where.stage),
    "its audit key is not one of this stage's audit records",
  );
  if (p['target'] !== null) checkTarget(key, p['target']);
  return p as unknown as StagePointer;
}

function checkTarget(key: string, raw: unknown): void {
  const t = asRecord(raw);
  expect(key, t !== null && isStr(t['versionId']) && VERSION_ID.test(t['versionId']), 'its version id is malformed');
  const target = t as Record<string, unknown>;
  const o = asRecord(target['object']);
  expect(key, o !== null, 'it names no object');
  const obj = o as Record<string, unknown>;
  expect(key, isStr(obj['blake3']) && HEX64.test(obj['blake3']), 'its blake3 is not 64 hex digits');
  const blake3 = obj['blake3'] as string;
  // Exactly the raw data key of its blake3 (`data/<h0h1>/<hash>`): fetch-stage reads this key
  // and nothing else (never `url`), so it can only ever name a blob of this remote.
  expect(key, obj['key'] === `data/${blake3.slice(0, 2)}/${blake3}`, 'its object key is not the raw key of its blake3');
  expect(key, isInt(obj['size']) && isStr(obj['url']), 'its object size or URL is missing');
  expect(key, isStr(obj['sha256']) && HEX64.test(obj['sha256']), 'its sha256 is not 64 hex digits');
  expect(
    key,
    isStr(target['modelFormat']) && isInt(target['createdAt']) && isStrOrNull(target['author']),
    'its model format, creation time or author is malformed',
  );
  expect(key, target['environment'] === null || isEnvironment(target['environment']), 'its environment is malformed');
  expect(key, target['run'] === null || isRun(target['run']), 'its run is malformed (metrics must be numbers)');
  expect(key, target['estimate'] === null || isEstimate(target['estimate']), 'its resource estimate is malformed');
}

function isEnvironment(v: unknown): boolean {
  const e = asRecord(v);
  return (
    e !== null &&
    isStrOrNull(e['python']) &&
    isStrOrNull(e['cuda']) &&
    Array.isArray(e['pins']) &&
    (e['pins'] as unknown[]).every(isStr) &&
    typeof e['complete'] === 'boolean'
  );
}

/** The metric gate compares these with `<`: a string or an object there would compare as nonsense. */
function isRun(v: unknown): boolean {
  const r = asRecord(v);
  if (r === null || !isStr(r['id']) || asRecord(r['params']) === null) return false;
  const metrics = asRecord(r['metrics']);
  return metrics !== null && Object.values(metrics).every((m) => typeof m === 'number' && Number.isFinite(m));
}

/** Shown by `stages`, the editor and the bundle: the figures must be figures. */
export function isEstimate(v: unknown): boolean {
  const e = asRecord(v);
  if (e === null) return false;
  const byDtype = asRecord(e['bytesByDtype']);
  return (
    isStr(e['format']) &&
    isAmount(e['parameters']) &&
    isAmount(e['weightBytes']) &&
    isAmount(e['servingBytes']) &&
    isAmount(e['gpuBytes']) &&
    isStr(e['basis']) &&
    (e['partial'] === undefined || isStr(e['partial'])) &&
    byDtype !== null &&
    Object.values(byDtype).every(isAmount)
  );
}

/** The target a pointer holds, typed (decodePointer checked it). */
export function targetOf(p: StagePointer | null): StageTarget | null {
  return p?.target ?? null;
}

/**
 * An audit record read back. Its key must be its own: the model and stage it names, its time
 * and the hash of its bytes (as auditKey made it), so a record edited by hand is refused.
 */
export function decodeAudit(key: string, bytes: Uint8Array): AuditRecord {
  const a = parseJson(key, bytes);
  const where = parseAuditKey(key);
  expect(key, a['format'] === 'mlsnap-audit' && a['version'] === 1, 'it is not an mlsnap audit record (format 1)');
  expect(key, where !== null && a['model'] === where.model && a['stage'] === where.stage, 'it names another stage');
  const w = where as NonNullable<typeof where>;
  expect(key, a['action'] === 'promote' || a['action'] === 'demote', 'its action is unknown');
  expect(key, isVersionIdOrNull(a['from']) && isVersionIdOrNull(a['to']), 'its versions are malformed');
  expect(key, isStr(a['author']) && isStr(a['host']) && isInt(a['at']), 'who moved it and when are missing');
  expect(
    key,
    a['at'] === w.at && blake3Hex(bytes).startsWith(w.h16),
    'its key does not match its time and bytes (edited by hand?)',
  );
  expect(
    key,
    a['previous'] === null ||
      (isStr(a['previous']) && a['previous'] !== key && isAuditKeyOf(a['previous'], w.model, w.stage)),
    "its previous record is not one of this stage's audit records",
  );
  expect(
    key,
    Array.isArray(a['gates']) && (a['gates'] as unknown[]).every(isGateResult),
    'its gate results are malformed',
  );
  expect(key, typeof a['forced'] === 'boolean' && isStrOrNull(a['reason']), 'forced or reason is malformed');
  return a as unknown as AuditRecord;
}

function isGateResult(v: unknown): v is GateResult {
  const g = asRecord(v);
  return g !== null && isStr(g['gate']) && typeof g['passed'] === 'boolean' && isStr(g['message']);
}

export function decodePolicy(bytes: Uint8Array): StagePolicy {
  const p = parseJson(POLICY_KEY, bytes);
  const stages = asRecord(p['stages']);
  expect(
    POLICY_KEY,
    p['format'] === 'mlsnap-policy' && p['version'] === 1 && stages !== null,
    'it is not an mlsnap policy (format 1)',
  );
  for (const [stage, rule] of Object.entries(stages as Record<string, unknown>)) {
    const authors = asRecord(rule)?.['authors'];
    expect(
      POLICY_KEY,
      STAGE_NAME.test(stage) && Array.isArray(authors) && authors.every(isStr),
      `its rule for ${stage} is malformed`,
    );
  }
  return p as unknown as StagePolicy;
}

export function emptyPolicy(): StagePolicy {
  return { format: 'mlsnap-policy', version: 1, stages: {} };
}
