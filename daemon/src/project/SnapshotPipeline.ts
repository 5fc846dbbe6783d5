import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  kindOfPath,
  type EnvironmentInfo,
  type FileKind,
  type GitState,
  type LineageLink,
  type Trigger,
} from '../../../shared/src/domain';
import { kindSpec } from '../../../shared/src/fileKinds';
import { MlsnapError } from '../../../shared/src/errors';
import type { SnapshotResult } from '../../../shared/src/protocol';
import type { Log } from '../Log';
import type { ContentStore, StoredBlob } from '../store/blobs/ContentStore';
import type { NewVersion, RecordedFingerprint, SnapshotStore, StatFingerprint } from '../store/SnapshotStore';
import { mapWithConcurrency } from '../Concurrency';
import {
  FileChangedWhileReading,
  fingerprintOf,
  ingestFile,
  readSmallSync,
  readWhole,
  sameFingerprint,
} from './WorkingFiles';

/** One capture: the environment, the source that wrote the file, the `mlsnap run` that did. */
export interface EnvironmentCapture {
  environment: EnvironmentInfo;
  lineage: LineageLink | null;
  runId?: string;
}

/** What the pipeline needs from environment capture (EnvironmentProbe implements it). */
export interface EnvironmentSource {
  capture(relPath: string, fileMtimeMs: number): Promise<EnvironmentCapture>;
  captureGit(): Promise<GitState | null>;
}

/** Notebooks are parsed before they are recorded; past this size they are refused. */
export const MAX_NOTEBOOK_BYTES = 512 * 1024 * 1024;
/** Files read and stored at once: small files spend most of their time in fsync, so two
 * overlapping halves a first scan's time; more raised peak memory (measured: 4 → +48 MB). */
const READ_CONCURRENCY = 2;
/** Versions are committed this many at a time, so a huge first scan keeps memory flat. */
const COMMIT_EVERY = 1000;
/**
 * Files up to this size are read whole and stored in batches (one durability barrier per
 * batch, one environment capture per series of files and moment): a first scan of 5,000
 * checkpoint files of 4 KiB took 35 s one by one, mostly fsyncs and per-file environment lookups.
 */
export const SMALL_FILE = 256 * 1024;
/** A batch holds at most this many files and bytes in memory. */
const BATCH_FILES = 1000;
const BATCH_BYTES = 32 * 1024 * 1024;
/** Outcomes worked on at once in a batch (environment captures, SQLite lookups). */
const BATCH_READS = 8;
/** Small files read synchronously between two turns of the event loop (~2 ms of work). */
const YIELD_EVERY = 64;
/** Files of one series (captureKey) written within this window share one environment capture. */
const CAPTURE_WINDOW_MS = 10_000;

/**
 * Which files of a batch share one environment capture: a series, the files of one folder and
 * kind whose names differ only in their digits (ckpt_0001.pt, ckpt_0002.pt: one run writing a
 * checkpoint folder), within 10 s of mtime. A notebook shares with none: its own metadata names
 * its kernel. Nor do two names of one folder (model.pt and metrics.json may come from two
 * scripts): sharing by folder alone gave a notebook the project venv of the metrics file
 * beside it (seen in CI).
 */
function captureKey(c: Candidate, mtimeMs: number): string {
  const name = path.posix.basename(c.rel);
  const series = c.kind === 'notebook' ? name : name.replace(/\d+/g, '#');
  return [path.posix.dirname(c.rel), c.kind, series, Math.floor(mtimeMs / CAPTURE_WINDOW_MS)].join('\0');
}
/** A file that keeps changing while read is retried this many times, one settle delay apart. */
const READ_ATTEMPTS = 5;

interface Candidate {
  rel: string;
  abs: string;
  kind: FileKind;
  fp: RecordedFingerprint | null;
  /** Size when triaged (the file may change before it is read). */
  size: number;
}

/** A small file read whole, with what its read saw. */
interface SmallRead {
  c: Candidate;
  data: Buffer;
  fingerprint: StatFingerprint;
  mtimeMs: number;
}

type Outcome = { version: NewVersion } | { skipped: string };

/**
 * Turns changed files into versions: stat → skip unchanged → read (streamed, retried while
 * the file changes) → store the blob → capture the environment → one transaction for the
 * snapshot. Runs one request at a time: the daemon is the store's only writer.
 */
