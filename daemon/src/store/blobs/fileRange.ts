import * as fsp from 'node:fs/promises';
import { Readable } from 'node:stream';
import { assertRange, BlobNotFound, type ByteRange } from './BlobBackend';

/** Reads are streamed 1 MiB at a time: past that, bigger reads stopped paying here (measured). */
const CHUNK = 1 << 20;

/**
 * A file-backed object's bytes [offset, offset+length), for every backend that keeps objects
 * as files (the local store, a shared folder). A missing file is `BlobNotFound(key)`.
 */
export async function readFileRange(file: string, key: string, range?: ByteRange): Promise<Readable> {
  assertRange(range);
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFound(key);
    throw e;
  }
  if (range === undefined) return handle.createReadStream({ highWaterMark: CHUNK });
  // createReadStream's `end` is inclusive and cannot express an empty range.
  if (range.length === 0) {
    await handle.close();
    return Readable.from([]);
  }
  return handle.createReadStream({ start: range.offset, end: range.offset + range.length - 1, highWaterMark: CHUNK });
}
