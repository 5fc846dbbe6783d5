import type { StatementCache } from './StatementCache';
import { assertEncoding } from './values';

export interface BlobRow {
  hash: string;
  size: number;
  encoding: string;
}

/** One row per stored blob: written before any other row may point at the blob. */
export class BlobTable {
  constructor(private readonly s: StatementCache) {}

  has(hash: string): boolean {
    return this.s.sql('SELECT 1 FROM blob WHERE hash = ?').get(hash) !== undefined;
  }

  /** The blob's bytes are stored here (durably, before this row): a row known only remotely becomes here. */
  insert(b: { hash: string; size: number; storedSize: number; encoding: string }): void {
    assertEncoding(b.encoding);
    this.s
      .sql(
        `INSERT INTO blob (hash, size, stored_size, encoding, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (hash) DO UPDATE SET here = 1, encoding = excluded.encoding, stored_size = excluded.stored_size`,
      )
      .run(b.hash, b.size, b.storedSize, b.encoding, Date.now());
  }

  /** Rows of blobs whose bytes are in the local store (not those known only from a remote). */
  rows(): BlobRow[] {
    return this.s.sql('SELECT hash, size, encoding FROM blob WHERE here = 1').all() as BlobRow[];
  }

  /** The row of one blob, here or not. */
  get(hash: string): (BlobRow & { storedSize: number; here: boolean }) | null {
    const r = this.s.sql('SELECT hash, size, stored_size, encoding, here FROM blob WHERE hash = ?').get(hash) as
      { hash: string; size: number; stored_size: number; encoding: string; here: number } | undefined;
    return r
      ? { hash: r.hash, size: r.size, encoding: r.encoding, storedSize: r.stored_size, here: r.here === 1 }
      : null;
  }

  /** A blob a remote's history names: recorded as not here until its bytes are fetched. */
  insertRemote(b: { hash: string; size: number; storedSize: number; encoding: string }): void {
    assertEncoding(b.encoding);
    this.s
      .sql('INSERT OR IGNORE INTO blob (hash, size, stored_size, encoding, created_at, here) VALUES (?, ?, ?, ?, ?, 0)')
      .run(b.hash, b.size, b.storedSize, b.encoding, Date.now());
  }

  markHere(hash: string): void {
    this.s.sql('UPDATE blob SET here = 1 WHERE hash = ?').run(hash);
  }

  notHere(): string[] {
    return (this.s.sql('SELECT hash FROM blob WHERE here = 0').all() as { hash: string }[]).map((r) => r.hash);
  }

  count(): number {
    return (this.s.sql('SELECT count(*) AS n FROM blob').get() as { n: number }).n;
  }

  storedBytes(): number {
    return (this.s.sql('SELECT sum(stored_size) AS n FROM blob').get() as { n: number | null }).n ?? 0;
  }
}
