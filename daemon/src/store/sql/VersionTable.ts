import { randomBytes } from 'node:crypto';
import type { FileKind, LineageLink, Trigger, VersionInfo } from '../../../../shared/src/domain';
import type { StatementCache } from './StatementCache';
import { assertTrigger } from './values';

interface VersionRow {
  id: number;
  path: string;
  seq: number;
  blob_hash: string;
  size: number;
  mtime_ms: number;
  created_at: number;
  trigger: Trigger;
  message: string | null;
  snapshot_id: string;
  environment_id: number | null;
  tags: string | null;
  lineage_source: string | null;
  lineage_reason: string | null;
  renamed_from: string | null;
  uid: string;
  author: string | null;
  host: string | null;
  remotes: string | null;
  here: number | null;
  run_id: string | null;
}

export interface VersionInsert {
  fileId: number;
  blobHash: string;
  size: number;
  mtimeMs: number;
  createdAt: number;
  trigger: Trigger;
  message: string | null;
  snapshotId: string;
  environmentId: number | null;
  lineage: LineageLink | null;
  renamedFrom?: string | null;
  /** Absent: a new id. Pulled versions keep the one they were given where they were recorded. */
  uid?: string;
  author: string | null;
  host: string | null;
  /** The writer id of the project that recorded it, when that is not this one. */
  origin?: string | null;
  /** The `mlsnap run` whose command wrote it. */
  runId?: string | null;
}

/** A version id, the same on every machine: `v` + 16 hex digits. */
export function newVersionUid(): string {
  return `v${randomBytes(8).toString('hex')}`;
}

const VERSION_SELECT = `
  SELECT v.id, f.path, v.seq, v.blob_hash, v.size, v.mtime_ms, v.created_at, v.trigger, v.message,
         v.snapshot_id, v.environment_id,
         (SELECT group_concat(t.name, char(31)) FROM tag t WHERE t.version_id = v.id) AS tags,
         l.source_path AS lineage_source, l.reason AS lineage_reason, v.renamed_from,
         v.uid, v.author, v.host, v.run_id, (SELECT b.here FROM blob b WHERE b.hash = v.blob_hash) AS here,
         (SELECT group_concat(r.remote, char(31)) FROM remote_version r WHERE r.version_id = v.id) AS remotes
  FROM version v JOIN tracked_file f ON f.id = v.file_id
  LEFT JOIN lineage l ON l.version_id = v.id`;

/** Versions of tracked files, each with its tags and its lineage link (the lineage table). */
export class VersionTable {
  constructor(private readonly s: StatementCache) {}

  /** Give a version that has none a message (a `snapshot -m` that found its bytes recorded already). */
  setMessage(id: number, message: string): boolean {
    return this.s.sql('UPDATE version SET message = ? WHERE id = ? AND message IS NULL').run(message, id).changes === 1;
  }

