/**
 * TensorBoard event files, two ways per input: as the whole file (TFRecord framing, both
 * checksums), and as Event messages that the target frames itself with correct checksums (the
 * input split at "REC!"), which reaches the Event / Summary / TensorProto decoding that a mutated
 * file (whose CRCs break) rarely does.
 */
import { maskedCrc32c } from '../../../daemon/src/runs/metrics/Crc32c';
import { readTensorBoard } from '../../../daemon/src/runs/metrics/TensorBoard';
import { scanTfRecords } from '../../../daemon/src/runs/metrics/TfRecord';
import { expectParsedSync, fixtureBytes } from '../harness';

const file = 'logs/events.out.tfevents.1700000000.host.1.0';
const SEPARATOR = Buffer.from('REC!');

/** One TFRecord: length, its masked CRC, the data, its masked CRC. */
function record(data: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeBigUInt64LE(BigInt(data.length), 0);
  head.writeUInt32LE(maskedCrc32c(head, 0, 8), 8);
  const foot = Buffer.alloc(4);
  foot.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([head, data, foot]);
}

function split(data: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  for (let at = 0; ;) {
    const next = data.indexOf(SEPARATOR, at);
    parts.push(data.subarray(at, next < 0 ? data.length : next));
    if (next < 0) return parts;
    at = next + SEPARATOR.length;
  }
}

export function fuzz(data: Buffer): void {
  expectParsedSync(file, () => readTensorBoard(file, data));
  const framed = Buffer.concat(split(data).map(record));
  expectParsedSync(file, () => readTensorBoard(file, framed));
}

export function seeds(): Buffer[] {
  const files = fixtureBytes(['test/fixtures/metrics'], (f) => f.includes('tfevents.'));
  const events = files.map((bytes) => {
    const records: Buffer[] = [];
    try {
      scanTfRecords('seed', bytes, (start, end) => records.push(bytes.subarray(start, end)));
    } catch {
      // the damaged fixtures (bad CRC) still seed the whole-file mode
    }
    return Buffer.concat(records.flatMap((r, i) => (i === 0 ? [r] : [SEPARATOR, r])));
  });
  return [...files, ...events.filter((e) => e.length > 0)];
}
