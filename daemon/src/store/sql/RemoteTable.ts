import type { StatementCache } from './StatementCache';

export interface RemoteRow {
  name: string;
  url: string;
  /** JSON of the remote's settings (endpoint, region, profile…); never credentials. */
  settings: string;
  isDefault: boolean;
  createdAt: number;
}

export interface PushedVersion {
  versionId: number;
  /** The blob that went up when it is not the version's own (a copy with outputs stripped). */
  pushedBlob: string | null;
  /** Finding ids the user accepted for this push. */
  allowed: string[];
}

/**
 * The project's remotes and what this project knows each one holds: blobs, versions, the
 * history objects already read, and unfinished uploads. The remote is always the truth;
 * these rows let a push with nothing new answer without a request per version.
 */
export class RemoteTable {
  constructor(private readonly s: StatementCache) {}

  writer(): string {
    return (this.s.sql("SELECT value FROM store_meta WHERE key = 'writer'").get() as { value: string }).value;
  }

  add(r: Omit<RemoteRow, 'createdAt'>): void {
    if (r.isDefault) this.s.sql('UPDATE remote SET is_default = 0').run();
    this.s
      .sql('INSERT INTO remote (name, url, settings, is_default, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(r.name, r.url, r.settings, r.isDefault ? 1 : 0, Date.now());
  }

  remove(name: string): boolean {
    const removed = this.s.sql('DELETE FROM remote WHERE name = ?').run(name).changes === 1;
    // The first remote left becomes the default, so push and pull keep working without --remote.
    if (removed && this.s.sql('SELECT 1 FROM remote WHERE is_default = 1').get() === undefined) {
      this.s
        .sql('UPDATE remote SET is_default = 1 WHERE name = (SELECT name FROM remote ORDER BY created_at LIMIT 1)')
        .run();
    }
    return removed;
  }

  list(): RemoteRow[] {
    const rows = this.s
      .sql('SELECT name, url, settings, is_default, created_at FROM remote ORDER BY created_at, name')
      .all() as { name: string; url: string; settings: string; is_default: number; created_at: number }[];
    return rows.map((r) => ({
      name: r.name,
      url: r.url,
      settings: r.settings,
      isDefault: r.is_default === 1,
      createdAt: r.created_at,
    }));
  }

  /** Which of `hashes` the remote is not known to hold. */
  missingBlobs(remote: string, hashes: Iterable<string>): string[] {
    const has = this.s.sql('SELECT 1 FROM remote_blob WHERE remote = ? AND hash = ?');
    return [...hashes].filter((h) => has.get(remote, h) === undefined);
  }

  /** One transaction (one fsync) for the lot: a push marks thousands of small objects. */
  markBlobs(remote: string, hashes: readonly string[]): void {
    if (hashes.length === 0) return;
    const ins = this.s.sql('INSERT OR IGNORE INTO remote_blob (remote, hash) VALUES (?, ?)');
    this.s.db.transaction(() => {
      for (const h of hashes) ins.run(remote, h);
    })();
  }

  blobsOn(remote: string): string[] {
    return (this.s.sql('SELECT hash FROM remote_blob WHERE remote = ?').all(remote) as { hash: string }[]).map(
      (r) => r.hash,
    );
  }

  /** Remotes known to hold the blob, the default first. */
  remotesHolding(hash: string): string[] {
    const rows = this.s
      .sql(
        `SELECT b.remote FROM remote_blob b JOIN remote r ON r.name = b.remote
         WHERE b.hash = ? ORDER BY r.is_default DESC, r.created_at`,
      )
      .all(hash) as { remote: string }[];
    return rows.map((r) => r.remote);
  }

  /** Ids of versions (of `paths`, when given) the remote does not hold, oldest first. */
  unpushed(remote: string, paths?: readonly string[]): number[] {
    const rows = this.s
      .sql(
        `SELECT v.id, f.path FROM version v JOIN tracked_file f ON f.id = v.file_id
         WHERE NOT EXISTS (SELECT 1 FROM remote_version r WHERE r.remote = ? AND r.version_id = v.id)
         ORDER BY v.id`,
      )
      .all(remote) as { id: number; path: string }[];
    if (paths === undefined || paths.length === 0) return rows.map((r) => r.id);
    const under = (p: string): boolean => paths.some((q) => p === q || p.startsWith(`${q.replace(/\/$/, '')}/`));
    return rows.filter((r) => under(r.path)).map((r) => r.id);
  }

  unpushedCount(remote: string): number {
    return (
      this.s
        .sql(
          `SELECT count(*) AS n FROM version v
           WHERE NOT EXISTS (SELECT 1 FROM remote_version r WHERE r.remote = ? AND r.version_id = v.id)`,
        )
        .get(remote) as { n: number }
    ).n;
  }

  markPushed(remote: string, versions: readonly PushedVersion[]): void {
    const ins = this.s.sql(
      'INSERT OR IGNORE INTO remote_version (remote, version_id, pushed_blob, allowed) VALUES (?, ?, ?, ?)',
    );
    this.s.db.transaction(() => {
      for (const v of versions) {
        ins.run(remote, v.versionId, v.pushedBlob, v.allowed.length > 0 ? JSON.stringify(v.allowed) : null);
      }
    })();
  }

  historyRead(remote: string): Set<string> {
    const rows = this.s.sql('SELECT key FROM remote_history WHERE remote = ?').all(remote) as { key: string }[];
    return new Set(rows.map((r) => r.key));
  }

  markHistoryRead(remote: string, key: string): void {
    this.s.sql('INSERT OR IGNORE INTO remote_history (remote, key) VALUES (?, ?)').run(remote, key);
  }

  uploadState(remote: string, key: string): string | null {
    const row = this.s.sql('SELECT state FROM remote_upload WHERE remote = ? AND key = ?').get(remote, key) as
      { state: string } | undefined;
    return row?.state ?? null;
  }

  saveUploadState(remote: string, key: string, state: string): void {
    this.s
      .sql(
        `INSERT INTO remote_upload (remote, key, state, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (remote, key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
      )
      .run(remote, key, state, Date.now());
  }

  dropUploadState(remote: string, key: string): void {
    this.s.sql('DELETE FROM remote_upload WHERE remote = ? AND key = ?').run(remote, key);
  }
}
