import type { FileKind } from '../../../../shared/src/domain';
import type { StatementCache } from './StatementCache';
import { assertFileKind } from './values';

/** A working file's stat as last seen: when it is unchanged, the file is not read again. */
export interface StatFingerprint {
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
}

export interface RecordedFingerprint extends StatFingerprint {
  hash: string;
  takenNs: bigint;
}

interface TrackedFileRow {
  id: number;
  path: string;
  kind: FileKind;
  fp_size: number | null;
  fp_mtime_ns: string | null;
  fp_ctime_ns: string | null;
  fp_ino: string | null;
  fp_hash: string | null;
  fp_taken_ns: string | null;
}

/**
 * Tracked files and their fingerprints. The fingerprints are loaded in one query, then kept
 * in memory and updated on each write (the daemon is the only writer): a re-snapshot of
 * 20,000 unchanged files must cost little more than stat'ing them.
 */
export class TrackedFileTable {
  private fingerprints: Map<string, RecordedFingerprint> | null = null;

  constructor(private readonly s: StatementCache) {}

  allFingerprints(): ReadonlyMap<string, RecordedFingerprint> {
    if (this.fingerprints === null) {
      const out = new Map<string, RecordedFingerprint>();
      for (const row of this.s.sql('SELECT * FROM tracked_file').iterate() as IterableIterator<TrackedFileRow>) {
        const fp = toFingerprint(row);
        if (fp) out.set(row.path, fp);
      }
      this.fingerprints = out;
    }
    return this.fingerprints;
  }

  fingerprint(relPath: string): RecordedFingerprint | null {
    const row = this.s.sql('SELECT * FROM tracked_file WHERE path = ?').get(relPath) as TrackedFileRow | undefined;
    return row ? toFingerprint(row) : null;
  }

  /** A transaction rolled back: the cached fingerprints may hold rows that never landed. */
  forgetCached(): void {
    this.fingerprints = null;
  }

  /** Insert or update the file's row with its new fingerprint; returns its id. */
  upsert(relPath: string, kind: FileKind, fp: StatFingerprint, hash: string, takenNs: bigint): number {
    assertFileKind(kind);
    const row = this.s
      .sql(
        `INSERT INTO tracked_file (path, kind, fp_size, fp_mtime_ns, fp_ctime_ns, fp_ino, fp_hash, fp_taken_ns)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (path) DO UPDATE SET kind = excluded.kind, fp_size = excluded.fp_size,
           fp_mtime_ns = excluded.fp_mtime_ns, fp_ctime_ns = excluded.fp_ctime_ns, fp_ino = excluded.fp_ino,
           fp_hash = excluded.fp_hash, fp_taken_ns = excluded.fp_taken_ns
         RETURNING id`,
      )
      .get(
        relPath,
        kind,
        fp.size,
        fp.mtimeNs.toString(),
        fp.ctimeNs.toString(),
        fp.ino.toString(),
        hash,
        takenNs.toString(),
      ) as {
      id: number;
    };
    this.fingerprints?.set(relPath, { ...fp, hash, takenNs });
    return row.id;
  }

  /** Files marked deleted that are back in the working folder. */
  markPresent(relPaths: readonly string[]): void {
    for (const p of relPaths) this.s.sql('UPDATE tracked_file SET deleted_at = NULL WHERE path = ?').run(p);
  }

  /** The file is gone from the working folder (its history stays, restorable). */
  markDeleted(relPaths: readonly string[], at: number): number {
    let n = 0;
    for (const p of relPaths)
      n += this.s
        .sql('UPDATE tracked_file SET deleted_at = ? WHERE path = ? AND deleted_at IS NULL')
        .run(at, p).changes;
    return n;
  }

  /**
   * Tracked files at a path or under it (a folder) not yet marked deleted. Ranges on the path
   * index ('dir/' ≤ path < 'dir0', '0' being the character after '/'), so a delete event of an
   * untracked file costs an index probe, not a scan of every tracked path.
   */
  presentAt(rel: string): string[] {
    return (
      this.s
        .sql('SELECT path FROM tracked_file WHERE (path = ? OR (path >= ? AND path < ?)) AND deleted_at IS NULL')
        .all(rel, `${rel}/`, `${rel}0`) as { path: string }[]
    ).map((r) => r.path);
  }

  /** When each deleted file went, by path. */
  deletedAt(): Map<string, number> {
    const rows = this.s.sql('SELECT path, deleted_at FROM tracked_file WHERE deleted_at IS NOT NULL').all() as {
      path: string;
      deleted_at: number;
    }[];
    return new Map(rows.map((r) => [r.path, r.deleted_at]));
  }

  /** The file's id, adding it without a fingerprint (a teammate's file, not in this working folder yet). */
  ensure(relPath: string, kind: FileKind): number {
    assertFileKind(kind);
    this.s.sql('INSERT OR IGNORE INTO tracked_file (path, kind) VALUES (?, ?)').run(relPath, kind);
    return this.idOf(relPath) as number;
  }

  idOf(relPath: string): number | null {
    const row = this.s.sql('SELECT id FROM tracked_file WHERE path = ?').get(relPath) as { id: number } | undefined;
    return row?.id ?? null;
  }

  paths(): string[] {
    return (this.s.sql('SELECT path FROM tracked_file ORDER BY path').all() as { path: string }[]).map((r) => r.path);
  }

  /** Every file with its kind and version count, by path. */
  withVersionCounts(): { path: string; kind: FileKind; n: number }[] {
    return this.s
      .sql(
        `SELECT f.path, f.kind, count(v.id) AS n FROM tracked_file f LEFT JOIN version v ON v.file_id = f.id
         GROUP BY f.id ORDER BY f.path`,
      )
      .all() as { path: string; kind: FileKind; n: number }[];
  }

  count(): number {
    return (this.s.sql('SELECT count(*) AS n FROM tracked_file').get() as { n: number }).n;
  }
}

function toFingerprint(row: TrackedFileRow): RecordedFingerprint | null {
  if (row.fp_hash === null || row.fp_size === null) return null;
  return {
    size: row.fp_size,
    mtimeNs: BigInt(row.fp_mtime_ns ?? '0'),
    ctimeNs: BigInt(row.fp_ctime_ns ?? '0'),
    ino: BigInt(row.fp_ino ?? '0'),
    hash: row.fp_hash,
    takenNs: BigInt(row.fp_taken_ns ?? '0'),
  };
}
