import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as protobuf from 'protobufjs';
import { maskedCrc32c } from './Crc32c';
import type { MetricsFile } from './MetricsFile';
import { assertInvalidFile, fixtureBytes, metricOf, names } from './MetricsTestFixtures';
import { TENSORBOARD_PROTO, readTensorBoard } from './TensorBoard';

/** What make_tfevents.py says each fixture holds (values float32-rounded as on the wire). */
interface Expected {
  records?: number;
  metrics?: Record<string, { steps: number[]; values: number[] }>;
  badRecord?: number;
  badOffset?: number;
}
const EXPECTED = JSON.parse(fixtureBytes('tfevents-expected.json').toString('utf8')) as Record<string, Expected>;
const TF1 = 'runs/tf1/events.out.tfevents.1700000000.fixture-host.4242.0';
const TF2 = 'logs/train/events.out.tfevents.1700000100.fixture-host.4242.1.v2';
const BAD_CRC = 'broken/crc/events.out.tfevents.1700000200.fixture-host.4242.2';
const TRUNCATED = 'broken/truncated/events.out.tfevents.1700000300.fixture-host.4242.3';

function expectedOf(relPath: string): Expected {
  const e = EXPECTED[relPath];
  assert.ok(e, `tfevents-expected.json has no ${relPath}`);
  return e;
}

function assertMatchesExpected(file: MetricsFile, relPath: string): void {
  const expected = expectedOf(relPath).metrics ?? {};
  assert.deepEqual(names(file).sort(), Object.keys(expected).sort());
  for (const [name, series] of Object.entries(expected)) {
    const m = metricOf(file, name);
    assert.deepEqual(m.steps, series.steps, `${name} steps`);
    assert.deepEqual(m.values, series.values, `${name} values`);
  }
}

// Synthetic files, written with protobufjs and this package's CRC (the fixtures are the
// independent check; these only vary what the fixtures cannot).
const root = protobuf.parse(TENSORBOARD_PROTO, { keepCase: true }).root;
const Event = root.lookupType('tensorboard.Event');

