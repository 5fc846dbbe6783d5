import { Blake3Hasher } from '@napi-rs/blake-hash';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline as streamPipeline, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Compressor, DecompressStream } from 'zstd-napi';
import { MlsnapError } from '../../../../shared/src/errors';
import { BlobNotFound, SourceChanged, type BlobBackend } from './BlobBackend';
import { VerifyingStream } from './VerifyingStream';

export type BlobEncoding = 'raw' | 'zstd';
export const BLOB_ENCODINGS: readonly BlobEncoding[] = ['raw', 'zstd'];

export interface StoredBlob {
  hash: string;
  size: number;
  storedSize: number;
  encoding: BlobEncoding;
  /** False when identical content was already stored (dedup). */
  created: boolean;
}

/** An open file to store. Its path is given too, so a local backend may clone it instead of copying bytes. */
export interface FileInput {
  handle: fsp.FileHandle;
  path: string;
}

export interface StoreOptions {
  compress: boolean;
  /** Runs before a new blob becomes visible; throwing aborts the write (see PutOptions.beforeCommit). */
  beforeCommit?: () => Promise<void>;
}

/**
 * Blobs up to this size are cheap to hash whole before any of them is used (~20 ms): the
 * HTTP content route and model diffs check them first, so a corrupt one sends or parses nothing.
 */
export const VERIFY_FIRST_BYTES = 64 * 1024 * 1024;
/** 1 MiB keeps memory flat and is past the point where bigger reads stop paying (measured). */
const CHUNK = 1 << 20;
/** Hashing reads 4 MiB at a time, the next read in flight while this one is hashed. */
const HASH_CHUNK = 4 << 20;
/** Compressed blobs are a series of independent zstd frames, one per 4 MiB of input. */
const ZSTD_FRAME_INPUT = 4 << 20;
/** Compression must save at least 10% on the first frame, else the content is stored raw. */
const ZSTD_MIN_GAIN = 0.9;
const ZSTD_LEVEL = 1;

/** Thrown from beforeCommit when the content turned up under another encoding meanwhile. */
class AlreadyStored extends Error {
  constructor(readonly existing: Located) {
    super('already stored');
  }
}

interface Located {
  encoding: BlobEncoding;
  storedSize: number;
}

/**
 * Content-addressed blobs over any BlobBackend: the name is BLAKE3 of the uncompressed bytes
 * (native BLAKE3 runs ~10x node's SHA-256 here), under key `ab/<hash>` (raw) or
 * `ab/<hash>.zst` (zstd frames). Identical content is stored once. The hash is always known
 * before the backend is asked to store anything, so every backend gets a create-only put
 * under its final key.
 */
export class ContentStore {
  constructor(
    readonly backend: BlobBackend,
    /** A local folder for decompressed copies made by materialize (the store's tmp/ for a local backend, so a crash's leftovers are swept). */
    private readonly opts: { scratchDir: string },
  ) {}

  static keyOf(hash: string, encoding: BlobEncoding): string {
    return `${hash.slice(0, 2)}/${encoding === 'zstd' ? `${hash}.zst` : hash}`;
  }

  /** The blob's file on this machine, when the backend keeps one (problem reports, tests). */
  localPathOf(hash: string, encoding: BlobEncoding): string | null {
    return this.backend.localPath?.(ContentStore.keyOf(hash, encoding)) ?? null;
  }

  /** Which encoding a stored blob has, or null when it is missing. */
  async find(hash: string): Promise<BlobEncoding | null> {
    return (await this.locate(hash))?.encoding ?? null;
  }

  /**
   * The same answer without waiting, through the backend's local files; undefined when the
   * backend has none (the caller then trusts its rows, or awaits find()).
   */
  findLocal(hash: string): BlobEncoding | null | undefined {
    for (const encoding of BLOB_ENCODINGS) {
      const p = this.localPathOf(hash, encoding);
      if (p === null) return undefined;
      if (fs.existsSync(p)) return encoding;
    }
    return null;
  }

  private async locate(hash: string): Promise<Located | null> {
    for (const encoding of BLOB_ENCODINGS) {
      const st = await this.backend.stat(ContentStore.keyOf(hash, encoding));
      if (st !== null) return { encoding, storedSize: st.size };
    }
    return null;
  }

