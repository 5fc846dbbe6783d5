import { Blake3Hasher } from '@napi-rs/blake-hash';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline as streamPipeline, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Compressor, DecompressStream } from 'zstd-napi';
import { MlsnapError } from '../../../shared/src/errors';

export type BlobEncoding = 'raw' | 'zstd';

export interface StatFingerprint {
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
}

export interface StoredBlob {
  hash: string;
  size: number;
  storedSize: number;
  encoding: BlobEncoding;
  /** False when identical content was already stored (dedup). */
  created: boolean;
}

export interface IngestResult extends StoredBlob {
  /** The file's stat, identical before and after it was read. */
  fingerprint: StatFingerprint;
  mtimeMs: number;
}

/** Thrown when a file's size or mtime differ before and after reading it. */
export class FileChangedWhileReading extends Error {
  constructor(readonly file: string) {
    super(`${file} changed while it was being read`);
  }
}

/** 1 MiB keeps memory flat and is past the point where bigger reads stop paying (measured). */
const CHUNK = 1 << 20;
/** Compressed blobs are a series of independent zstd frames, one per 4 MiB of input. */
const ZSTD_FRAME_INPUT = 4 << 20;
/** Compression must save at least 10% on the first frame, else the file is stored raw. */
const ZSTD_MIN_GAIN = 0.9;
const ZSTD_LEVEL = 1;

export function fingerprintOf(st: fs.BigIntStats): StatFingerprint {
  return { size: Number(st.size), mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino };
}

export function sameFingerprint(a: StatFingerprint, b: StatFingerprint): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;
}

/**
 * Content-addressed blobs under `<store>/blobs/ab/<blake3>` (raw) or `<blake3>.zst`.
 * The hash is BLAKE3 of the uncompressed bytes: native BLAKE3 runs ~10x node's SHA-256 here.
 * Every blob is written temp → verify length → fsync → link (never replaces an existing
 * blob) → fsync directory, before any database row may point at it.
 */
export class BlobStore {
  private readonly blobsDir: string;
  private readonly tmpDir: string;

  constructor(readonly storeDir: string) {
    this.blobsDir = path.join(storeDir, 'blobs');
    this.tmpDir = path.join(storeDir, 'tmp');
    fs.mkdirSync(this.blobsDir, { recursive: true });
    fs.mkdirSync(this.tmpDir, { recursive: true });
  }

  /** Remove temp files left by a crash: they were never linked, so nothing points at them. */
  sweepTemp(): number {
    let n = 0;
    for (const name of fs.readdirSync(this.tmpDir)) {
      fs.rmSync(path.join(this.tmpDir, name), { force: true });
      n++;
    }
    return n;
  }

  pathOf(hash: string, encoding: BlobEncoding): string {
    return path.join(this.blobsDir, hash.slice(0, 2), encoding === 'zstd' ? `${hash}.zst` : hash);
  }

  /** Which encoding a stored blob has, or null when it is missing. */
  find(hash: string): BlobEncoding | null {
    if (fs.existsSync(this.pathOf(hash, 'raw'))) return 'raw';
    if (fs.existsSync(this.pathOf(hash, 'zstd'))) return 'zstd';
    return null;
  }

