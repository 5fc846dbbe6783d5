import type { StatementCache } from './StatementCache';

/** Tags name one version of one file; a name is unique per file. */
export class TagTable {
  constructor(private readonly s: StatementCache) {}

  /** The version a tag names, or null when the file has no such tag. */
  versionOf(fileId: number, name: string): number | null {
    const row = this.s.sql('SELECT version_id FROM tag WHERE file_id = ? AND name = ?').get(fileId, name) as
      { version_id: number } | undefined;
    return row?.version_id ?? null;
  }

  add(fileId: number, name: string, versionId: number): void {
    this.s
      .sql('INSERT OR IGNORE INTO tag (file_id, name, version_id, created_at) VALUES (?, ?, ?, ?)')
      .run(fileId, name, versionId, Date.now());
  }
}