  /**
   * Store an open file's bytes. Raw content is hashed first (4 MiB reads), then — only when
   * new — handed to the backend by path, which a local backend clones (FICLONE): hashing and
   * copying at the same time was measured 5x slower (both contend for the same pages).
   * Compressed content is hashed, then read again to compress; the second read is hashed
   * too and must match, so a blob's bytes always match its name.
   */
  async storeFile(input: FileInput, opts: StoreOptions): Promise<StoredBlob> {
    const hashed = await hashHandle(input.handle);
    const existing = await this.locate(hashed.hash);
    if (existing !== null) return { hash: hashed.hash, size: hashed.size, ...existing, created: false };
    if (!opts.compress) {
      return this.put(hashed.hash, hashed.size, { encoding: 'raw', body: { file: input.path } }, opts.beforeCommit);
    }
    const reread = new Blake3Hasher();
    let rereadBytes = 0;
    const tee = async function* (): AsyncGenerator<Buffer> {
      for await (const c of chunksOf(input.handle)) {
        reread.update(c);
        rereadBytes += c.length;
        yield c;
      }
    };
    const sameBytes = async (): Promise<void> => {
      if (rereadBytes !== hashed.size || reread.digest('hex') !== hashed.hash) {
        throw new SourceChanged(`${input.path} read differently the second time`);
      }
      await opts.beforeCommit?.();
    };
    return this.put(hashed.hash, hashed.size, await encode(tee(), true), sameBytes);
  }

  /** Store bytes held in memory (notebooks already parsed, lockfiles, git patches). */
  async storeBuffer(data: Buffer, opts: { compress: boolean }): Promise<StoredBlob> {
    // The bytes are in memory: hash them first, and write nothing when they are stored already.
    const hash = new Blake3Hasher().update(data).digest('hex');
    const existing = await this.locate(hash);
    if (existing !== null) return { hash, size: data.length, ...existing, created: false };
    return this.put(hash, data.length, await encode(once(data), opts.compress));
  }

  /**
   * Store many small buffers (a first scan of a checkpoint folder): hashed and encoded in
   * memory, those not stored yet handed to the backend together (`putMany`: one durability
   * barrier for all) or one by one where it has no such call. In the order given; identical
   * buffers are written once.
   */
  async storeMany(items: readonly { data: Buffer; compress: boolean }[]): Promise<StoredBlob[]> {
    const out: StoredBlob[] = [];
    const pending = new Map<string, { bytes: Buffer; blob: StoredBlob }>();
    for (const item of items) {
      const hash = new Blake3Hasher().update(item.data).digest('hex');
      const queued = [...BLOB_ENCODINGS].map((e) => pending.get(ContentStore.keyOf(hash, e))).find((p) => p);
      if (queued !== undefined) {
        out.push({ ...queued.blob, created: false });
        continue;
      }
      const existing = await this.locateQuickly(hash);
      if (existing !== null) {
        out.push({ hash, size: item.data.length, ...existing, created: false });
        continue;
      }
      const encoded = encodeSmall(item.data, item.compress);
      const blob: StoredBlob = {
        hash,
        size: item.data.length,
        storedSize: encoded.bytes.length,
        encoding: encoded.encoding,
        created: true,
      };
      pending.set(ContentStore.keyOf(hash, encoded.encoding), { bytes: encoded.bytes, blob });
      out.push(blob);
    }
    await this.putPending(pending);
    return out;
  }

  /** locate() through the backend's local files without a round trip to the thread pool (two existsSync for a new blob). */
  private async locateQuickly(hash: string): Promise<Located | null> {
    const local = this.findLocal(hash);
    if (local === undefined) return this.locate(hash);
    if (local === null) return null;
    return { encoding: local, storedSize: fs.statSync(this.localPathOf(hash, local) as string).size };
  }

  private async putPending(pending: Map<string, { bytes: Buffer; blob: StoredBlob }>): Promise<void> {
    const entries = [...pending].map(([key, p]) => ({ key, bytes: p.bytes, blob: p.blob }));
    if (entries.length === 0) return;
    const results =
      this.backend.putMany !== undefined
        ? await this.backend.putMany(entries)
        : await sequentialPuts(this.backend, entries);
    // A blob another writer stored meanwhile is not ours to report as new.
    results.forEach((r, i) => {
      if (!r.created) (entries[i] as { blob: StoredBlob }).blob.created = false;
    });
  }

