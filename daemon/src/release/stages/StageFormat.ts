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

/** A model path that can name remote keys (each segment letters, digits, `.`, `_`, `-`). */
export function assertModelPath(model: string): void {
  try {
    // Segments may not start with ".", so "..", "." and hidden names are refused with the rest.
    assertKey(`${STAGES_PREFIX}${model}/x.json`);
  } catch {
    throw new MlsnapError(
      'bad-request',
      `${model} cannot have stages: a staged model's path is project-relative and each of its folder and file names uses only letters, digits, ".", "_" and "-" (remote keys); rename it`,
      model,
    );
  }
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

/** `stages/models/a.pt/production.json` → model and stage; null for keys that are not pointers. */
export function parsePointerKey(key: string): { model: string; stage: string } | null {
  const m = /^stages\/(.+)\/([^/]+)\.json$/.exec(key);
  if (m === null || !STAGE_NAME.test(m[2] as string)) return null;
  return { model: m[1] as string, stage: m[2] as string };
}

export function auditPrefix(model?: string, stage?: string): string {
  if (model === undefined) return AUDIT_PREFIX;
  return stage === undefined ? `${AUDIT_PREFIX}${model}/` : `${AUDIT_PREFIX}${model}/${stage}/`;
}

/** The key names its time (so listings sort) and a hash of its bytes (so two moves never collide). */
export function auditKey(record: AuditRecord, bytes: Uint8Array): string {
  const h16 = new Blake3Hasher().update(Buffer.from(bytes)).digest('hex').slice(0, 16);
  return `${auditPrefix(record.model, record.stage)}${String(record.at).padStart(13, '0')}-${h16}.json`;
}

export function isAuditKey(key: string): boolean {
  return /^audit\/.+\/[a-z0-9][a-z0-9._-]{0,63}\/\d{13}-[0-9a-f]{16}\.json$/.test(key);
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

function refused(key: string, why: string): MlsnapError {
  return new MlsnapError(
    'remote',
    `the remote's ${key} was refused: ${why}; restore it from the audit trail or demote and promote again`,
  );
}

function expect(key: string, ok: boolean, why: string): void {
  if (!ok) throw refused(key, why);
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isStrOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A pointer read back, every field a deployment relies on checked; it must be the one `key` names. */
export function decodePointer(key: string, bytes: Uint8Array): StagePointer {
  const p = parseJson(key, bytes);
  const where = parsePointerKey(key);
  expect(key, p['format'] === 'mlsnap-stage' && p['version'] === 1, 'it is not an mlsnap stage pointer (format 1)');
  expect(key, where !== null && p['model'] === where.model && p['stage'] === where.stage, 'it names another stage');
  expect(key, isStr(p['movedBy']) && isStr(p['host']) && isInt(p['movedAt']), 'who moved it and when are missing');
  expect(key, isStrOrNull(p['reason']) && isStr(p['audit']) && isAuditKey(p['audit']), 'its audit key is malformed');
  if (p['target'] !== null) checkTarget(key, p['target']);
  return p as unknown as StagePointer;
}

function checkTarget(key: string, raw: unknown): void {
  const t = asRecord(raw);
  expect(key, t !== null && isStr(t['versionId']) && VERSION_ID.test(t['versionId']), 'its version id is malformed');
  const o = asRecord((t as Record<string, unknown>)['object']);
  expect(key, o !== null, 'it names no object');
  const obj = o as Record<string, unknown>;
  expect(
    key,
    isStr(obj['key']) && /^data\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(obj['key']),
    'its object key is not a raw data key',
  );
  expect(key, isInt(obj['size']) && isStr(obj['url']), 'its object size or URL is missing');
  expect(key, isStr(obj['sha256']) && HEX64.test(obj['sha256']), 'its sha256 is not 64 hex digits');
  expect(key, isStr(obj['blake3']) && HEX64.test(obj['blake3']), 'its blake3 is not 64 hex digits');
  expect(key, (obj['key'] as string).endsWith(obj['blake3'] as string), 'its object key is not its blake3');
  const run = asRecord((t as Record<string, unknown>)['run']);
  if (run !== null) expect(key, asRecord(run['metrics']) !== null, 'its run metrics are malformed');
}

/** The target a pointer holds, typed (decodePointer checked it). */
export function targetOf(p: StagePointer | null): StageTarget | null {
  return p?.target ?? null;
}

export function decodeAudit(key: string, bytes: Uint8Array): AuditRecord {
  const a = parseJson(key, bytes);
  expect(key, a['format'] === 'mlsnap-audit' && a['version'] === 1, 'it is not an mlsnap audit record (format 1)');
  expect(
    key,
    isStr(a['model']) && isStr(a['stage']) && key.startsWith(auditPrefix(a['model'], a['stage'])),
    'it names another stage',
  );
  expect(key, a['action'] === 'promote' || a['action'] === 'demote', 'its action is unknown');
  expect(key, isStrOrNull(a['from']) && isStrOrNull(a['to']), 'its versions are malformed');
  expect(key, isStr(a['author']) && isStr(a['host']) && isInt(a['at']), 'who moved it and when are missing');
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
