/**
 * Bounded, positional reading of model files. Every parser reads through a `Source` (a file
 * handle or an in-memory buffer) and a `Cursor`, so that: reads never go past the data (a
 * short file is a clear `invalid-file` error naming the file), big payloads are skipped
 * without being read, and tests can count the bytes a parser actually read (`ReadStats`).
 */
import * as fs from 'node:fs';
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { MlsnapError } from '../../../../shared/src/errors';

/** Counts what the parsers read from disk; pass one in to measure (tests, benchmarks). */
export interface ReadStats {
  bytesRead: number;
  reads: number;
}

/** Limits that keep a hostile or corrupt file from costing unbounded memory or time. */
export interface ModelCaps {
  /** safetensors: largest JSON header accepted. */
  safetensorsHeaderBytes: number;
  /** zip: largest entry inflated or read into memory (declared and actual size). */
  zipEntryBytes: number;
  /** zip: most entries in the central directory. */
  zipEntries: number;
  /** zip: largest central directory. */
  zipCentralDirBytes: number;
  /** pickle: most opcodes walked. */
  pickleOps: number;
  /** pickle: most memo entries. */
  pickleMemo: number;
  /** pickle: deepest stack (values on the stack and marks). */
  pickleStack: number;
  /** pickle: longest string kept (longer ones are skipped and kept truncated). */
  pickleStringBytes: number;
  /** pickle: total string bytes kept; past it, strings are kept truncated to 64 bytes. */
  pickleRetainedBytes: number;
  /** joblib: largest decompressed pickle stream. */
  decompressedBytes: number;
  /** JSON documents inside archives (Keras config.json). */
  jsonBytes: number;
  /** ONNX: largest single message (node, value info, tensor metadata) decoded. */
  onnxMessageBytes: number;
  /** ONNX: most nodes, initializers, inputs... per graph. */
  onnxItems: number;
  /** GGUF: most tensors. */
  ggufTensors: number;
  /** GGUF: most key/value pairs. */
  ggufKv: number;
  /** GGUF: longest string (keys and values). */
  ggufStringBytes: number;
  /** GGUF: most elements in one metadata array. */
  ggufArrayItems: number;
  /** GGUF: bytes of header (key/values and tensor infos) read at most. */
  ggufHeaderBytes: number;
  /** Tensors listed per file. */
  tensors: number;
}

export const DEFAULT_CAPS: ModelCaps = {
  safetensorsHeaderBytes: 100 * 1024 * 1024,
  zipEntryBytes: 64 * 1024 * 1024,
  zipEntries: 200_000,
  zipCentralDirBytes: 64 * 1024 * 1024,
  pickleOps: 2_000_000,
  pickleMemo: 1_000_000,
  pickleStack: 1_000_000,
  pickleStringBytes: 1024 * 1024,
  pickleRetainedBytes: 64 * 1024 * 1024,
  decompressedBytes: 256 * 1024 * 1024,
  jsonBytes: 16 * 1024 * 1024,
  onnxMessageBytes: 64 * 1024 * 1024,
  onnxItems: 1_000_000,
  ggufTensors: 1_000_000,
  ggufKv: 100_000,
  ggufStringBytes: 16 * 1024 * 1024,
  ggufArrayItems: 16_000_000,
  ggufHeaderBytes: 512 * 1024 * 1024,
  tensors: 1_000_000,
};

export interface ParseOptions {
  caps: ModelCaps;
  stats: ReadStats | undefined;
}

export function resolveOptions(opts: { caps?: Partial<ModelCaps>; stats?: ReadStats } | undefined): ParseOptions {
  return { caps: { ...DEFAULT_CAPS, ...(opts?.caps ?? {}) }, stats: opts?.stats };
}

/** The typed error every parser throws for a file it cannot accept. */
export function invalid(file: string, problem: string): MlsnapError {
  return new MlsnapError('invalid-file', `${file}: ${problem}`, file);
}

export { formatBytes } from '../../../../shared/src/bytes';