  /** Put under the final key; content that appeared under the other encoding meanwhile wins. */
  private async put(
    hash: string,
    size: number,
    encoded: Encoded,
    beforeCommit?: () => Promise<void>,
  ): Promise<StoredBlob> {
    const key = ContentStore.keyOf(hash, encoded.encoding);
    const check = async (): Promise<void> => {
      await beforeCommit?.();
      const other = await this.locate(hash);
      if (other !== null) throw new AlreadyStored(other);
    };
    try {
      // Raw bytes are the content itself, so their count is known; a file that grew or shrank since it was hashed fails here.
      const length = encoded.encoding === 'raw' ? { length: size } : {};
      const r = await this.backend.put(key, encoded.body, { ...length, beforeCommit: check });
      return { hash, size, storedSize: r.size, encoding: encoded.encoding, created: r.created };
    } catch (e) {
      if (e instanceof AlreadyStored) return { hash, size, ...e.existing, created: false };
      throw e;
    }
  }

  /** The blob's original bytes as a stream (decompressed when stored as zstd). */
  openRead(hash: string): Readable {
    // With local files a missing blob is reported here, at once, as it always was.
    const local = this.findLocal(hash);
    if (local === null) throw missing(hash);
    return Readable.from(this.decoded(hash, local), { objectMode: false });
  }

  /**
   * The blob's original bytes, hashed as they stream: the stream ends with an `io` error
   * naming `expect.label` (a version, path@N) and the blob when the bytes do not hash to
   * their name or their length is not the recorded one, and a compressed blob that does not
   * decompress fails the same way. A raw blob of the wrong length fails before its first
   * byte. Every read that hands bytes on (cat, the editor, restore, diffs, uploads) goes
   * through here; the last chunk only comes once the check passed (see VerifyingStream).
   */
  openVerified(hash: string, expect: ReadExpectation): Readable {
    const local = this.findLocal(hash);
    if (local === null) throw missing(hash);
    return this.verifiedStream(hash, local, expect);
  }

  /** Check a blob whole before any of it is handed on (used for small reads). */
  async verify(hash: string, expect: ReadExpectation): Promise<void> {
    for await (const _chunk of this.openVerified(hash, expect)) {
      // Reading is the check.
    }
  }

  private verifiedStream(hash: string, known: BlobEncoding | undefined, expect: ReadExpectation): Readable {
    const check = new VerifyingStream(hash, expect.size, (why) => corrupt(hash, expect, why));
    // pipeline (not pipe): a failure on either side ends the other, and a reader that goes
    // away closes the blob too.
    return streamPipeline(
      Readable.from(this.checkedSource(hash, known, expect), { objectMode: false }),
      check,
      () => undefined,
    );
  }

  /** decoded(), with its failures (a zstd frame that does not decode, EIO) said as this version's corrupt blob. */
  private async *checkedSource(
    hash: string,
    known: BlobEncoding | undefined,
    expect: ReadExpectation,
  ): AsyncGenerator<Buffer> {
    try {
      const encoding = known ?? (await this.find(hash));
      if (encoding === null) throw missing(hash);
      if (encoding === 'raw') await this.checkRawLength(hash, expect);
      yield* this.decoded(hash, encoding);
    } catch (e) {
      if (e instanceof MlsnapError) throw e;
      throw corrupt(hash, expect, `it cannot be read (${(e as Error).message})`);
    }
  }

  /** A raw blob's stored length is its content's: a stat tells a truncated or grown one before any byte is used. */
  private async checkRawLength(hash: string, expect: ReadExpectation): Promise<void> {
    const st = await this.backend.stat(ContentStore.keyOf(hash, 'raw'));
    if (st !== null && st.size !== expect.size)
      throw corrupt(hash, expect, `it is stored as ${st.size} bytes, not the ${expect.size} recorded`);
  }

  private async *decoded(hash: string, known: BlobEncoding | undefined): AsyncGenerator<Buffer> {
    const encoding = known ?? (await this.find(hash));
    if (encoding === null) throw missing(hash);
    let raw: Readable;
    try {
      raw = await this.backend.get(ContentStore.keyOf(hash, encoding));
    } catch (e) {
      throw e instanceof BlobNotFound ? missing(hash) : e;
    }
    // pipeline (not pipe): when the reader goes away, the blob is closed too.
    const bytes = encoding === 'raw' ? raw : streamPipeline(raw, new DecompressStream(), () => undefined);
    for await (const chunk of bytes) yield chunk as Buffer;
  }

