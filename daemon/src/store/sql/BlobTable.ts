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

  insert(b: { hash: string; size: number; storedSize: number; encoding: string }): void {
    assertEncoding(b.encoding);
    this.s
      .sql('INSERT OR IGNORE INTO blob (hash, size, stored_size, encoding, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(b.hash, b.size, b.storedSize, b.encoding, Date.now());
  }

  rows(): BlobRow[] {
    return this.s.sql('SELECT hash, size, encoding FROM blob').all() as BlobRow[];
  }

  count(): number {
    return (this.s.sql('SELECT count(*) AS n FROM blob').get() as { n: number }).n;
  }

  storedBytes(): number {
    return (this.s.sql('SELECT sum(stored_size) AS n FROM blob').get() as { n: number | null }).n ?? 0;
  }
}
