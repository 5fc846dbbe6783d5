import {
  SNAPSHOT_VERSIONS_LISTED,
  type EnvironmentInfo,
  type FileKind,
  type GitState,
  type LineageLink,
  type SnapshotInfo,
  type TrackedFileInfo,
  type Trigger,
  type VersionInfo,
} from '../../../shared/src/domain';
import { MlsnapError } from '../../../shared/src/errors';
import type { StoredBlob } from './blobs/ContentStore';
import { closeDatabase, openDatabase, type Db } from './openDatabase';
import { BlobTable, type BlobRow } from './sql/BlobTable';
import { EnvironmentTable } from './sql/EnvironmentTable';
import { newSnapshotId, SnapshotTable } from './sql/SnapshotTable';
import { StatementCache } from './sql/StatementCache';
import { TagTable } from './sql/TagTable';
import { TrackedFileTable, type RecordedFingerprint, type StatFingerprint } from './sql/TrackedFileTable';
import { VersionTable } from './sql/VersionTable';
import { RunTable, type MetricRow } from './sql/RunTable';
import { RemoteTable } from './sql/RemoteTable';
import { localIdentity, type BlobRecord, type VersionRecord } from './VersionRecord';

export type { RecordedFingerprint, StatFingerprint } from './sql/TrackedFileTable';

/** One file's new content, ready to be recorded in a snapshot. */
export interface NewVersion {
  path: string;
  kind: FileKind;
  blob: StoredBlob;
  mtimeMs: number;
  fingerprint: StatFingerprint;
  environment: EnvironmentInfo | null;
  lineage: LineageLink | null;
  /** The deleted file this one is a rename of (same bytes). */
  renamedFrom?: string | null;
  /** The `mlsnap run` whose command wrote it. */
  runId?: string;
}

interface SnapshotInput {
  trigger: Trigger;
  message: string | null;
  git: GitState | null;
  versions: NewVersion[];
  takenNs: bigint;
  appendTo?: string;
}

/**
 * The SQLite side of a project's store: tracked files, versions, snapshots, environments,
 * tags and lineage, one table class each (sql/), sharing one statement cache. This class
 * keeps the operations that span tables (a snapshot's transaction, what references a blob).
 * The daemon is its only writer.
 */
export class SnapshotStore {
  readonly db: Db;
  private readonly trackedFiles: TrackedFileTable;
  private readonly versions: VersionTable;
  private readonly snapshots: SnapshotTable;
  private readonly tags: TagTable;
  private readonly environments: EnvironmentTable;
  private readonly blobs: BlobTable;
  /** Remotes and what each is known to hold. */
  readonly remotes: RemoteTable;
  /** `mlsnap run` executions. */
  readonly runs: RunTable;
  /** Recorded with every version this project makes. */
  readonly identity = localIdentity();

  constructor(dbFile: string) {
    this.db = openDatabase(dbFile);
    const s = new StatementCache(this.db);
    this.trackedFiles = new TrackedFileTable(s);
    this.versions = new VersionTable(s);
    this.snapshots = new SnapshotTable(s);
    this.tags = new TagTable(s);
    this.environments = new EnvironmentTable(s);
    this.blobs = new BlobTable(s);
    this.remotes = new RemoteTable(s);
    this.runs = new RunTable(s);
  }

  close(): void {
    closeDatabase(this.db);
  }

  /** Every file's fingerprint, from memory after the first call (see TrackedFileTable). */
  allFingerprints(): ReadonlyMap<string, RecordedFingerprint> {
    return this.trackedFiles.allFingerprints();
  }

  fingerprint(relPath: string): RecordedFingerprint | null {
    return this.trackedFiles.fingerprint(relPath);
  }

  /** Remember that the file with this stat holds this content, without a new version. */
  saveFingerprint(relPath: string, kind: FileKind, fp: StatFingerprint, hash: string, takenNs: bigint): void {
    this.trackedFiles.upsert(relPath, kind, fp, hash, takenNs);
  }

  latestHash(relPath: string): string | null {
    return this.versions.latestHash(relPath);
  }

