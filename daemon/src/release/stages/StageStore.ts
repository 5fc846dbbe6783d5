import { MlsnapError } from '../../../../shared/src/errors';
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
  MAX_STAGE_OBJECT,
  parseAuditKey,
  parsePointerKey,
  pointerKey,
  POLICY_KEY,
  refused,
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
      if (head.size > MAX_STAGE_OBJECT) throw refused(key, `it is ${head.size} bytes, far more than a pointer`);
      try {
        const bytes = await readAll(await b.get(key), MAX_STAGE_OBJECT);
        return { pointer: decodePointer(key, bytes), etag: head.etag };
      } catch (e) {
        if ((e as Error).name === 'BlobNotFound') return null;
        throw e;
      }
    });
  }

  /**
   * Replace the pointer if it is still at `etag` (null: only if there is none). A refusal is
   * checked against what is there now: when that is this very pointer (its audit key names a
   * record written for this move alone), the write landed and only its answer was lost (an
   * SDK retrying a conditional PUT that had succeeded gets 412), so it is a success.
   */
  async swap(pointer: StagePointer, etag: string | null): Promise<SwapOutcome> {
    const key = pointerKey(pointer.model, pointer.stage);
    const r = await this.session.run((b) => b.putIfMatch(key, encodeObject(pointer), etag));
    if (r.swapped) return r;
    const current = await this.readKey(key);
    if (current !== null && current.pointer.audit === pointer.audit) return { swapped: true, etag: current.etag };
    return { swapped: false, current };
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

  /**
   * Audit records by key (of one model, and one stage of it, when given). A record that does
   * not decode is kept as its error, not thrown: only a record on a stage's chain is part of
   * the trail, so a broken one elsewhere (a lost race's, one left by hand) must not hide the rest.
   */
  async history(model?: string, stage?: string): Promise<Map<string, AuditRecord | MlsnapError>> {
    const keys = await this.keys(auditPrefix(model, stage), (k) => {
      // A listing by model prefix also matches `models/a.pt.bak/...` under `models/a.pt`: keep exact ones.
      const where = parseAuditKey(k);
      return (
        where !== null &&
        (model === undefined || where.model === model) &&
        (stage === undefined || where.stage === stage)
      );
    });
    const records = new Map<string, AuditRecord | MlsnapError>();
    await runPool(keys, 8, async (key) => {
      const bytes = await this.session.run(async (b) => {
        try {
          return await readAll(await b.get(key), MAX_STAGE_OBJECT);
        } catch (e) {
          // Removed since the listing: as if it had not been listed.
          if ((e as Error).name === 'BlobNotFound') return null;
          throw e;
        }
      });
      if (bytes === null) return;
      try {
        records.set(key, decodeAudit(key, bytes));
      } catch (e) {
        if (!(e instanceof MlsnapError)) throw e;
        records.set(key, e);
      }
    });
    return records;
  }

  async policy(): Promise<{ policy: StagePolicy; etag: string | null }> {
    return this.session.run(async (b) => {
      const head = await b.head(POLICY_KEY);
      if (head === null) return { policy: emptyPolicy(), etag: null };
      if (head.size > MAX_STAGE_OBJECT) throw refused(POLICY_KEY, `it is ${head.size} bytes, far more than a policy`);
      try {
        return { policy: decodePolicy(await readAll(await b.get(POLICY_KEY), MAX_STAGE_OBJECT)), etag: head.etag };
      } catch (e) {
        // Removed between the two calls: no policy, and a swap naming no etag creates one.
        if ((e as Error).name === 'BlobNotFound') return { policy: emptyPolicy(), etag: null };
        throw e;
      }
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
