import { randomBytes } from 'node:crypto';
import type { GitState, SnapshotInfo, Trigger } from '../../../../shared/src/domain';
import type { StatementCache } from './StatementCache';
import { assertTrigger } from './values';

interface SnapshotRow {
  id: string;
  created_at: number;
  trigger: Trigger;
  message: string | null;
  git_commit: string | null;
  git_branch: string | null;
  git_dirty: number | null;
  git_patch_blob: string | null;
  git_patch_truncated: number | null;
}

/** A snapshot without its versions (VersionTable lists those). */
export type SnapshotHead = Omit<SnapshotInfo, 'versions' | 'versionCount'>;

/** Snapshots: versions taken together, with the git state they were taken in. */
export class SnapshotTable {
  constructor(private readonly s: StatementCache) {}

  insert(id: string, now: number, input: { trigger: Trigger; message: string | null; git: GitState | null }): void {
    assertTrigger(input.trigger);
    this.s
      .sql(
        `INSERT INTO snapshot (id, created_at, trigger, message, git_commit, git_branch, git_dirty, git_patch_blob, git_patch_truncated)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        now,
        input.trigger,
        input.message,
        input.git?.commit ?? null,
        input.git?.branch ?? null,
        input.git ? (input.git.dirty ? 1 : 0) : null,
        input.git?.patchBlob ?? null,
        input.git?.patchTruncated ? 1 : 0,
      );
  }

  get(id: string): SnapshotHead | null {
    const row = this.s.sql('SELECT * FROM snapshot WHERE id = ?').get(id) as SnapshotRow | undefined;
    return row ? toHead(row) : null;
  }

  /** Snapshot ids starting with `prefix` (two at most: enough to tell it is ambiguous). */
  byPrefix(prefix: string): string[] {
    return (
      this.s.sql("SELECT id FROM snapshot WHERE id LIKE ? || '%' ESCAPE '\\' LIMIT 2").all(escapeLike(prefix)) as {
        id: string;
      }[]
    ).map((r) => r.id);
  }

  /** Blobs the snapshots point at (their git patches). */
  patchBlobs(): string[] {
    return (
      this.s.sql('SELECT DISTINCT git_patch_blob AS h FROM snapshot WHERE git_patch_blob IS NOT NULL').all() as {
        h: string;
      }[]
    ).map((r) => r.h);
  }
}

function toHead(r: SnapshotRow): SnapshotHead {
  const git: GitState | null =
    r.git_dirty === null
      ? null
      : {
          commit: r.git_commit,
          branch: r.git_branch,
          dirty: r.git_dirty === 1,
          ...(r.git_patch_blob ? { patchBlob: r.git_patch_blob, patchTruncated: r.git_patch_truncated === 1 } : {}),
        };
  return { id: r.id, createdAt: r.created_at, trigger: r.trigger, message: r.message, git };
}

/** Random ids, like git's, so a short prefix is enough to name one. */
export function newSnapshotId(): string {
  return randomBytes(8).toString('hex');
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
