import * as fs from 'node:fs';

/** Two stats at least this far apart must agree before a file counts as settled. */
const MIN_RECHECK_MS = 10;

interface Pending {
  timer: NodeJS.Timeout;
  size: bigint;
  mtimeNs: bigint;
}

/**
 * Holds changed paths until they settle: a file is ready once it was last modified at least
 * `settleMs` ago and two stats agree on its size and mtime. Counting from the mtime, not from
 * the event, hides the watcher's own delay (@parcel/watcher batches ~50 ms) inside the settle
 * window. A checkpoint written over several seconds keeps changing, so it is handed on once,
 * complete; an atomic save by rename is one change of the final path. Paths that settle in
 * the same pass are handed on together (one snapshot for a burst).
 */
export class SettleTracker {
  private readonly pending = new Map<string, Pending>();
  private ready: string[] = [];
  private flushScheduled = false;
  private disposed = false;

  constructor(
    private readonly settleMs: number,
    private readonly onSettled: (paths: string[]) => void,
  ) {}

  /** A watcher saw `file` change (absolute path). */
  touch(file: string): void {
    if (this.disposed) return;
    const prev = this.pending.get(file);
    if (prev) clearTimeout(prev.timer);
    const st = statOrNull(file);
    this.pending.set(file, {
      timer: setTimeout(() => this.check(file), this.waitFor(st)),
      size: st?.size ?? -1n,
      mtimeNs: st?.mtimeNs ?? -1n,
    });
  }

  /** Until the file is `settleMs` old, and never less than a second stat needs. */
  private waitFor(st: fs.BigIntStats | null): number {
    if (st === null) return this.settleMs;
    const ageMs = Date.now() - Number(st.mtimeNs / 1_000_000n);
    return Math.max(MIN_RECHECK_MS, Math.min(this.settleMs, this.settleMs - ageMs));
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private check(file: string): void {
    const prev = this.pending.get(file);
    if (!prev || this.disposed) return;
    const st = statOrNull(file);
    if (st === null) {
      // Deleted (or renamed away) before it settled: nothing to record.
      this.pending.delete(file);
      return;
    }
    const changed = st.size !== prev.size || st.mtimeNs !== prev.mtimeNs;
    const ageMs = Date.now() - Number(st.mtimeNs / 1_000_000n);
    // An mtime in the future (clock skew on network file systems) cannot be aged: then two
    // stats a settle delay apart must agree, as waitFor() spaces them.
    if (changed || (ageMs >= 0 && ageMs < this.settleMs)) {
      prev.size = st.size;
      prev.mtimeNs = st.mtimeNs;
      prev.timer = setTimeout(() => this.check(file), this.waitFor(st));
      return;
    }
    this.pending.delete(file);
    this.ready.push(file);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Let timers that fire in the same turn join the batch.
    setImmediate(() => {
      this.flushScheduled = false;
      const batch = this.ready;
      this.ready = [];
      if (batch.length > 0 && !this.disposed) this.onSettled(batch);
    });
  }

  dispose(): void {
    this.disposed = true;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.ready = [];
  }
}

function statOrNull(file: string): fs.BigIntStats | null {
  try {
    const st = fs.statSync(file, { bigint: true });
    return st.isFile() ? st : null;
  } catch {
    return null;
  }
}