  /**
   * A file holding the blob's original bytes, for parsers that read by position (model
   * formats): the blob itself when the backend has it locally and raw, else a temp copy in
   * the scratch folder, removed by release().
   */
  async materialize(hash: string, expect: ReadExpectation): Promise<{ path: string; release(): Promise<void> }> {
    const local = this.findLocal(hash);
    const encoding = local === undefined ? await this.find(hash) : local;
    if (encoding === null)
      throw new MlsnapError('not-found', `blob ${hash} is missing from the store; run \`mlsnap check\``);
    const own = encoding === 'raw' ? this.localPathOf(hash, 'raw') : null;
    if (own !== null) {
      // Parsers read raw blobs in place, often a few header bytes of a GiB file, so the hash is
      // checked only when asked (`wholeRead`); the length always is.
      if (expect.wholeRead === true) await this.verify(hash, expect);
      else await this.checkRawLength(hash, expect);
      return { path: own, release: async () => undefined };
    }
    const tmp = path.join(this.opts.scratchDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    try {
      await pipeline(
        this.verifiedStream(hash, encoding, expect),
        fs.createWriteStream(tmp, { flags: 'wx', mode: 0o600 }),
      );
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    }
    return { path: tmp, release: () => fsp.rm(tmp, { force: true }) };
  }

  /** The whole blob in memory; checked against its hash when `expect` is given (always, for versions). */
  async readBuffer(hash: string, expect?: ReadExpectation): Promise<Buffer> {
    const parts: Buffer[] = [];
    const source = expect === undefined ? this.openRead(hash) : this.openVerified(hash, expect);
    for await (const chunk of source) parts.push(chunk as Buffer);
    return Buffer.concat(parts);
  }

  /** Recompute a blob's hash from its stored bytes. */
  async rehash(hash: string): Promise<{ hash: string; size: number }> {
    const hasher = new Blake3Hasher();
    let size = 0;
    for await (const chunk of this.openRead(hash)) {
      hasher.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { hash: hasher.digest('hex'), size };
  }

  async delete(hash: string): Promise<void> {
    for (const encoding of BLOB_ENCODINGS) await this.backend.delete(ContentStore.keyOf(hash, encoding));
  }

  /** Deletions deleteIf began and has not finished, by hash. */
  private readonly deleting = new Map<string, Promise<void>>();

  /**
   * Delete the blob's files if `free()` (asked now, in the same turn of the event loop as the
   * deletion is noted) says nothing needs them; returns whether it did. gc frees blobs beside
   * fetches, which store a file before marking its row: a fetch of a hash that awaits
   * `settled` first either began before the judgement (its row was there to be seen: `free`
   * says no) or waits until the deletion is over (and stores the file anew).
   */
  async deleteIf(hash: string, free: () => boolean): Promise<boolean> {
    if (!free()) return false;
    // Noted before the deletion starts: a fetch the deletion's first step lets in must see it.
    let done = (): void => {};
    const over = new Promise<void>((resolve) => (done = resolve));
    this.deleting.set(hash, over);
    try {
      await this.delete(hash);
    } finally {
      this.deleting.delete(hash);
      done();
    }
    return true;
  }

  /** Resolves once no deleteIf of `hash` is under way. */
  async settled(hash: string): Promise<void> {
    await this.deleting.get(hash);
  }

  /** Every blob hash the backend holds, for orphan and missing-blob checks. */
  async listHashes(): Promise<string[]> {
    const out: string[] = [];
    for await (const key of this.backend.list()) {
      const name = key.slice(key.lastIndexOf('/') + 1);
      out.push(name.endsWith('.zst') ? name.slice(0, -4) : name);
    }
    return out;
  }
}

/** What a read of a version's blob must find: its length, and who it is for error messages. */
export interface ReadExpectation {
  size: number;
  /** The version the bytes belong to, as users name it: `path@N`. */
  label: string;
  /** materialize of a raw blob: check the hash first, not only the length (the caller will read every byte, or the blob is small). */
  wholeRead?: boolean;
}

function corrupt(hash: string, expect: ReadExpectation, why: string): MlsnapError {
  return new MlsnapError(
    'io',
    `the stored bytes of ${expect.label} are corrupt: blob ${hash.slice(0, 16)} failed its check (${why}); nothing of it was used. Run \`mlsnap check\` to list every damaged blob`,
    expect.label.replace(/@\d+$/, ''),
  );
}

function missing(hash: string): MlsnapError {
  return new MlsnapError('not-found', `blob ${hash} is missing from the store`);
}

interface Encoded {
  encoding: BlobEncoding;
  body: AsyncIterable<Buffer> | { file: string };
}

let compressor: Compressor | null = null;

/**
 * One zstd context for the whole process: compress() is synchronous, so concurrent blob
 * writes never share it at the same time, and contexts are costly to create (several MiB).
 */
function sharedCompressor(): Compressor {
  if (compressor === null) {
    compressor = new Compressor();
    compressor.setParameters({ compressionLevel: ZSTD_LEVEL, checksumFlag: true });
  }
  return compressor;
}

/**
 * Decide the encoding from the first frame (so the key is known before anything is written),
 * then stream the rest the same way: zstd frames of 4 MiB of input each, or the raw bytes
 * when compression is not asked for or does not pay.
 */
async function encode(chunks: AsyncIterable<Buffer>, compress: boolean): Promise<Encoded> {
  if (!compress) return { encoding: 'raw', body: chunks };
  const frames = framesOf(chunks);
  const head = await frames.next();
  // framesOf yields at least one frame, empty for empty input (stored as one empty zstd frame).
  const first = head.done === true ? Buffer.alloc(0) : head.value;
  const packed = sharedCompressor().compress(first);
  if (first.length > 0 && packed.length > first.length * ZSTD_MIN_GAIN)
    return { encoding: 'raw', body: prepend(first, frames) };
  return { encoding: 'zstd', body: prepend(packed, compressEach(frames)) };
}

/** A buffer's encoding decided as `encode` does (one frame: small buffers are under ZSTD_FRAME_INPUT). */
function encodeSmall(data: Buffer, compress: boolean): { encoding: BlobEncoding; bytes: Buffer } {
  if (!compress || data.length > ZSTD_FRAME_INPUT) return { encoding: 'raw', bytes: data };
  const packed = sharedCompressor().compress(data);
  if (data.length > 0 && packed.length > data.length * ZSTD_MIN_GAIN) return { encoding: 'raw', bytes: data };
  return { encoding: 'zstd', bytes: packed };
}

async function sequentialPuts(
  backend: BlobBackend,
  entries: readonly { key: string; bytes: Buffer }[],
): Promise<{ created: boolean }[]> {
  const results: { created: boolean }[] = [];
  for (const e of entries) results.push(await backend.put(e.key, e.bytes, { length: e.bytes.length }));
  return results;
}

async function* prepend(first: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield first;
  for (let r = await rest.next(); r.done !== true; r = await rest.next()) yield r.value;
}

async function* compressEach(frames: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  for (let r = await frames.next(); r.done !== true; r = await frames.next())
    yield sharedCompressor().compress(r.value);
}

/** Regroup chunks into frames of exactly ZSTD_FRAME_INPUT bytes (the last one shorter), copying each byte once. */
async function* framesOf(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const pending: Buffer[] = [];
  let pendingBytes = 0;
  let yielded = false;
  const take = (n: number): Buffer => {
    const parts: Buffer[] = [];
    for (let need = n; need > 0;) {
      const head = pending[0] as Buffer;
      if (head.length <= need) {
        parts.push(head);
        pending.shift();
        need -= head.length;
      } else {
        parts.push(head.subarray(0, need));
        pending[0] = head.subarray(need);
        need = 0;
      }
    }
    pendingBytes -= n;
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, n);
  };
  for await (const c of chunks) {
    pending.push(c);
    pendingBytes += c.length;
    while (pendingBytes >= ZSTD_FRAME_INPUT) {
      yielded = true;
      yield take(ZSTD_FRAME_INPUT);
    }
  }
  if (pendingBytes > 0 || !yielded) yield take(pendingBytes);
}

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

/** Yield a file handle's bytes from the start (fresh buffers: chunks are handed to async writes). */
async function* chunksOf(source: fsp.FileHandle): AsyncGenerator<Buffer> {
  let position = 0;
  // Small files (metrics, most JSON) get a buffer of their size, not a 1 MiB one each.
  const size = (await source.stat()).size;
  for (;;) {
    const buf = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK, size - position + 1)));
    const { bytesRead } = await source.read(buf, 0, buf.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
  }
}

async function hashHandle(source: fsp.FileHandle): Promise<{ hash: string; size: number }> {
  const hasher = new Blake3Hasher();
  const buffers = [Buffer.allocUnsafe(HASH_CHUNK), Buffer.allocUnsafe(HASH_CHUNK)];
  let position = 0;
  let current = 0;
  let pending = source.read(buffers[0] as Buffer, 0, HASH_CHUNK, 0);
  for (;;) {
    const { bytesRead, buffer } = await pending;
    if (bytesRead === 0) break;
    position += bytesRead;
    current ^= 1;
    pending = source.read(buffers[current] as Buffer, 0, HASH_CHUNK, position);
    hasher.update(buffer.subarray(0, bytesRead));
  }
  return { hash: hasher.digest('hex'), size: position };
}
