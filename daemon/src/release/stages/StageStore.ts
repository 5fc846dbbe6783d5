import type { AuditRecord, StagePointer, StagePolicy } from '../../../../shared/src/release';
import { runPool } from '../../remote/runPool';
import { readAll, type RemoteSession } from '../../remote/sync/RemoteSession';
import {
  auditKey,
  auditPrefix,
  decodeAudit,
  decodePointer,
  decodePolicy,
  emptyPolicy,
  encodeObject,
  isAuditKey,
  MAX_STAGE_OBJECT,
  parsePointerKey,
  pointerKey,
  POLICY_KEY,
  STAGES_PREFIX,
} from './StageFormat';

/** A pointer as read, with the etag a compare-and-swap must name to replace it. */
export interface ReadPointer {
  pointer: StagePointer;
  etag: string;
}

export type SwapOutcome = { swapped: true; etag: string } | { swapped: false; current: ReadPointer | null };

/**
 * The stages of one remote: pointers read with their etags and replaced only by
 * compare-and-swap, audit records written create-only, the policy object. Only storage
 * calls and format checks live here; what a promotion decides is ReleaseService's.
 */
export class StageStore {
  constructor(private readonly session: RemoteSession) {}

  /**
   * The pointer with the etag it was read under. The etag comes first: if the object is
   * replaced between the two calls, a swap naming that etag fails, so nothing acts on a
   * pointer newer than the etag it holds.
   */
  async read(model: string, stage: string): Promise<ReadPointer | null> {
    return this.readKey(pointerKey(model, stage));
  }

  private async readKey(key: string): Promise<ReadPointer | null> {
    return this.session.run(async (b) => {
      const head = await b.head(key);
      if (head === null) return null;
      try {
        const bytes = await readAll(await b.get(key), MAX_STAGE_OBJECT);
        return { pointer: decodePointer(key, bytes), etag: head.etag };
      } catch (e) {
        if ((e as Error).name === 'BlobNotFound') return null;
        throw e;
      }
    });
  }

  /** Replace the pointer if it is still at `etag` (null: only if there is none). */
  async swap(pointer: StagePointer, etag: string | null): Promise<SwapOutcome> {
    const key = pointerKey(pointer.model, pointer.stage);
    const r = await this.session.run((b) => b.putIfMatch(key, encodeObject(pointer), etag));
    if (r.swapped) return r;
    return { swapped: false, current: await this.readKey(key) };
  }

  /** Write the record create-only; returns its key. Written before the pointer that names it. */
  async writeAudit(record: AuditRecord): Promise<string> {
    const bytes = encodeObject(record);
    const key = auditKey(record, bytes);
    await this.session.run((b) => b.put(key, bytes));
    return key;
  }

  /** Every pointer on the remote (of one model when given), read concurrently. */
  async list(model?: string): Promise<ReadPointer[]> {
    const under = model === undefined ? STAGES_PREFIX : `${STAGES_PREFIX}${model}/`;
    const keys = await this.keys(under, (k) => {
      const where = parsePointerKey(k);
      return where !== null && (model === undefined || where.model === model);
    });
    const found: ReadPointer[] = [];
    await runPool(keys, 8, async (key) => {
      const p = await this.readKey(key);
      if (p !== null) found.push(p);
    });
    return found.sort(
      (a, b) => a.pointer.model.localeCompare(b.pointer.model) || a.pointer.stage.localeCompare(b.pointer.stage),
    );
  }

  /** Audit records with their keys (of one model, and one stage of it, when given), in no order. */
  async history(model?: string, stage?: string): Promise<{ key: string; record: AuditRecord }[]> {
    const keys = await this.keys(auditPrefix(model, stage), (k) => isAuditKey(k));
    const records: { key: string; record: AuditRecord }[] = [];
    await runPool(keys, 8, async (key) => {
      const bytes = await this.session.run(async (b) => readAll(await b.get(key), MAX_STAGE_OBJECT));
      const r = decodeAudit(key, bytes);
      // A listing by model prefix also matches `models/a.pt.bak/...` under `models/a.pt`: keep exact ones.
      if ((model === undefined || r.model === model) && (stage === undefined || r.stage === stage))
        records.push({ key, record: r });
    });
    return records;
  }

  async policy(): Promise<{ policy: StagePolicy; etag: string | null }> {
    return this.session.run(async (b) => {
      const head = await b.head(POLICY_KEY);
      if (head === null) return { policy: emptyPolicy(), etag: null };
      return { policy: decodePolicy(await readAll(await b.get(POLICY_KEY), MAX_STAGE_OBJECT)), etag: head.etag };
    });
  }

  async swapPolicy(policy: StagePolicy, etag: string | null): Promise<boolean> {
    const r = await this.session.run((b) => b.putIfMatch(POLICY_KEY, encodeObject(policy), etag));
    return r.swapped;
  }

  private async keys(under: string, keep: (key: string) => boolean): Promise<string[]> {
    return this.session.run(async (b) => {
      const out: string[] = [];
      for await (const k of b.list(under)) if (keep(k)) out.push(k);
      return out;
    });
  }
}
