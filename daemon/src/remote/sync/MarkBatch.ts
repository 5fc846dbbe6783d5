/**
 * Notes of objects that landed, written in batches: one SQLite commit (an fsync) per object
 * cost a 2,000-file push two seconds. A note lost to a crash only means the object is asked
 * about or sent again (create-only: harmless); `flush` in a finally keeps what landed.
 */
export class MarkBatch {
  private pending: string[] = [];
  private lastFlush = Date.now();

  constructor(
    private readonly write: (hashes: string[]) => void,
    private readonly maxCount = 256,
    private readonly maxAgeMs = 1000,
  ) {}

  add(hash: string): void {
    this.pending.push(hash);
    if (this.pending.length >= this.maxCount || Date.now() - this.lastFlush >= this.maxAgeMs) this.flush();
  }

  flush(): void {
    this.lastFlush = Date.now();
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.write(batch);
  }
}
