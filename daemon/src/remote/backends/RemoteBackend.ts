import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import {
  assertKey,
  SourceChanged,
  isFileSource,
  type BlobBackend,
  type BlobSource,
  type PutResult,
} from '../../store/blobs/BlobBackend';

/**
 * A BlobBackend that lives on shared storage (a mounted folder, S3, Azure Blob), with the
 * three calls team remotes need beyond it:
 *
 * - `head`: size and an opaque etag, so a pointer can be read and then swapped;
 * - `putResumable`: a create-only put of a large object in parts whose progress is handed
 *   to the caller as plain JSON, so an upload killed at 9 GB of 10 continues from 9 GB
 *   (users' top complaint about ML artefact stores is uploads that restart from zero);
 * - `putIfMatch`: compare-and-swap of a small object (a release pointer), the one write on
 *   a shared remote that can conflict. Content-addressed blobs never need it.
 *
 * Moving bytes between stores (what to push, retries across objects, progress) is not here:
 * backends only speak their storage.
 */
export interface RemoteBackend extends BlobBackend {
  /** Size and etag of the object, or null when there is none. */
  head(key: string): Promise<ObjectHead | null>;
  /**
   * Keys starting with `under` (a folder of keys ending in `/`, e.g. `history/`), listed by
   * the storage itself so a pull reads history without listing every data object.
   */
  list(under?: string): AsyncIterable<string>;
  /**
   * `put` for a source that can be read again from any offset, in parts of
   * `state.partSize` (or the backend's default). After each part is durable remotely,
   * `onState` gets the state to persist; passing it back as `state` resumes the upload,
   * sending only the parts the remote does not hold already (the remote is asked, the
   * state is only a hint). Create-only like `put`: an existing object is success.
   * A failed or aborted call leaves its parts for a later resume; `discardResumable`
   * frees them.
   */
  putResumable(key: string, source: RangeSource, opts?: ResumableOptions): Promise<PutResult>;
  /**
   * Free what an unfinished resumable upload holds remotely (missing is fine). Azure has no
   * call for it: its uncommitted blocks expire after 7 days.
   */
  discardResumable(state: ResumableState): Promise<void>;
  /**
   * Replace the object only if its etag is still `etag` (null: only if there is none).
   * Exactly one of several writers with the same `etag` wins; the others get
   * `{ swapped: false }` with what is there now. For small objects: `bytes` is sent whole.
   */
  putIfMatch(key: string, bytes: Uint8Array, etag: string | null): Promise<SwapResult>;
}

export interface ObjectHead {
  size: number;
  /** Opaque: compare for equality and hand back to putIfMatch, nothing more. */
  etag: string;
}

export type SwapResult = { swapped: true; etag: string } | { swapped: false; current: ObjectHead | null };

/** Bytes that can be read from any offset again (a file on disk, a buffer): what makes resume possible. */
export interface RangeSource {
  readonly size: number;
  /** Exactly bytes [offset, offset + length); a source that cannot give them throws SourceChanged. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface ResumableOptions {
  /** State from an earlier call for the same key and source; absent starts afresh. */
  state?: ResumableState;
  /**
   * Called once the upload is opened remotely and after each part is durable there; persist
   * it to resume after a crash. Plain JSON, no secrets in it.
   */
  onState?: (state: ResumableState) => void | Promise<void>;
  /** Runs once every part is uploaded, before the object becomes visible; throwing aborts. */
  beforeCommit?: () => Promise<void>;
  signal?: AbortSignal;
}

/** What an unfinished upload is, as JSON. `uploadId` names the backend's own handle for it. */
export type ResumableState = S3ResumableState | AzureResumableState | FolderResumableState;

interface ResumableBase {
  key: string;
  /** The source's size when the upload began: a source of another size starts afresh. */
  size: number;
  partSize: number;
  uploadId: string;
}

export interface S3ResumableState extends ResumableBase {
  kind: 's3';
  parts: { partNumber: number; etag: string; size: number }[];
}

export interface AzureResumableState extends ResumableBase {
  kind: 'azure';
  /** Block ids staged so far, in the order they landed (block i holds part i). */
  blockIds: string[];
}

export interface FolderResumableState extends ResumableBase {
  kind: 'folder';
  /** Bytes of the `.part` file known to be fsynced. */
  length: number;
}

/** A RangeSource over bytes in memory. */
export function bufferSource(bytes: Uint8Array): RangeSource {
  return {
    size: bytes.length,
    read: (offset, length) => Promise.resolve(bytes.subarray(offset, offset + length)),
  };
}