export class SnapshotPipeline {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly root: string,
    private readonly store: SnapshotStore,
    private readonly blobs: ContentStore,
    private readonly env: EnvironmentSource,
    private readonly settleMs: number,
    private readonly log: Log,
  ) {}

  /** Serialise: each run starts after the previous one ended, whatever its outcome. */
  run(relPaths: readonly string[], trigger: Trigger, message: string | null): Promise<SnapshotResult> {
    return this.exclusive(() => this.snapshot(relPaths, trigger, message));
  }

  /** Run `fn` with no snapshot in flight (gc must not free a blob a snapshot is about to use). */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.queue.then(fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async snapshot(
    relPaths: readonly string[],
    trigger: Trigger,
    message: string | null,
  ): Promise<SnapshotResult> {
    const takenNs = BigInt(Date.now()) * 1_000_000n;
    const { changed, skipped } = this.triage(relPaths);
    if (changed.length === 0) return this.messageOnly(skipped, trigger, message);
    // Git state is the same for every file of the snapshot: take it once, beside the reads.
    const git = this.env.captureGit().catch((e: unknown) => {
      this.log.warn(`git state not captured: ${String(e)}`);
      return null;
    });
    const explicit = trigger === 'manual' || trigger === 'save';
    let snapshotId: string | undefined;
    let batch: NewVersion[] = [];
    const commit = async (): Promise<void> => {
      if (batch.length === 0) return;
      snapshotId = this.store.recordSnapshot({
        trigger,
        message,
        git: await git,
        versions: batch,
        takenNs,
        ...(snapshotId ? { appendTo: snapshotId } : {}),
      });
      batch = [];
    };
    const collect = async (group: readonly Candidate[], outcomes: readonly Outcome[]): Promise<void> => {
      outcomes.forEach((outcome, j) => {
        if ('version' in outcome) batch.push(outcome.version);
        else skipped.push({ path: (group[j] as Candidate).rel, reason: outcome.skipped });
      });
      if (batch.length >= COMMIT_EVERY) await commit();
    };
    const small = changed.filter((c) => c.size <= SMALL_FILE);
    for (const group of batchesOf(small)) await collect(group, await this.takeBatch(group, takenNs, explicit));
    // Large files a few at a time: their reads, fsyncs and environment lookups overlap.
    const large = changed.filter((c) => c.size > SMALL_FILE);
    for (let i = 0; i < large.length; i += READ_CONCURRENCY) {
      const group = large.slice(i, i + READ_CONCURRENCY);
      await collect(group, await Promise.all(group.map((c) => this.take(c, takenNs, explicit))));
    }
    await commit();
    if (snapshotId === undefined) {
      await git;
      return this.messageOnly(skipped, trigger, message);
    }
    return { snapshot: this.store.snapshot(snapshotId), skipped };
  }

  /**
   * `snapshot -m` right after a write: the watcher may have recorded the same bytes a moment
   * earlier. The message is not lost: it goes to that version (when it has none), and the
   * answer names the snapshot holding it.
   */
  private messageOnly(
    skipped: { path: string; reason: string }[],
    trigger: Trigger,
    message: string | null,
  ): SnapshotResult {
    if (message === null || trigger !== 'manual') return { snapshot: null, skipped };
    let holder: string | null = null;
    for (const s of skipped) {
      if (s.reason !== 'unchanged') continue;
      const latest = this.store.currentVersion(s.path);
      if (!latest) continue;
      if (this.store.setVersionMessage(latest.id, message)) {
        s.reason = `unchanged since ${latest.path}@${latest.seq}, which now carries the message`;
        holder = latest.snapshotId;
      }
    }
    return { snapshot: holder === null ? null : this.store.snapshot(holder), skipped };
  }

  /**
   * Split the request into files that may have changed and files that certainly did not,
   * synchronously: for an unchanged tree this is the whole cost (one lstat per file).
   */
  private triage(relPaths: readonly string[]): { changed: Candidate[]; skipped: { path: string; reason: string }[] } {
    const fingerprints = this.store.allFingerprints();
    const changed: Candidate[] = [];
    const skipped: { path: string; reason: string }[] = [];
    for (const rel of new Set(relPaths)) {
      const abs = path.join(this.root, rel);
      let st: fs.BigIntStats | undefined;
      try {
        st = fs.lstatSync(abs, { bigint: true, throwIfNoEntry: false });
      } catch {
        st = undefined;
      }
      if (st === undefined) {
        skipped.push({ path: rel, reason: 'missing' });
        continue;
      }
      // Symlinks are never followed: they could point out of the project.
      if (!st.isFile()) {
        skipped.push({ path: rel, reason: st.isSymbolicLink() ? 'symbolic link' : 'not a regular file' });
        continue;
      }
      const fp = fingerprints.get(rel) ?? null;
      if (fp && sameFingerprint(fp, fingerprintOf(st)) && !isRacy(fp)) {
        skipped.push({ path: rel, reason: 'unchanged' });
        continue;
      }
      changed.push({ rel, abs, kind: kindOfPath(rel), fp, size: Number(st.size) });
    }
    return { changed, skipped };
  }

  private async take(c: Candidate, takenNs: bigint, explicit: boolean): Promise<Outcome> {
    const read = await this.readWithRetry(c, explicit);
    if ('skipped' in read) return read;
    return this.outcome(c, read, takenNs, (mtimeMs) => this.env.capture(c.rel, mtimeMs));
  }

  /** A stored read as a version, or `unchanged` when its bytes are the file's latest. */
  private async outcome(
    c: Candidate,
    read: { blob: StoredBlob; fingerprint: StatFingerprint; mtimeMs: number },
    takenNs: bigint,
    capture: (mtimeMs: number) => Promise<EnvironmentCapture>,
  ): Promise<Outcome> {
    if (read.blob.hash === (c.fp?.hash ?? this.store.latestHash(c.rel))) {
      this.store.saveFingerprint(c.rel, c.kind, read.fingerprint, read.blob.hash, takenNs);
      return { skipped: 'unchanged' };
    }
    const { environment, lineage, runId } = await capture(read.mtimeMs);
    const renamedFrom =
      c.fp === null && this.store.latestVersion(c.rel) === null ? this.renameSource(c.rel, read.blob.hash) : null;
    return {
      version: {
        renamedFrom,
        path: c.rel,
        kind: c.kind,
        blob: read.blob,
        mtimeMs: read.mtimeMs,
        fingerprint: read.fingerprint,
        environment,
        lineage,
        ...(runId !== undefined ? { runId } : {}),
      },
    };
  }

  /**
   * Small files together: read whole, stored with one durability barrier (ContentStore
   * storeMany), their environment captured once per series (captureKey). A file that
   * changed while read, or grew past SMALL_FILE, takes the one-by-one path with its retries.
   */
  private async takeBatch(group: readonly Candidate[], takenNs: bigint, explicit: boolean): Promise<Outcome[]> {
    const reads: (SmallRead | { skipped: string } | { c: Candidate })[] = [];
    for (const c of group) {
      reads.push(this.readSmall(c, explicit));
      // Synchronous reads: let other requests in every few dozen files.
      if (reads.length % YIELD_EVERY === 0) await yieldToLoop();
    }
    const whole = reads.filter((r): r is SmallRead => 'data' in r);
    const blobs = await this.blobs.storeMany(
      whole.map((r) => ({ data: r.data, compress: kindSpec(r.c.kind).compress })),
    );
    const stored = new Map(whole.map((r, i) => [r.c, blobs[i] as StoredBlob]));
    const captures = new Map<string, Promise<EnvironmentCapture>>();
    const capture = (c: Candidate, mtimeMs: number): Promise<EnvironmentCapture> => {
      const key = captureKey(c, mtimeMs);
      let p = captures.get(key);
      if (p === undefined) captures.set(key, (p = this.env.capture(c.rel, mtimeMs)));
      return p;
    };
    return mapWithConcurrency(reads, BATCH_READS, async (r) => {
      if ('skipped' in r) return r;
      if (!('data' in r)) return this.take(r.c, takenNs, explicit);
      const blob = stored.get(r.c) as StoredBlob;
      return this.outcome(r.c, { blob, fingerprint: r.fingerprint, mtimeMs: r.mtimeMs }, takenNs, (m) =>
        capture(r.c, m),
      );
    });
  }

  /** A small file's bytes, or why it is skipped, or `{ c }`: read it the one-by-one way. */
  private readSmall(c: Candidate, explicit: boolean): SmallRead | { skipped: string } | { c: Candidate } {
    let whole: ReturnType<typeof readSmallSync>;
    try {
      whole = readSmallSync(c.abs, SMALL_FILE);
    } catch (e) {
      // Changed while read, or grown past SMALL_FILE since triage: the one-by-one path reads it.
      if (e instanceof FileChangedWhileReading || (e instanceof MlsnapError && e.kind === 'invalid-file')) return { c };
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { skipped: 'missing' };
      throw e;
    }
    if (c.kind === 'notebook') {
      try {
        assertNotebook(whole.data, c.abs);
      } catch (e) {
        if (explicit) throw e;
        return { skipped: (e as Error).message };
      }
    }
    return { c, ...whole };
  }

  /**
   * A path seen for the first time whose bytes are the last version of a file that is gone
   * from the working folder: a rename (`mv a.pt b.pt`). The newest such file is named.
   */
  private renameSource(rel: string, hash: string): string | null {
    for (const other of this.store.pathsHolding(hash)) {
      if (other === rel || this.store.latestHash(other) !== hash) continue;
      if (!fs.existsSync(path.join(this.root, other))) return other;
    }
    return null;
  }

  private async readWithRetry(
    c: Candidate,
    explicit: boolean,
  ): Promise<{ blob: StoredBlob; fingerprint: StatFingerprint; mtimeMs: number } | { skipped: string }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.read(c);
      } catch (e) {
        if (e instanceof FileChangedWhileReading && attempt < READ_ATTEMPTS) {
          await delay(this.settleMs);
          continue;
        }
        if (e instanceof FileChangedWhileReading) return { skipped: `kept changing while read ${READ_ATTEMPTS} times` };
        if (e instanceof MlsnapError && e.kind === 'invalid-file') {
          // Not logged here: the registry logs each invalid file once (onDidSkipInvalid).
          if (explicit) throw e;
          return { skipped: e.message };
        }
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { skipped: 'missing' };
        throw e;
      }
    }
  }

  private async read(c: Candidate): Promise<{ blob: StoredBlob; fingerprint: StatFingerprint; mtimeMs: number }> {
    // Text (notebooks, metrics) is compressed, weights and unknown binaries are not.
    const compress = kindSpec(c.kind).compress;
    if (c.kind !== 'notebook') {
      return ingestFile(this.blobs, c.abs, { compress }).then((r) => ({
        blob: r,
        fingerprint: r.fingerprint,
        mtimeMs: r.mtimeMs,
      }));
    }
    // A notebook is parsed before it is recorded: a half-written or broken one is refused.
    const whole = await readWhole(c.abs, MAX_NOTEBOOK_BYTES);
    assertNotebook(whole.data, c.abs);
    const blob = await this.blobs.storeBuffer(whole.data, { compress });
    return { blob, fingerprint: whole.fingerprint, mtimeMs: whole.mtimeMs };
  }
}

