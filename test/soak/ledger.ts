import type { VersionInfo } from '../../shared/src/domain';

/**
 * A version the CLI acknowledged: `snapshot` exited 0 and listed it in its --json output, or
 * (`via: 'log'`, the watcher's versions) `log` listed it: committed either way, so durable.
 */
export interface AckedVersion {
  uid: string;
  via: 'snapshot' | 'log';
  path: string;
  seq: number;
  blob: string;
  createdAt: number;
  iteration: number;
  /** Set once `mlsnap cat` returned its bytes intact. */
  readBack: boolean;
}

/** A `gc --keep-last K` the campaign started, whatever became of it. */
interface GcRun {
  keepLast: number;
  startedAt: number;
  endedAt: number;
}

/**
 * What the campaign expects the store to hold, kept in the soak's own memory and never read
 * from the store: every content it wrote to each path (BLAKE3 of the whole bytes), the
 * versions the CLI acknowledged, the tags it confirmed and the gc runs it started. gc may
 * drop a version, so an acknowledged version is only required to exist when no gc started so
 * far could have chosen it (see mayBeCollected).
 */
export class Ledger {
  /** path -> every content hash written there. */
  private readonly written = new Map<string, Set<string>>();
  readonly acked = new Map<string, AckedVersion>();
  /** uid -> when the tag command confirmed it (exit 0). */
  private readonly tagged = new Map<string, number>();
  private readonly gcs: GcRun[] = [];
  /** Every version ever seen (acknowledged, or in a log), to bound what a gc saw: uid -> path, seq, createdAt. */
  private readonly seen = new Map<string, { path: string; seq: number; createdAt: number }>();
  /** Blob hashes seen as rows: a file left by a gc killed after its commit is one of these. */
  readonly rowHashes = new Set<string>();
  /** Acknowledged versions already reported gone or changed: each is reported once. */
  readonly reported = new Set<string>();

  /** Called before the bytes are written, so any version of them, even one being written, is known. */
  wrote(path: string, hash: string): void {
    let set = this.written.get(path);
    if (set === undefined) this.written.set(path, (set = new Set()));
    set.add(hash);
  }

  wasWritten(path: string, hash: string): boolean {
    return this.written.get(path)?.has(hash) === true;
  }

  wasWrittenAnywhere(hash: string): boolean {
    for (const set of this.written.values()) if (set.has(hash)) return true;
    return false;
  }

  acknowledge(v: VersionInfo, iteration: number, via: AckedVersion['via']): void {
    this.see(v);
    if (this.acked.has(v.uid)) return;
    this.acked.set(v.uid, {
      uid: v.uid,
      via,
      path: v.path,
      seq: v.seq,
      blob: v.blob,
      createdAt: v.createdAt,
      iteration,
      readBack: false,
    });
  }

  see(v: Pick<VersionInfo, 'uid' | 'path' | 'seq' | 'createdAt'>): void {
    this.seen.set(v.uid, { path: v.path, seq: v.seq, createdAt: v.createdAt });
  }

  tagConfirmed(uid: string, at: number): void {
    if (!this.tagged.has(uid)) this.tagged.set(uid, at);
  }

  isTagged(uid: string): boolean {
    return this.tagged.has(uid);
  }

  gcStarted(keepLast: number, startedAt: number, endedAt: number): void {
    this.gcs.push({ keepLast, startedAt, endedAt });
  }

  get gcCount(): number {
    return this.gcs.length;
  }

  /**
   * Whether some gc could have dropped `v`: one that ran after v existed, before a tag on v
   * was confirmed, and for which v was not among the last K of its file. The file's highest
   * seq when that gc ran is bounded from above by the first version seen created after the
   * gc ended (seqs grow with time), else by the highest seq ever seen; too high a bound only
   * excuses more, never blames a version gc may have taken.
   */
  mayBeCollected(v: AckedVersion): boolean {
    const taggedAt = this.tagged.get(v.uid);
    return this.gcs.some((g) => {
      if (v.createdAt > g.endedAt) return false;
      if (taggedAt !== undefined && taggedAt < g.startedAt) return false;
      return v.seq <= this.maxSeqAt(v.path, g.endedAt) - g.keepLast;
    });
  }

  private maxSeqAt(path: string, t: number): number {
    let after = Infinity;
    let max = 0;
    for (const s of this.seen.values()) {
      if (s.path !== path) continue;
      max = Math.max(max, s.seq);
      if (s.createdAt > t) after = Math.min(after, s.seq);
    }
    return after === Infinity ? max : after - 1;
  }

  /** Acknowledged versions that must still be in the store. */
  mustExist(): AckedVersion[] {
    return [...this.acked.values()].filter((v) => !this.reported.has(v.uid) && !this.mayBeCollected(v));
  }
}