function frame(data: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt32LE(data.length, 0);
  header.writeUInt32LE(maskedCrc32c(header, 0, 8), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([header, data, footer]);
}

function scalarEvent(step: number, tag: string, value: number): Buffer {
  const event = { wall_time: 1.7e9 + step, step, summary: { value: [{ tag, simple_value: value }] } };
  return frame(Event.encode(Event.create(event)).finish());
}

describe('TensorBoard event files', () => {
  test('TF1 / SummaryWriter: simple_value scalars; histograms, images and the graph skipped', () => {
    const file = readTensorBoard(TF1, fixtureBytes(TF1));
    assert.equal(file.format, 'tensorboard');
    assert.equal(file.truncatedTail, undefined);
    assert.deepEqual(names(file), ['train/loss', 'val/acc']);
    assert.equal(metricOf(file, 'train/loss').steps.length, 100);
    assert.deepEqual(metricOf(file, 'val/acc').steps.slice(0, 3), [0, 1, 2]);
    assertMatchesExpected(file, TF1);
  });

  test('TF2 tf.summary: rank-0 tensors in tensor_content, float_val, double_val, int64_val', () => {
    const file = readTensorBoard(TF2, fixtureBytes(TF2));
    // The plugin metadata comes with each tag's first value only: later values still count.
    assert.deepEqual(names(file), ['epoch_loss', 'epoch_accuracy', 'learning_rate', 'examples_seen']);
    assert.equal(metricOf(file, 'epoch_loss').values.length, 20);
    // Beyond 32 bits: int64 read whole. The text tensor and the rank-2 histogram are not scalars.
    assert.ok((metricOf(file, 'examples_seen').values[0] as number) > 2 ** 32);
    assertMatchesExpected(file, TF2);
  });

  test('a changed checksum is an error naming the file, the record and its offset', () => {
    const { badRecord, badOffset } = expectedOf(BAD_CRC);
    const err = assertInvalidFile(
      () => readTensorBoard(BAD_CRC, fixtureBytes(BAD_CRC)),
      BAD_CRC,
      /data checksum mismatch/,
    );
    assert.match(err.message, new RegExp(`TFRecord ${badRecord} at byte ${badOffset}\\b`));
  });

  test('a last record cut short (a live writer) keeps the complete records and marks the tail', () => {
    const file = readTensorBoard(TRUNCATED, fixtureBytes(TRUNCATED));
    assert.equal(file.truncatedTail, true);
    assert.equal(metricOf(file, 'val/acc').values.length, 99);
    assertMatchesExpected(file, TRUNCATED);
  });

  test('cut anywhere inside the last record: same points, tail marked', () => {
    const whole = fixtureBytes(TF1);
    const lastStart = whole.length - lastRecordLength(whole);
    // Inside the header, right after it, inside the data, one byte short of the footer.
    for (const keep of [1, 4, 11, 12, 13, 20, lastRecordLength(whole) - 1]) {
      const file = readTensorBoard(TF1, whole.subarray(0, lastStart + keep));
      assert.equal(file.truncatedTail, true, `kept ${keep} bytes`);
      assert.equal(metricOf(file, 'val/acc').values.length, 99);
    }
  });

  test('a file cut inside its first record is damaged, not live', () => {
    const whole = fixtureBytes(TF1);
    for (const size of [1, 11, 12, 20]) {
      assertInvalidFile(() => readTensorBoard(TF1, whole.subarray(0, size)), TF1, /TFRecord 0 at byte 0: cut short/);
    }
  });

  test('an empty file holds nothing yet', () => {
    assert.deepEqual(readTensorBoard(TF1, Buffer.alloc(0)), { format: 'tensorboard', metrics: [] });
  });

  test('a changed length checksum is an error, not a truncation', () => {
    const bytes = Buffer.from(fixtureBytes(TF1));
    const third = recordOffsets(bytes)[2] as number;
    bytes[third + 9] = (bytes[third + 9] as number) ^ 0x01;
    assertInvalidFile(
      () => readTensorBoard(TF1, bytes),
      TF1,
      new RegExp(`TFRecord 2 at byte ${third}: length checksum mismatch`),
    );
  });

  test('a record whose checksums hold but whose data is no Event is an error naming it', () => {
    const garbage = frame(Buffer.from([0x2a, 0x7f, 0x0a, 0x03])); // summary field claiming 127 bytes
    const bytes = Buffer.concat([scalarEvent(0, 'loss', 1), garbage]);
    assertInvalidFile(() => readTensorBoard(TF1, bytes), TF1, /TFRecord 1 at byte \d+: not a tensorflow Event/);
  });

  test('the step may follow the summary on the wire; a zero value is still a point', () => {
    const value = protobuf.Writer.create().uint32(0x0a).string('loss').uint32(0x15).float(0).finish();
    const summary = protobuf.Writer.create().uint32(0x0a).bytes(value).finish();
    const event = protobuf.Writer.create().uint32(0x2a).bytes(summary).uint32(0x10).int64(7).finish();
    const file = readTensorBoard(TF1, frame(event));
    assert.deepEqual(file.metrics, [{ name: 'loss', steps: [7], values: [0] }]);
  });

  test('a ~5 MB file parses fast (linear time)', (t) => {
    const records: Buffer[] = [];
    let size = 0;
    const tags = ['train/loss', 'train/lr', 'val/acc'];
    for (let step = 0; size < 5 * 1024 * 1024; step++) {
      const r = scalarEvent(step, tags[step % 3] as string, step / 1000);
      records.push(r);
      size += r.length;
    }
    const bytes = Buffer.concat(records);
    const started = performance.now();
    const file = readTensorBoard(TF1, bytes);
    const ms = performance.now() - started;
    assert.equal(
      file.metrics.reduce((n, m) => n + m.values.length, 0),
      records.length,
    );
    t.diagnostic(`${(bytes.length / 2 ** 20).toFixed(1)} MB, ${records.length} records: ${ms.toFixed(0)} ms`);
    // Loose on purpose (a loaded CI box): ~100 ms is typical; quadratic behaviour would be minutes.
    assert.ok(ms < 2000, `${records.length} records in ${ms.toFixed(0)} ms`);
  });
});

/** Header offsets of every record, read from the framing. */
function recordOffsets(bytes: Buffer): number[] {
  const offsets: number[] = [];
  for (let at = 0; at + 12 <= bytes.length; at += 16 + bytes.readUInt32LE(at)) offsets.push(at);
  return offsets;
}

function lastRecordLength(bytes: Buffer): number {
  const offsets = recordOffsets(bytes);
  return bytes.length - (offsets[offsets.length - 1] as number);
}
