/**
 * The compressions joblib writes (`compress=('zlib'|'gzip'|'bz2'|'lzma'|'xz', level)`, and
 * old joblib's "ZF" zlib files), recognised by their first bytes and decompressed in memory
 * up to a cap: what is not decompressed cannot be scanned, so a file over the cap or in a
 * compression not read here (lz4) is reported, never passed as clean.
 */
import * as zlib from 'node:zlib';
import { formatBytes, invalid } from '../FileSource';
import { decodeBzip2 } from './bzip2';
import { decodeLzmaAlone, OverCapError } from './lzma';
import { decodeXz } from './xz';

export type Compression = 'zlib' | 'gzip' | 'zf' | 'bz2' | 'xz' | 'lzma' | 'lz4';

/** Compressions joblib writes, by their first bytes. */
export function compressionOf(head: Buffer): Compression | null {
  const b0 = head[0];
  const b1 = head[1];
  if (b0 === undefined || b1 === undefined) return null;
  if (head.subarray(0, 2).toString('latin1') === 'ZF') return 'zf';
  if (b0 === 0x78 && ((b0 << 8) | b1) % 31 === 0) return 'zlib';
  if (b0 === 0x1f && b1 === 0x8b) return 'gzip';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bz2';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.subarray(0, 4).equals(Buffer.from([0x04, 0x22, 0x4d, 0x18]))) return 'lz4';
  if (b0 === 0x5d && b1 === 0x00 && head[2] === 0x00) return 'lzma';
  return null;
}

function inflate(kind: 'zlib' | 'gzip', body: Buffer, cap: number): Buffer {
  // Several gzip members are read as one stream, as Python's gzip module reads them.
  return kind === 'gzip'
    ? zlib.gunzipSync(body, { maxOutputLength: cap })
    : zlib.inflateSync(body, { maxOutputLength: cap });
}

/**
 * The decompressed pickle stream, at most `cap` bytes; an `invalid-file` error for a corrupt
 * stream or one that inflates past the cap. lz4 is not read here: the caller reports it.
 */
export async function decompress(
  file: string,
  kind: Exclude<Compression, 'lz4'>,
  body: Buffer,
  cap: number,
): Promise<Buffer> {
  try {
    switch (kind) {
      case 'zf':
        // Old joblib: "ZF", the uncompressed length in hex padded to 19 bytes, then zlib.
        return inflate('zlib', body.subarray(21), cap);
      case 'zlib':
      case 'gzip':
        return inflate(kind, body, cap);
      case 'bz2':
        return decodeBzip2(body, cap);
      case 'lzma':
        return decodeLzmaAlone(body, cap);
      case 'xz':
        return await decodeXz(body, cap);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (err instanceof OverCapError || code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError)
      throw invalid(file, `compressed pickle inflates to more than the ${formatBytes(cap)} cap`);
    throw invalid(file, `compressed pickle is corrupt (${(err as Error).message})`);
  }
}
