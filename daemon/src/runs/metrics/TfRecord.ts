/**
 * TFRecord framing, the container of TensorBoard event files. Each record is
 *   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes |
 *   `length` data bytes | uint32 masked CRC-32C of the data.
 * Both checksums are verified. A last record cut short — inside its header, or past a valid
 * length checksum — is what a writer that is still appending leaves (TensorFlow and PyTorch flush
 * event files every few seconds while training): the complete records before it are returned and
 * the tail is reported, unless no record is complete at all, which is a damaged file instead.
 */
import { maskedCrc32c } from './Crc32c';
import { invalidMetricsFile } from './MetricsFile';

const HEADER_BYTES = 12;
const FOOTER_BYTES = 4;

export interface TfRecordScan {
  /** How many complete records were visited. */
  records: number;
  truncatedTail: boolean;
}

/**
 * Calls `visit` with the range of each record's data in `bytes` — a range, not a view, since a
 * million small allocations are most of the cost of a big file — its index and the byte offset
 * of its header. Throws invalid-file on a checksum mismatch, naming the record.
 */
export function scanTfRecords(
  relPath: string,
  bytes: Uint8Array,
  visit: (dataStart: number, dataEnd: number, index: number, offset: number) => void,
): TfRecordScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  let index = 0;
  while (offset < bytes.length) {
    const left = bytes.length - offset;
    if (left < HEADER_BYTES) return cutShort(relPath, index, offset, `${left} of its ${HEADER_BYTES} header bytes`);
    if (maskedCrc32c(bytes, offset, offset + 8) !== view.getUint32(offset + 8, true)) {
      throw recordError(relPath, index, offset, 'length checksum mismatch');
    }
    // The length is checksummed, so a huge one is real: a record still being written.
    const length = view.getUint32(offset, true) + view.getUint32(offset + 4, true) * 2 ** 32;
    const dataStart = offset + HEADER_BYTES;
    if (length + FOOTER_BYTES > bytes.length - dataStart) {
      const what = `${left - HEADER_BYTES} of its ${length + FOOTER_BYTES} data and checksum bytes`;
      return cutShort(relPath, index, offset, what);
    }
    const dataEnd = dataStart + length;
    if (maskedCrc32c(bytes, dataStart, dataEnd) !== view.getUint32(dataEnd, true)) {
      throw recordError(relPath, index, offset, 'data checksum mismatch');
    }
    visit(dataStart, dataEnd, index, offset);
    offset = dataEnd + FOOTER_BYTES;
    index++;
  }
  return { records: index, truncatedTail: false };
}

/** The file ends inside record `index`: a live writer's tail after complete records, else damage. */
function cutShort(relPath: string, index: number, offset: number, what: string): TfRecordScan {
  if (index === 0) throw recordError(relPath, index, offset, `cut short (${what})`);
  return { records: index, truncatedTail: true };
}

function recordError(relPath: string, index: number, offset: number, problem: string): Error {
  return invalidMetricsFile(relPath, `TFRecord ${index} at byte ${offset}: ${problem}`);
}