  /**
   * Record versions taken together as one snapshot. `appendTo` (when given) appends to a
   * snapshot begun by an earlier call: big batches (a first scan of 20,000 files) are
   * committed a few hundred versions at a time so memory stays flat; each call is one
   * transaction, and every committed version is complete.
   */
  recordSnapshot(input: SnapshotInput): string {
    const id = input.appendTo ?? newSnapshotId();
    const now = Date.now();
    // Versions of one batch share environment objects: serialize and hash each once.
    const envIds = new Map<EnvironmentInfo, number>();
    const tx = this.db.transaction(() => {
      if (input.appendTo === undefined) this.snapshots.insert(id, now, input);
      for (const v of input.versions) this.insertVersion(id, now, input, v, envIds);
    });
    try {
      tx();
    } catch (e) {
      this.trackedFiles.forgetCached();
      throw e;
    }
    return id;
  }

  private insertVersion(
    snapshotId: string,
    now: number,
    input: SnapshotInput,
    v: NewVersion,
    envIds: Map<EnvironmentInfo, number>,
  ): void {
    this.blobs.insert(v.blob);
    const fileId = this.trackedFiles.upsert(v.path, v.kind, v.fingerprint, v.blob.hash, input.takenNs);
    let environmentId: number | null = null;
    if (v.environment) {
      environmentId = envIds.get(v.environment) ?? this.environments.insert(v.environment);
      envIds.set(v.environment, environmentId);
    }
    this.versions.insert({
      fileId,
      blobHash: v.blob.hash,
      size: v.blob.size,
      mtimeMs: v.mtimeMs,
      createdAt: now,
      trigger: input.trigger,
      message: input.message,
      snapshotId,
      environmentId,
      lineage: v.lineage,
      renamedFrom: v.renamedFrom ?? null,
      author: this.identity.author,
      host: this.identity.host,
      runId: v.runId ?? null,
    });
  }

  hasBlob(hash: string): boolean {
    return this.blobs.has(hash);
  }

  insertBlob(b: { hash: string; size: number; storedSize: number; encoding: string }): void {
    this.blobs.insert(b);
  }

  /** The versions a run wrote, by path. */
  versionsOfRun(runId: string): VersionInfo[] {
    return this.versions.ofRun(runId);
  }

  /** Which versions each run wrote, for a listing of many runs. */
  writtenByRuns(runIds: readonly string[]): Map<string, { id: number; path: string; seq: number; uid: string }[]> {
    return this.versions.writtenByRuns(runIds);
  }

  /** Versions a notebook's code names (lineage), written in a time window, that no run has claimed. */
  unclaimedWrittenBy(sourcePath: string, fromMs: number, toMs: number): VersionInfo[] {
    return this.versions.unclaimedWrittenBy(sourcePath, fromMs, toMs);
  }

  /** The metrics a run logged in one file, replaced whole (one transaction: readers see old or new). */
  replaceRunMetrics(runId: string, source: string, rows: readonly MetricRow[]): void {
    this.db.transaction(() => this.runs.replaceMetrics(runId, source, rows))();
  }

  /** These versions were written by this run. */
  claimForRun(versionIds: readonly number[], runId: string): void {
    this.db.transaction(() => this.versions.setRun(versionIds, runId))();
  }

  environment(id: number): EnvironmentInfo | null {
    return this.environments.get(id);
  }

  snapshot(id: string): SnapshotInfo {
    const head = this.snapshots.get(id);
    if (!head) throw new MlsnapError('not-found', `no snapshot ${id}`);
    const versions = this.versions.inSnapshot(id, SNAPSHOT_VERSIONS_LISTED);
    const versionCount =
      versions.length < SNAPSHOT_VERSIONS_LISTED ? versions.length : this.versions.countInSnapshot(id);
    return { ...head, versions, versionCount };
  }

  /** Snapshot ids starting with `prefix`. */
  snapshotsByPrefix(prefix: string): string[] {
    return this.snapshots.byPrefix(prefix);
  }

  versionBySeq(relPath: string, seq: number): VersionInfo | null {
    return this.versions.bySeq(relPath, seq);
  }

  latestVersion(relPath: string): VersionInfo | null {
    return this.versions.latest(relPath);
  }

  /** The version of the same file recorded just before version `seq`. */
  previousVersion(relPath: string, seq: number): VersionInfo | null {
    return this.versions.previous(relPath, seq);
  }