  /** Append the file's next version (seq = last + 1) and its lineage link; returns its id. */
  insert(v: VersionInsert): number {
    assertTrigger(v.trigger);
    const last =
      (this.s.sql('SELECT max(seq) AS m FROM version WHERE file_id = ?').get(v.fileId) as { m: number | null }).m ?? 0;
    const res = this.s
      .sql(
        `INSERT INTO version (file_id, seq, blob_hash, size, mtime_ms, created_at, trigger, message, snapshot_id,
                              environment_id, renamed_from, uid, author, host, origin, run_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        v.fileId,
        last + 1,
        v.blobHash,
        v.size,
        Math.round(v.mtimeMs),
        v.createdAt,
        v.trigger,
        v.message,
        v.snapshotId,
        v.environmentId,
        v.renamedFrom ?? null,
        v.uid ?? newVersionUid(),
        v.author,
        v.host,
        v.origin ?? null,
        v.runId ?? null,
      );
    if (v.lineage) {
      this.s
        .sql('INSERT INTO lineage (version_id, source_path, reason) VALUES (?, ?, ?)')
        .run(res.lastInsertRowid, v.lineage.sourcePath, v.lineage.reason);
    }
    return Number(res.lastInsertRowid);
  }

  /** Versions whose lineage names `sourcePath`, written (mtime) in [fromMs, toMs], not yet any run's. */
  unclaimedWrittenBy(sourcePath: string, fromMs: number, toMs: number): VersionInfo[] {
    const rows = this.s
      .sql(
        `${VERSION_SELECT} WHERE l.source_path = ? AND v.run_id IS NULL AND v.mtime_ms BETWEEN ? AND ?
         ORDER BY f.path, v.seq`,
      )
      .all(sourcePath, Math.floor(fromMs), Math.ceil(toMs)) as VersionRow[];
    return rows.map(toVersion);
  }

  setRun(versionIds: readonly number[], runId: string): void {
    const stmt = this.s.sql('UPDATE version SET run_id = ? WHERE id = ?');
    for (const id of versionIds) stmt.run(runId, id);
  }

  /** Which versions each of the given runs wrote (path, seq, id): one query for a whole listing. */
  writtenByRuns(runIds: readonly string[]): Map<string, { id: number; path: string; seq: number; uid: string }[]> {
    const out = new Map<string, { id: number; path: string; seq: number; uid: string }[]>();
    if (runIds.length === 0) return out;
    const rows = this.s
      .sql(
        `SELECT v.run_id, v.id, f.path, v.seq, v.uid FROM version v JOIN tracked_file f ON f.id = v.file_id
         WHERE v.run_id IN (SELECT value FROM json_each(?)) ORDER BY f.path, v.seq`,
      )
      .all(JSON.stringify(runIds)) as { run_id: string; id: number; path: string; seq: number; uid: string }[];
    for (const r of rows) {
      const list = out.get(r.run_id) ?? [];
      list.push({ id: r.id, path: r.path, seq: r.seq, uid: r.uid });
      out.set(r.run_id, list);
    }
    return out;
  }

  ofRun(runId: string): VersionInfo[] {
    const rows = this.s.sql(`${VERSION_SELECT} WHERE v.run_id = ? ORDER BY f.path, v.seq`).all(runId) as VersionRow[];
    return rows.map(toVersion);
  }

  latestHash(relPath: string): string | null {
    const row = this.s
      .sql(
        `SELECT v.blob_hash AS h FROM version v JOIN tracked_file f ON f.id = v.file_id
         WHERE f.path = ? ORDER BY v.seq DESC LIMIT 1`,
      )
      .get(relPath) as { h: string } | undefined;
    return row?.h ?? null;
  }

  bySeq(relPath: string, seq: number): VersionInfo | null {
    return this.one(`${VERSION_SELECT} WHERE f.path = ? AND v.seq = ?`, relPath, seq);
  }

  latest(relPath: string): VersionInfo | null {
    return this.one(`${VERSION_SELECT} WHERE f.path = ? ORDER BY v.seq DESC LIMIT 1`, relPath);
  }

  /** The version of the same file recorded just before version `seq`. */
  previous(relPath: string, seq: number): VersionInfo | null {
    return this.one(`${VERSION_SELECT} WHERE f.path = ? AND v.seq < ? ORDER BY v.seq DESC LIMIT 1`, relPath, seq);
  }

  byTag(relPath: string, tag: string): VersionInfo | null {
    return this.one(
      `${VERSION_SELECT} JOIN tag tg ON tg.version_id = v.id WHERE f.path = ? AND tg.name = ?`,
      relPath,
      tag,
    );
  }

  /** What a history object needs beyond VersionInfo: the file's kind and the recording project. */
  remoteMeta(id: number): { kind: FileKind; origin: string | null } {
    return this.s
      .sql('SELECT f.kind, v.origin FROM version v JOIN tracked_file f ON f.id = v.file_id WHERE v.id = ?')
      .get(id) as { kind: FileKind; origin: string | null };
  }

  byUid(uid: string): VersionInfo | null {
    return this.one(`${VERSION_SELECT} WHERE v.uid = ?`, uid);
  }

  byId(id: number): VersionInfo | null {
    return this.one(`${VERSION_SELECT} WHERE v.id = ?`, id);
  }

  /** Paths whose versions hold this blob (rename detection), newest first. */
  pathsHolding(hash: string): string[] {
    const rows = this.s
      .sql(
        `SELECT f.path, max(v.id) AS last FROM version v JOIN tracked_file f ON f.id = v.file_id
         WHERE v.blob_hash = ? GROUP BY f.id ORDER BY last DESC LIMIT 20`,
      )
      .all(hash) as { path: string }[];
    return rows.map((r) => r.path);
  }

  /** Newest first, of one file or of all. */
  log(relPath: string | undefined, limit: number): VersionInfo[] {
    const rows = relPath
      ? this.s.sql(`${VERSION_SELECT} WHERE f.path = ? ORDER BY v.id DESC LIMIT ?`).all(relPath, limit)
      : this.s.sql(`${VERSION_SELECT} ORDER BY v.id DESC LIMIT ?`).all(limit);
    return (rows as VersionRow[]).map(toVersion);
  }

  /** The first `limit` versions of a snapshot, by path. */
  inSnapshot(snapshotId: string, limit: number): VersionInfo[] {
    return (
      this.s
        .sql(`${VERSION_SELECT} WHERE v.snapshot_id = ? ORDER BY f.path LIMIT ?`)
        .all(snapshotId, limit) as VersionRow[]
    ).map(toVersion);
  }

  countInSnapshot(snapshotId: string): number {
    return (this.s.sql('SELECT count(*) AS n FROM version WHERE snapshot_id = ?').get(snapshotId) as { n: number }).n;
  }

  count(): number {
    return (this.s.sql('SELECT count(*) AS n FROM version').get() as { n: number }).n;
  }

  /** Blobs the versions point at. */
  blobHashes(): string[] {
    return (this.s.sql('SELECT DISTINCT blob_hash AS h FROM version').all() as { h: string }[]).map((r) => r.h);
  }

  private one(text: string, ...params: unknown[]): VersionInfo | null {
    const row = this.s.sql(text).get(...params) as VersionRow | undefined;
    return row ? toVersion(row) : null;
  }
}

function toVersion(r: VersionRow): VersionInfo {
  return {
    id: r.id,
    path: r.path,
    seq: r.seq,
    blob: r.blob_hash,
    size: r.size,
    createdAt: r.created_at,
    mtimeMs: r.mtime_ms,
    trigger: r.trigger,
    message: r.message,
    snapshotId: r.snapshot_id,
    environmentId: r.environment_id,
    tags: r.tags ? r.tags.split('\x1f').sort() : [],
    lineage: r.lineage_source ? { sourcePath: r.lineage_source, reason: r.lineage_reason ?? '' } : null,
    ...(r.renamed_from ? { renamedFrom: r.renamed_from } : {}),
    uid: r.uid,
    ...(r.author !== null ? { author: r.author } : {}),
    ...(r.host !== null ? { host: r.host } : {}),
    remotes: r.remotes ? r.remotes.split('\x1f').sort() : [],
    ...(r.here === 0 ? { bytesOnRemote: true as const } : {}),
    ...(r.run_id !== null ? { runId: r.run_id } : {}),
  };
}
