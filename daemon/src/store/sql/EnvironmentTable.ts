import { createHash } from 'node:crypto';
import type { EnvironmentInfo } from '../../../../shared/src/domain';
import type { StatementCache } from './StatementCache';

/** Environments are stored once per distinct content (hash of their canonical JSON). */
export class EnvironmentTable {
  constructor(private readonly s: StatementCache) {}

  insert(env: EnvironmentInfo): number {
    const json = JSON.stringify(env);
    const hash = createHash('sha256').update(json).digest('hex');
    const existing = this.s.sql('SELECT id FROM environment WHERE hash = ?').get(hash) as { id: number } | undefined;
    if (existing) return existing.id;
    const res = this.s
      .sql('INSERT INTO environment (hash, json, complete, created_at) VALUES (?, ?, ?, ?)')
      .run(hash, json, env.complete ? 1 : 0, Date.now());
    return Number(res.lastInsertRowid);
  }

  /** The environment's content hash and canonical JSON, as history objects carry it. */
  row(id: number): { hash: string; json: string } | null {
    return (
      (this.s.sql('SELECT hash, json FROM environment WHERE id = ?').get(id) as { hash: string; json: string }) ?? null
    );
  }

  get(id: number): EnvironmentInfo | null {
    const row = this.s.sql('SELECT json FROM environment WHERE id = ?').get(id) as { json: string } | undefined;
    return row ? (JSON.parse(row.json) as EnvironmentInfo) : null;
  }

  /** Blobs the environments point at (their lockfiles). */
  lockfileBlobs(): string[] {
    const out: string[] = [];
    for (const r of this.s.sql('SELECT json FROM environment').all() as { json: string }[]) {
      for (const l of (JSON.parse(r.json) as EnvironmentInfo).lockfiles) out.push(l.blob);
    }
    return out;
  }
}