/**
 * A RangeSource over a file, opened per read so a long upload holds no descriptor between
 * parts. A file that shrank under it fails with SourceChanged rather than sending short parts.
 */
export async function fileSource(file: string): Promise<RangeSource> {
  const size = (await fsp.stat(file)).size;
  return {
    size,
    read: async (offset, length) => {
      const h = await fsp.open(file, 'r');
      try {
        const buf = Buffer.allocUnsafe(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await h.read(buf, got, length - got, offset + got);
          if (bytesRead === 0) throw new SourceChanged(`${file} ended at ${offset + got}, ${size} bytes were expected`);
          got += bytesRead;
        }
        return buf;
      } finally {
        await h.close();
      }
    },
  };
}

export const MiB = 1 << 20;

/**
 * Parts sent at once by a resumable upload: one request at a time leaves a fast link idle
 * between parts (the AWS CLI sends 10); each holds one part in memory.
 */
export const PARTS_IN_FLIGHT = 6;

/** Part i of a source of `size` bytes in parts of `partSize`: [offset, length]. */
export function partRange(i: number, size: number, partSize: number): [number, number] {
  const offset = i * partSize;
  return [offset, Math.min(partSize, size - offset)];
}

/** Parts needed for `size` bytes; an empty source is still one (empty) part. */
export function partCount(size: number, partSize: number): number {
  return Math.max(1, Math.ceil(size / partSize));
}

/**
 * A BlobSource as parts of exactly `partSize` bytes (the last shorter), each a fresh buffer
 * the caller may keep. A file source is streamed from disk.
 */
export async function* partsOf(source: BlobSource, partSize: number): AsyncGenerator<Buffer> {
  if (source instanceof Uint8Array) {
    for (let off = 0; off < source.length; off += partSize) yield Buffer.from(source.subarray(off, off + partSize));
    return;
  }
  const chunks = isFileSource(source) ? fileChunks(source.file) : source;
  let part = Buffer.allocUnsafe(partSize);
  let fill = 0;
  for await (const chunk of chunks) {
    for (let off = 0; off < chunk.length;) {
      const n = Math.min(partSize - fill, chunk.length - off);
      part.set(chunk.subarray(off, off + n), fill);
      fill += n;
      off += n;
      if (fill === partSize) {
        yield part;
        part = Buffer.allocUnsafe(partSize);
        fill = 0;
      }
    }
  }
  if (fill > 0) yield part.subarray(0, fill);
}

async function* fileChunks(file: string): AsyncGenerator<Uint8Array> {
  const h = await fsp.open(file, 'r');
  try {
    for await (const chunk of h.createReadStream({ highWaterMark: MiB, autoClose: false })) yield chunk as Buffer;
  } finally {
    await h.close();
  }
}

/**
 * The first parts of `parts`, up to `threshold` bytes: `whole` when the source ended within
 * them (small enough for one request), else the parts read so far and the rest to come.
 */
export async function splitSmall(
  parts: AsyncGenerator<Buffer>,
  threshold: number,
): Promise<{ whole: Buffer } | { head: Buffer[]; rest: AsyncGenerator<Buffer> }> {
  const head: Buffer[] = [];
  let total = 0;
  for (;;) {
    const next = await parts.next();
    if (next.done === true) return { whole: Buffer.concat(head, total) };
    head.push(next.value);
    total += next.value.length;
    if (total > threshold) return { head, rest: parts };
  }
}

/** SourceChanged unless the source gave the announced `length`. */
export function checkLength(key: string, got: number, want: number | undefined): void {
  if (want !== undefined && got !== want) {
    throw new SourceChanged(`${key}: the source gave ${got} bytes, ${want} were expected`);
  }
}

/** A state that fits this upload (same key, size and kind), else undefined: a mismatch starts afresh. */
export function fittingState<K extends ResumableState['kind']>(
  kind: K,
  key: string,
  size: number,
  state: ResumableState | undefined,
): Extract<ResumableState, { kind: K }> | undefined {
  if (state === undefined || state.kind !== kind || state.key !== key || state.size !== size) return undefined;
  return state as Extract<ResumableState, { kind: K }>;
}

/** A small random id, hex: names one upload (its parts, blocks or .part file). */
export function newUploadId(): string {
  return randomBytes(8).toString('hex');
}

/** `team/ml` → `team/ml/`: keys sit under the prefix as a folder. */
export function normalPrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '') return '';
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** Whether a listed name is one of our keys (a bucket may hold what a person put there too). */
export function isKey(key: string): boolean {
  try {
    assertKey(key);
    return true;
  } catch {
    return false;
  }
}

export async function* concatParts(head: Buffer[], rest: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  yield* head;
  yield* rest;
}