/** Random-access bytes: a file opened read-only, or a buffer (an inflated zip entry). */
export interface Source {
  /** The file the bytes come from, for error messages. */
  readonly file: string;
  readonly size: number;
  /** Exactly `length` bytes at `pos`, or an `invalid-file` error naming `what`. */
  read(pos: number, length: number, what: string): Promise<Buffer>;
}

export class BufferSource implements Source {
  readonly size: number;
  constructor(
    readonly file: string,
    private readonly buf: Buffer,
  ) {
    this.size = buf.length;
  }

  read(pos: number, length: number, what: string): Promise<Buffer> {
    if (pos < 0 || length < 0 || pos + length > this.size) {
      return Promise.reject(
        invalid(
          this.file,
          `truncated: ${what} needs ${length} bytes at offset ${pos}, only ${Math.max(0, this.size - pos)} there`,
        ),
      );
    }
    return Promise.resolve(this.buf.subarray(pos, pos + length));
  }
}

export class FileSource implements Source {
  private constructor(
    readonly file: string,
    private readonly fh: fs.promises.FileHandle,
    readonly size: number,
    private readonly stats: ReadStats | undefined,
  ) {}

  /** Opens a regular file read-only (never a FIFO or device: opening those can block). */
  static async open(file: string, stats?: ReadStats): Promise<FileSource> {
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(file);
    } catch (err) {
      throw openError(file, err);
    }
    if (!st.isFile()) throw invalid(file, 'not a regular file');
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    } catch (err) {
      throw openError(file, err);
    }
    const st2 = await fh.stat();
    if (!st2.isFile()) {
      await fh.close();
      throw invalid(file, 'not a regular file');
    }
    return new FileSource(file, fh, st2.size, stats);
  }

  async read(pos: number, length: number, what: string): Promise<Buffer> {
    if (pos < 0 || length < 0 || pos + length > this.size) {
      throw invalid(this.file, `truncated: ${what} needs ${length} bytes at offset ${pos}, file has ${this.size}`);
    }
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(buf, done, length - done, pos + done);
      if (this.stats) {
        this.stats.bytesRead += bytesRead;
        this.stats.reads++;
      }
      if (bytesRead === 0)
        throw invalid(
          this.file,
          `truncated: ${what} ends at offset ${pos + done}, expected ${length} bytes at ${pos} (file shrank while read?)`,
        );
      done += bytesRead;
    }
    return buf;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

function openError(file: string, err: unknown): MlsnapError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new MlsnapError('not-found', `${file}: no such file`, file);
  if (code === 'EACCES' || code === 'EPERM') return new MlsnapError('io', `${file}: permission denied`, file);
  return new MlsnapError('io', `${file}: cannot open (${code ?? String(err)})`, file);
}

/** Runs `fn` with the file open, and closes it whatever happens. */
export async function withFile<T>(
  file: string,
  stats: ReadStats | undefined,
  fn: (src: FileSource) => Promise<T>,
): Promise<T> {
  const src = await FileSource.open(file, stats);
  try {
    return await fn(src);
  } finally {
    await src.close();
  }
}

const WINDOW = 256 * 1024;

/**
 * Sequential reader over a Source with a read-ahead window. Callers `await need(n)` (only
 * when `avail() < n`: most reads then stay synchronous) and then read synchronously.
 * Skipping past the window costs nothing: the next `need` reads at the new position.
 */