  /** Stream a file into the store. Throws FileChangedWhileReading if it changed meanwhile. */
  async ingestFile(file: string, opts: { compress: boolean }): Promise<IngestResult> {
    const handle = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      const before = fingerprintOf(await handle.stat({ bigint: true }));
      const stored = opts.compress ? await this.copyFrom(handle, true) : await this.copyRaw(file, handle);
      const afterStat = await handle.stat({ bigint: true });
      const after = fingerprintOf(afterStat);
      // ctime is left out: reading can't change it, but a chmod would and that is harmless.
      if (before.size !== after.size || before.mtimeNs !== after.mtimeNs || stored.size !== after.size) {
        // The blob, if one was made, is not deleted: its bytes match its name, and another
        // read may have just deduplicated onto it. Unreferenced, it goes with the next gc.
        throw new FileChangedWhileReading(file);
      }
      return { ...stored, fingerprint: after, mtimeMs: Number(afterStat.mtimeMs) };
    } finally {
      await handle.close();
    }
  }

  /** Store bytes held in memory (notebooks already parsed, lockfiles, git patches). */
  async storeBuffer(data: Buffer, opts: { compress: boolean }): Promise<StoredBlob> {
    // The bytes are in memory: hash them first, and write nothing when they are stored already.
    const hash = new Blake3Hasher().update(data).digest('hex');
    const encoding = this.find(hash);
    if (encoding !== null) {
      const storedSize = fs.statSync(this.pathOf(hash, encoding)).size;
      return { hash, size: data.length, storedSize, encoding, created: false };
    }
    return this.copyFrom(Readable.from([data]), opts.compress);
  }

  /**
   * Read a whole file that is small enough to hold (a notebook that must be parsed before
   * it is recorded). Same change-while-reading check as ingestFile.
   */
  async readWhole(file: string, maxBytes: number): Promise<{ data: Buffer; fingerprint: StatFingerprint; mtimeMs: number }> {
    const handle = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      const before = fingerprintOf(await handle.stat({ bigint: true }));
      if (before.size > maxBytes) {
        throw new MlsnapError('invalid-file', `${file} is ${before.size} bytes, over the ${maxBytes}-byte limit for notebooks`, file);
      }
      const data = await handle.readFile();
      const afterStat = await handle.stat({ bigint: true });
      const after = fingerprintOf(afterStat);
      if (before.size !== after.size || before.mtimeNs !== after.mtimeNs || data.length !== after.size) {
        throw new FileChangedWhileReading(file);
      }
      return { data, fingerprint: after, mtimeMs: Number(afterStat.mtimeMs) };
    } finally {
      await handle.close();
    }
  }

  /** Copy from a file handle or stream to a temp file, hashing on the way, then commit. */
  private async copyFrom(source: fsp.FileHandle | Readable, compress: boolean): Promise<StoredBlob> {
    const tmp = this.tempPath();
    const out = await fsp.open(tmp, 'wx', 0o444);
    let committed = false;
    try {
      const hasher = new Blake3Hasher();
      const writer = new BlobWriter(out, compress);
      for await (const chunk of chunksOf(source)) {
        hasher.update(chunk);
        await writer.write(chunk);
      }
      await writer.end();
      const storedSize = (await out.stat()).size;
      if (storedSize !== writer.storedBytes) {
        throw new MlsnapError('io', `short write to ${tmp}: ${storedSize} of ${writer.storedBytes} bytes`, tmp);
      }
      await out.sync();
      await out.close();
      const hash = hasher.digest('hex');
      const created = await this.commit(tmp, hash, writer.encoding);
      committed = true;
      return { hash, size: writer.inputBytes, storedSize, encoding: writer.encoding, created };
    } finally {
      if (!committed) {
        await out.close().catch(() => undefined);
        await fsp.rm(tmp, { force: true });
      }
    }
  }

  /**
   * Raw blobs (weights): hash the file first (4 MiB reads, the next one in flight while this
   * one is hashed), then — only when the content is new — let the kernel copy it: a
   * copy-on-write clone where the file system has one (FICLONE), else copy_file_range.
   * Hashing and copying at the same time was measured 5x slower here (both contend for the
   * same pages), so they run one after the other. The caller's before/after stat check proves
   * the file did not change meanwhile.
   */
  private async copyRaw(file: string, source: fsp.FileHandle): Promise<StoredBlob> {
    const opened = await source.stat({ bigint: true });
    const hashed = await hashHandle(source);
    if (this.find(hashed.hash) !== null) {
      return { hash: hashed.hash, size: hashed.size, storedSize: hashed.size, encoding: 'raw', created: false };
    }
    const tmp = this.tempPath();
    let committed = false;
    try {
      await fsp.copyFile(file, tmp, fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE);
      // copyFile opens the path again: if a rename swapped another file in meanwhile (a new
      // checkpoint of the same size), the copy is not what was hashed.
      const now = await fsp.stat(file, { bigint: true });
      if (now.ino !== opened.ino || now.dev !== opened.dev || now.mtimeNs !== opened.mtimeNs || now.size !== opened.size) {
        throw new FileChangedWhileReading(file);
      }
      const out = await fsp.open(tmp, 'r+');
      try {
        if ((await out.stat()).size !== hashed.size) throw new FileChangedWhileReading(file);
        await out.chmod(0o444);
        await out.sync();
      } finally {
        await out.close();
      }
      const created = await this.commit(tmp, hashed.hash, 'raw');
      committed = true;
      return { hash: hashed.hash, size: hashed.size, storedSize: hashed.size, encoding: 'raw', created };
    } finally {
      if (!committed) await fsp.rm(tmp, { force: true });
    }
  }

  /**
   * Make the temp file the blob. `link` fails with EEXIST rather than replacing, so an
   * existing blob is never overwritten; identical content is kept once.
   */
  private async commit(tmp: string, hash: string, encoding: BlobEncoding): Promise<boolean> {
    const existing = this.find(hash);
    if (existing !== null) {
      await fsp.rm(tmp, { force: true });
      return false;
    }
    const final = this.pathOf(hash, encoding);
    const dir = path.dirname(final);
    // A new shard folder must itself be durable in blobs/ before the blob in it is.
    if ((await fsp.mkdir(dir, { recursive: true })) !== undefined) await fsyncDir(this.blobsDir);
    let created = true;
    try {
      await fsp.link(tmp, final);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      created = false;
    }
    await fsp.rm(tmp, { force: true });
    await fsyncDir(dir);
    return created;
  }

  private tempPath(): string {
    return path.join(this.tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  /** The blob's original bytes as a stream (decompressed when stored as zstd). */
  openRead(hash: string): Readable {
    const encoding = this.find(hash);
    if (encoding === null) throw new MlsnapError('not-found', `blob ${hash} is missing from the store`);
    const raw = fs.createReadStream(this.pathOf(hash, encoding), { highWaterMark: CHUNK });
    if (encoding === 'raw') return raw;
    // pipeline (not pipe): when the reader goes away, the file is closed too.
    return streamPipeline(raw, new DecompressStream(), () => undefined);
  }

  /**
   * A file holding the blob's original bytes, for parsers that read by position (model
   * formats): the blob itself when raw, else a decompressed temp copy removed by release().
   */
  async materialize(hash: string): Promise<{ path: string; release(): Promise<void> }> {
    const encoding = this.find(hash);
    if (encoding === null) throw new MlsnapError('not-found', `blob ${hash} is missing from the store; run \`mlsnap check\``);
    if (encoding === 'raw') return { path: this.pathOf(hash, 'raw'), release: async () => undefined };
    const tmp = this.tempPath();
    const out = fs.createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
    await pipeline(this.openRead(hash), out);
    return { path: tmp, release: () => fsp.rm(tmp, { force: true }) };
  }

  async readBuffer(hash: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of this.openRead(hash)) parts.push(chunk as Buffer);
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

  delete(hash: string): void {
    fs.rmSync(this.pathOf(hash, 'raw'), { force: true });
    fs.rmSync(this.pathOf(hash, 'zstd'), { force: true });
  }

  /** Every blob hash on disk, for orphan and missing-blob checks. */
  listHashes(): string[] {
    const out: string[] = [];
    for (const dir of fs.readdirSync(this.blobsDir)) {
      for (const name of fs.readdirSync(path.join(this.blobsDir, dir))) {
        out.push(name.endsWith('.zst') ? name.slice(0, -4) : name);
      }
    }
    return out;
  }
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

/** Writes raw or zstd-framed output; picks raw when the first frame does not compress. */
class BlobWriter {
  encoding: BlobEncoding;
  inputBytes = 0;
  storedBytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private decided: boolean;

  constructor(
    private readonly out: fsp.FileHandle,
    compress: boolean,
  ) {
    this.encoding = compress ? 'zstd' : 'raw';
    this.decided = !compress;
  }

  async write(chunk: Buffer): Promise<void> {
    this.inputBytes += chunk.length;
    if (this.encoding === 'raw' && this.decided) return this.emit(chunk);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= ZSTD_FRAME_INPUT) await this.flushFrame();
  }

  async end(): Promise<void> {
    if (this.pendingBytes > 0 || (!this.decided && this.inputBytes === 0)) await this.flushFrame();
  }

  private async flushFrame(): Promise<void> {
    const input = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    if (this.encoding === 'raw') return this.emit(input);
    const frame = sharedCompressor().compress(input);
    if (!this.decided) {
      this.decided = true;
      if (input.length > 0 && frame.length > input.length * ZSTD_MIN_GAIN) {
        this.encoding = 'raw';
        return this.emit(input);
      }
    }
    return this.emit(frame);
  }

  private async emit(buf: Buffer): Promise<void> {
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await this.out.write(buf, off, buf.length - off);
      off += bytesWritten;
    }
    this.storedBytes += buf.length;
  }
}

/** Yield chunks from a file handle (reusing nothing: chunks are handed to async writes). */
async function* chunksOf(source: fsp.FileHandle | Readable): AsyncGenerator<Buffer> {
  if (source instanceof Readable) {
    for await (const c of source) yield c as Buffer;
    return;
  }
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

/** Hashing reads 4 MiB at a time, the next read in flight while this one is hashed. */
const HASH_CHUNK = 4 << 20;

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

async function fsyncDir(dir: string): Promise<void> {
  const h = await fsp.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