/**
 * Git's "racy clean" problem: a file modified within the timestamp granularity of the
 * moment its fingerprint was taken could change again with the same stat. Such a file is
 * re-read. File systems with whole-second mtimes get a 2 s window.
 */
export function isRacy(fp: RecordedFingerprint): boolean {
  const window = fp.mtimeNs % 1_000_000_000n === 0n ? 2_000_000_000n : 100_000_000n;
  return fp.mtimeNs + window >= fp.takenNs;
}

export function assertNotebook(data: Buffer, file: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch (e) {
    throw new MlsnapError('invalid-file', `${file} is not valid JSON (${(e as Error).message}); not recorded`, file);
  }
  const nb = parsed as { cells?: unknown; worksheets?: unknown; nbformat?: unknown } | null;
  if (typeof nb !== 'object' || nb === null || (!Array.isArray(nb.cells) && !Array.isArray(nb.worksheets))) {
    throw new MlsnapError('invalid-file', `${file} is JSON but not a notebook (no "cells"); not recorded`, file);
  }
}

/** Candidates in batches of at most BATCH_FILES files and BATCH_BYTES bytes. */
function* batchesOf(cands: readonly Candidate[]): Generator<Candidate[]> {
  let batch: Candidate[] = [];
  let bytes = 0;
  for (const c of cands) {
    if (batch.length > 0 && (batch.length >= BATCH_FILES || bytes + c.size > BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(c);
    bytes += c.size;
  }
  if (batch.length > 0) yield batch;
}

function yieldToLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
