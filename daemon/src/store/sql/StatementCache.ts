import type { Statement } from 'better-sqlite3';
import type { Db } from '../openDatabase';

/**
 * Prepared statements, compiled once and shared by every table class of one connection.
 * better-sqlite3 does not cache them, and a statement prepared per row holds native memory
 * until the JS garbage collector finalizes it: a first scan of 20,000 files left ~100 MB of
 * them waiting.
 */
export class StatementCache {
  private readonly statements = new Map<string, Statement>();

  constructor(readonly db: Db) {}

  sql(text: string): Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }
}
