/**
 * bzip2 (joblib's `compress='bz2'`, Python's bz2 module), decoded by seek-bzip: a pure-JS
 * decoder that checks every block and stream CRC. It reads and writes one byte at a time
 * through the objects given here: the input refuses to read past its end, the output refuses
 * the byte past `cap`, so a bomb stops there, not at the end of memory. Concatenated streams
 * are read as Python's `bz2.decompress` reads them.
 */
import Bunzip from 'seek-bzip';
import { DecodeError, Output } from './lzma';

const END_MAGIC = 0x177245385090n;

/** The compressed bytes; reading past them is a truncation (seek-bzip would read zeros). */
class BoundedInput {
  private pos = 0;

  constructor(private readonly data: Uint8Array) {}

  readByte(): number {
    const b = this.data[this.pos++];
    if (b === undefined) throw new DecodeError('truncated bzip2 data');
    return b;
  }

  /** Up to `length` bytes into `buffer` (the stream header), or -1 at the end. */
  read(buffer: Uint8Array, offset: number, length: number): number {
    const chunk = this.data.subarray(this.pos, this.pos + length);
    if (chunk.length === 0) return -1;
    buffer.set(chunk, offset);
    this.pos += chunk.length;
    return chunk.length;
  }

  seek(pos: number): void {
    this.pos = pos;
  }

  eof(): boolean {
    return this.pos >= this.data.length;
  }
}

/** The bytes seek-bzip decodes, into a capped buffer (`Output.put` throws `OverCapError`). */
class CappedSink {
  constructor(readonly out: Output) {}

  writeByte(byte: number): void {
    this.out.put(byte);
  }
}

/**
 * Whether the data ends with a stream's end: the 48-bit end magic, the 32-bit stream CRC, then
 * under 8 zero bits of padding. seek-bzip stops without error when the input runs out right
 * after a block, so a stream cut there would otherwise pass as complete.
 */
function endsWithStreamEnd(data: Uint8Array): boolean {
  if (data.length < 14) return false;
  let tail = 0n;
  for (const b of data.subarray(data.length - 11)) tail = (tail << 8n) | BigInt(b);
  for (let pad = 0n; pad < 8n; pad++) {
    if ((tail & ((1n << pad) - 1n)) !== 0n) continue;
    if (((tail >> (pad + 32n)) & 0xffffffffffffn) === END_MAGIC) return true;
  }
  return false;
}

export function decodeBzip2(data: Uint8Array, cap: number): Buffer {
  const sink = new CappedSink(new Output(cap));
  try {
    Bunzip.decode(new BoundedInput(data), sink, true);
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    // seek-bzip throws TypeErrors: "Not bzip data", "Data error: Bad block CRC", …
    throw new DecodeError(`bzip2: ${(err as Error).message}`);
  }
  if (!endsWithStreamEnd(data)) throw new DecodeError('truncated bzip2 data: no end-of-stream marker');
  return sink.out.result();
}