  versionByTag(relPath: string, tag: string): VersionInfo | null {
    return this.versions.byTag(relPath, tag);
  }

  versionById(id: number): VersionInfo | null {
    return this.versions.byId(id);
  }

  /** The latest version of a file when it holds the bytes last seen on disk (its fingerprint's hash). */
  currentVersion(relPath: string): VersionInfo | null {
    const latest = this.latestVersion(relPath);
    return latest && latest.blob === this.fingerprint(relPath)?.hash ? latest : null;
  }

  /** Attach a message to a version recorded without one; false when it already had one. */
  setVersionMessage(id: number, message: string): boolean {
    return this.versions.setMessage(id, message);
  }

  log(relPath: string | undefined, limit: number): VersionInfo[] {
    return this.versions.log(relPath, limit);
  }

  trackedPaths(): string[] {
    return this.trackedFiles.paths();
  }

  files(): TrackedFileInfo[] {
    const deleted = this.trackedFiles.deletedAt();
    return this.trackedFiles.withVersionCounts().map((r) => {
      const at = deleted.get(r.path);
      return {
        path: r.path,
        kind: r.kind,
        versions: r.n,
        latest: this.latestVersion(r.path),
        ...(at === undefined ? {} : { deletedAt: at }),
      };
    });
  }

  /** Tracked files gone from the working folder; their versions stay restorable. */
  markDeleted(relPaths: readonly string[]): number {
    return relPaths.length === 0 ? 0 : this.trackedFiles.markDeleted(relPaths, Date.now());
  }

  /**
   * Deleted files found on disk again. Not done by recording a version: a read that was in
   * flight when the file went proves it existed then, not now (Project decides, by stat).
   */
  markPresent(relPaths: readonly string[]): void {
    if (relPaths.length > 0) this.trackedFiles.markPresent(relPaths);
  }

  /** Tracked files at a project-relative path or under it (a folder), not marked deleted. */
  presentAt(rel: string): string[] {
    return this.trackedFiles.presentAt(rel);
  }

  deletedFiles(): Map<string, number> {
    return this.trackedFiles.deletedAt();
  }

  /** Other paths whose history holds these bytes. */
  pathsHolding(hash: string): string[] {
    return this.versions.pathsHolding(hash);
  }

  addTag(version: VersionInfo, name: string): VersionInfo {
    const fileId = this.trackedFiles.idOf(version.path) as number;
    const taken = this.tags.versionOf(fileId, name);
    if (taken !== null && taken !== version.id) {
      throw new MlsnapError('conflict', `tag "${name}" already names another version of ${version.path}`, version.path);
    }
    this.tags.add(fileId, name, version.id);
    return this.versionById(version.id) as VersionInfo;
  }

  counts(): { trackedFiles: number; deletedFiles: number; versions: number; blobs: number; storedBytes: number } {
    return {
      trackedFiles: this.trackedFiles.count(),
      deletedFiles: this.trackedFiles.deletedAt().size,
      versions: this.versions.count(),
      blobs: this.blobs.count(),
      storedBytes: this.blobs.storedBytes(),
    };
  }

  /**
   * Every blob a row points at whose bytes should be here: versions, git patches and
   * lockfiles inside environments (blobs known only from a remote are fetched when read).
   */
  referencedBlobs(): Set<string> {
    const notHere = new Set(this.blobs.notHere());
    const all = [...this.versions.blobHashes(), ...this.snapshots.patchBlobs(), ...this.environments.lockfileBlobs()];
    return new Set(all.filter((h) => !notHere.has(h)));
  }

  /** The blob's row, whether its bytes are here or only on a remote. */
  blob(hash: string): (BlobRecord & { here: boolean }) | null {
    return this.blobs.get(hash);
  }

  /** Blobs fetched from a remote are now stored here (durable, checked against their hash); one transaction. */
  markBlobsHere(hashes: readonly string[]): void {
    this.db.transaction(() => {
      for (const h of hashes) this.blobs.markHere(h);
    })();
  }

  /** Fingerprints of files written out together (a clone's checkout), in one transaction. */
  saveFingerprints(
    rows: readonly { path: string; kind: FileKind; fp: StatFingerprint; hash: string; takenNs: bigint }[],
  ): void {
    this.db.transaction(() => {
      for (const r of rows) this.trackedFiles.upsert(r.path, r.kind, r.fp, r.hash, r.takenNs);
    })();
  }

