import type { Readable } from 'node:stream';

/**
 * Where blob bytes live, and nothing more: a flat, create-only key → bytes map (modelled on
 * restic's backend). Hashing, compression and what a key means belong to ContentStore, so a
 * folder, S3 or Azure Blob backend only has to implement these few calls; each passes
 * `runBackendConformance` (BlobBackend.conformance.ts).
 *
 * Keys are `/`-separated names made of [A-Za-z0-9._-] (e.g. `ab/<hash>`, `ab/<hash>.zst`).
 */
export interface BlobBackend {
  /**
   * Store `source` under `key` unless the key exists. Create-only: an existing object is
   * never replaced, and finding one is success (`created: false`) — keys name their content,
   * so whoever got there first stored the same bytes. Nothing becomes visible under `key`
   * until every byte is durable; a failed put leaves no object.
   */
  put(key: string, source: BlobSource, opts?: PutOptions): Promise<PutResult>;
  /** Bytes [offset, offset + length) of the object, cut short at its end. Rejects with BlobNotFound. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** The object's size, or null when there is none. */
  stat(key: string): Promise<{ size: number } | null>;
  /** Every key, in no particular order. */
  list(): AsyncIterable<string>;
  /** Remove the object; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Optional fast path: the file on this machine that holds (or would hold) `key`, for
   * positional reads without a copy. Null when the backend keeps none. Callers must work
   * without it; a blob's file is read-only and must never be written through.
   */
  localPath?(key: string): string | null;
  /**
   * Optional fast path for many small objects: `put` of each (create-only, all or some may
   * exist already), every new one durable before the call resolves, with one durability
   * barrier for all of them instead of one per object. Callers without it put one by one.
   */
  putMany?(entries: readonly { key: string; bytes: Uint8Array }[]): Promise<PutResult[]>;
}

/**
 * What to store: bytes in memory, a stream of chunks, or a file on this machine (named by
 * path, so a local backend can clone it copy-on-write instead of streaming it).
 */
export type BlobSource = Uint8Array | AsyncIterable<Uint8Array> | FileSource;

export interface FileSource {
  readonly file: string;
}

export interface PutOptions {
  /** The bytes the source must yield; any other count fails with SourceChanged, storing nothing. */
  length?: number;
  /**
   * Runs once every byte is staged and before the object becomes visible: throwing aborts
   * the put (its error is rethrown, nothing is stored). Lets a caller check that what was
   * staged is still what it meant to store (a file re-opened by path may have been replaced).
   */
  beforeCommit?: () => Promise<void>;
}

export interface PutResult {
  /** False when the key already held an object (the new bytes were dropped). */
  created: boolean;
  /** Stored bytes of the object now under the key. */
  size: number;
}

export interface ByteRange {
  offset: number;
  length: number;
}

export class BlobNotFound extends Error {
  constructor(readonly key: string) {
    super(`blob ${key} does not exist`);
    this.name = 'BlobNotFound';
  }
}

/** The source yielded other bytes than announced (it changed while being read): nothing was stored. */
export class SourceChanged extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceChanged';
  }
}

export function isFileSource(source: BlobSource): source is FileSource {
  return (
    !(source instanceof Uint8Array) &&
    !(Symbol.asyncIterator in source) &&
    typeof (source as FileSource).file === 'string'
  );
}

const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;

/** Keys are checked by every backend alike, so none can be tricked into `..` or an absolute path. */
export function assertKey(key: string): void {
  if (!KEY.test(key) || key.length > 1024) throw new RangeError(`invalid blob key ${JSON.stringify(key)}`);
}

export function assertRange(range: ByteRange | undefined): void {
  if (range === undefined) return;
  const ok =
    Number.isSafeInteger(range.offset) && Number.isSafeInteger(range.length) && range.offset >= 0 && range.length >= 0;
  if (!ok) throw new RangeError(`invalid byte range ${JSON.stringify(range)}`);
}
