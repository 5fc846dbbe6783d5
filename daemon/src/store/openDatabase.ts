import Database from 'better-sqlite3';
import { migrate } from './migrations';

export type Db = Database.Database;

/**
 * Open (or create) a store database with the pragmas every connection needs.
 * WAL lets readers run beside the one writer; synchronous=FULL because an acknowledged
 * version must survive a power cut (NORMAL may drop the last commits in WAL mode).
 */
export function openDatabase(file: string, opts: { migrateTo?: number } = {}): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // better-sqlite3 builds SQLite with a 16 MB page cache per connection; the daemon keeps one
  // connection per project open all day and does point lookups, so 4 MB is plenty.
  db.pragma('cache_size = -4000');
  try {
    migrate(db, opts.migrateTo);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

export function closeDatabase(db: Db): void {
  if (!db.open) return;
  // Lets SQLite refresh its planner statistics cheaply, as recommended at close.
  db.pragma('optimize');
  db.close();
}