  /** This project's id among the writers of a remote. */
  writerId(): string {
    return this.remotes.writer();
  }

  versionByUid(uid: string): VersionInfo | null {
    return this.versions.byUid(uid);
  }

  /** Everything another machine needs to hold these versions (see VersionRecord). */
  versionRecords(ids: readonly number[]): VersionRecord[] {
    const writer = this.writerId();
    return ids.map((id) => {
      const v = this.versions.byId(id);
      if (v === null) throw new MlsnapError('not-found', `no version ${id}`);
      const meta = this.versions.remoteMeta(id);
      const head = this.snapshots.get(v.snapshotId);
      if (head === null) throw new MlsnapError('not-found', `no snapshot ${v.snapshotId}`);
      const env = v.environmentId === null ? null : this.environments.get(v.environmentId);
      const extra = [
        ...(head.git?.patchBlob !== undefined ? [head.git.patchBlob] : []),
        ...(env?.lockfiles.map((l) => l.blob) ?? []),
      ];
      return {
        uid: v.uid,
        path: v.path,
        kind: meta.kind,
        blob: this.blobRecord(v.blob),
        mtimeMs: v.mtimeMs,
        createdAt: v.createdAt,
        trigger: v.trigger,
        message: v.message,
        snapshot: {
          id: head.id,
          createdAt: head.createdAt,
          trigger: head.trigger,
          message: head.message,
          git: head.git,
        },
        environment: env,
        lineage: v.lineage,
        renamedFrom: v.renamedFrom ?? null,
        author: v.author ?? this.identity.author,
        host: v.host ?? this.identity.host,
        origin: meta.origin ?? writer,
        extraBlobs: [...new Set(extra)].map((h) => this.blobRecord(h)),
      };
    });
  }

  private blobRecord(hash: string): BlobRecord {
    const b = this.blobs.get(hash);
    if (b === null) throw new MlsnapError('not-found', `blob ${hash} has no row`);
    return { hash: b.hash, size: b.size, storedSize: b.storedSize, encoding: b.encoding };
  }

  /**
   * Record versions read from a remote's history object `key`, in one transaction with the
   * note that the object was read: a crash imports all of it or none. Versions already here
   * (same uid) are only marked as held by the remote. Blobs not here are recorded as known
   * remotely; their bytes come when first read. Working files and fingerprints are untouched.
   */
  importVersions(remote: string, key: string, records: readonly VersionRecord[]): VersionInfo[] {
    const added: number[] = [];
    this.db.transaction(() => {
      for (const r of [...records].sort((a, b) => a.createdAt - b.createdAt)) {
        const known = this.versions.byUid(r.uid);
        const id = known?.id ?? this.insertRecord(r);
        if (known === null) added.push(id);
        this.remotes.markPushed(remote, [{ versionId: id, pushedBlob: null, allowed: [] }]);
        this.remotes.markBlobs(remote, [r.blob.hash, ...r.extraBlobs.map((b) => b.hash)]);
      }
      this.remotes.markHistoryRead(remote, key);
    })();
    return added.map((id) => this.versions.byId(id) as VersionInfo);
  }

  private insertRecord(r: VersionRecord): number {
    for (const b of [r.blob, ...r.extraBlobs]) this.blobs.insertRemote(b);
    if (this.snapshots.get(r.snapshot.id) === null)
      this.snapshots.insert(r.snapshot.id, r.snapshot.createdAt, r.snapshot);
    const fileId = this.trackedFiles.ensure(r.path, r.kind);
    return this.versions.insert({
      fileId,
      blobHash: r.blob.hash,
      size: r.blob.size,
      mtimeMs: r.mtimeMs,
      createdAt: r.createdAt,
      trigger: r.trigger,
      message: r.message,
      snapshotId: r.snapshot.id,
      environmentId: r.environment ? this.environments.insert(r.environment) : null,
      lineage: r.lineage,
      renamedFrom: r.renamedFrom,
      uid: r.uid,
      author: r.author,
      host: r.host,
      origin: r.origin,
    });
  }

  blobRows(): BlobRow[] {
    return this.blobs.rows();
  }
}