export class Cursor {
  pos: number;
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    readonly src: Source,
    start = 0,
    /** Reads past `end` fail as truncation. */
    readonly end = src.size,
  ) {
    this.pos = start;
  }

  get file(): string {
    return this.src.file;
  }

  avail(): number {
    const off = this.pos - this.bufStart;
    return off >= 0 && off <= this.buf.length ? this.buf.length - off : 0;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  async need(n: number, what = 'data'): Promise<void> {
    if (this.avail() >= n) return;
    if (this.pos + n > this.end) {
      throw invalid(
        this.file,
        `truncated: ${what} needs ${n} bytes at offset ${this.pos}, only ${Math.max(0, this.end - this.pos)} left`,
      );
    }
    const len = Math.min(Math.max(n, WINDOW), this.end - this.pos);
    this.buf = await this.src.read(this.pos, len, what);
    this.bufStart = this.pos;
  }

  private at(n: number): number {
    const off = this.pos - this.bufStart;
    if (off < 0 || off + n > this.buf.length) throw new Error('Cursor read without need()');
    this.pos += n;
    return off;
  }

  u8(): number {
    return this.buf[this.at(1)] as number;
  }
  u16(): number {
    return this.buf.readUInt16LE(this.at(2));
  }
  u32(): number {
    return this.buf.readUInt32LE(this.at(4));
  }
  i32(): number {
    return this.buf.readInt32LE(this.at(4));
  }
  u64(): bigint {
    return this.buf.readBigUInt64LE(this.at(8));
  }
  i64(): bigint {
    return this.buf.readBigInt64LE(this.at(8));
  }
  f32(): number {
    return this.buf.readFloatLE(this.at(4));
  }
  f64(): number {
    return this.buf.readDoubleLE(this.at(8));
  }
  f64be(): number {
    return this.buf.readDoubleBE(this.at(8));
  }
  /** A view of the next n bytes (valid until the next need()). */
  bytes(n: number): Buffer {
    const off = this.at(n);
    return this.buf.subarray(off, off + n);
  }
  /** A copy of `len` bytes at absolute `pos` (from the window when it holds them). */
  async bytesAt(pos: number, len: number, what = 'data'): Promise<Buffer> {
    const off = pos - this.bufStart;
    if (off >= 0 && off + len <= this.buf.length) return Buffer.from(this.buf.subarray(off, off + len));
    if (pos < 0 || pos + len > this.end)
      throw invalid(this.file, `truncated: ${what} needs ${len} bytes at offset ${pos}`);
    return Buffer.from(await this.src.read(pos, len, what));
  }
  /** A protobuf base-128 varint (as a number; values beyond 2^53 lose precision). */
  async varint(what = 'varint'): Promise<number> {
    if (this.avail() < 10) await this.fill(10);
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.avail() < 1) throw invalid(this.file, `truncated: ${what} at offset ${this.pos}`);
      const b = this.u8();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw invalid(this.file, `corrupt: ${what} longer than 10 bytes at offset ${this.pos}`);
  }
  /** Index of `byte` within the window from pos, or -1. */
  indexOf(byte: number): number {
    const off = this.pos - this.bufStart;
    if (off < 0 || off > this.buf.length) return -1;
    const i = this.buf.indexOf(byte, off);
    return i < 0 ? -1 : i - off;
  }
  /** Ensure up to `n` bytes are in the window (fewer at the end of the data). */
  async fill(n: number): Promise<void> {
    const want = Math.min(n, this.end - this.pos);
    if (want > 0) await this.need(want);
  }
  skip(n: number, what = 'data'): void {
    if (n < 0 || this.pos + n > this.end) {
      throw invalid(
        this.file,
        `truncated: ${what} of ${n} bytes at offset ${this.pos} runs past the end (${this.end})`,
      );
    }
    this.pos += n;
  }
}

/** A u64 as a number, or an error when it exceeds 2^53 (no real file needs that). */
export function safeNumber(file: string, v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < 0n) throw invalid(file, `${what} ${v} is out of range`);
  return Number(v);
}

/** BLAKE3 (hex) of `length` bytes at `pos`, streamed 1 MiB at a time. */
export async function hashRange(src: Source, pos: number, length: number): Promise<string> {
  const h = new Blake3Hasher();
  const CHUNK = 1024 * 1024;
  for (let done = 0; done < length;) {
    const n = Math.min(CHUNK, length - done);
    h.update(await src.read(pos + done, n, 'hashed range'));
    done += n;
  }
  return h.digest('hex');
}

export function hashBuffer(buf: Buffer): string {
  return new Blake3Hasher().update(buf).digest('hex');
}

/** Hash of a byte range of a file, opened for the call: what compareBytes uses. */
export function fileRangeHasher(
  file: string,
  pos: number,
  length: number,
  stats: ReadStats | undefined,
): () => Promise<string> {
  return () => withFile(file, stats, (src) => hashRange(src, pos, length));
}

/** params of a shape: the product of its dimensions (a scalar has 1). */
export function paramsOf(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
