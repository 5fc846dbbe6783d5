/**
 * TensorBoard event files (`events.out.tfevents.<time>.<host>...`): TFRecords (see TfRecord.ts)
 * each holding a tensorflow `Event`, read with protobufjs against the part of event.proto,
 * summary.proto and tensor.proto embedded below. Scalars come two ways, both read:
 * - `simple_value` (TF1 tf.summary, PyTorch's SummaryWriter, tensorboardX);
 * - a rank-0 `tensor` (TF2 tf.summary.scalar, Keras' TensorBoard callback) with the "scalars"
 *   plugin, its value in tensor_content (raw little-endian) or float_val / double_val / int_val /
 *   int64_val. TF2 writes the plugin metadata with a tag's first value only, so a tag's plugin is
 *   remembered; a rank-0 numeric tensor of a tag whose plugin is unknown counts too.
 * Images, audio, histograms and text are skipped without being decoded. Names are the tags,
 * slashes kept (`train/loss`); steps are the events' steps, in file order.
 *
 * Speed: a training run logs a scalar event every few steps, so an event file is mostly a
 * million tiny Events. protobufjs's generated decoder spends ~1 µs on each (three nested message
 * objects, a Long, a fresh string for the same few tags), which would make a 50 MB file take
 * seconds. So the Event → Summary → Value envelope is walked here with protobufjs's own Reader
 * by field number, tags are decoded once per distinct byte string, and only the messages worth
 * an object — a Value's TensorProto and SummaryMetadata — go through the protobufjs types.
 */
import * as protobuf from 'protobufjs';
import { SeriesCollector, invalidMetricsFile, type MetricsFile } from './MetricsFile';
import { scanTfRecords } from './TfRecord';

/**
 * From tensorflow/core/util/event.proto, core/framework/summary.proto, tensor.proto,
 * tensor_shape.proto (Apache-2.0); the field numbers are TensorFlow's. Messages this reader never
 * looks into (graph defs, images, audio, histograms, run metadata) are declared as bytes or left
 * out. Event, Summary and Value document the envelope walked by hand below (the wire keys there
 * are their fields) and let tests encode events; TensorProto and SummaryMetadata are decoded.
 */
export const TENSORBOARD_PROTO = `
syntax = "proto3";
package tensorboard;

message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    bytes graph_def = 4;
    Summary summary = 5;
    bytes log_message = 6;
    bytes session_log = 7;
    bytes tagged_run_metadata = 8;
    bytes meta_graph_def = 9;
  }
}

message Summary {
  repeated Value value = 1;
}

message Value {
  string node_name = 7;
  string tag = 1;
  SummaryMetadata metadata = 9;
  oneof value {
    float simple_value = 2;
    bytes obsolete_old_style_histogram = 3;
    bytes image = 4;
    bytes histo = 5;
    bytes audio = 6;
    TensorProto tensor = 8;
  }
}

message SummaryMetadata {
  message PluginData {
    string plugin_name = 1;
    bytes content = 2;
  }
  PluginData plugin_data = 1;
  string display_name = 2;
  string summary_description = 3;
  int32 data_class = 4;
}

message TensorShapeProto {
  message Dim {
    int64 size = 1;
    string name = 2;
  }
  repeated Dim dim = 2;
  bool unknown_rank = 3;
}

message TensorProto {
  int32 dtype = 1;
  TensorShapeProto tensor_shape = 2;
  bytes tensor_content = 4;
  repeated float float_val = 5;
  repeated double double_val = 6;
  repeated int32 int_val = 7;
  repeated int64 int64_val = 10;
}
`;

/** tensorflow DataType values this reader turns into numbers. */
const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_INT32 = 3;
const DT_INT64 = 9;

/** Wire keys (field number << 3 | wire type) of the envelope fields walked by hand. */
const EVENT_STEP = (2 << 3) | 0;
const EVENT_SUMMARY = (5 << 3) | 2;
const SUMMARY_VALUE = (1 << 3) | 2;
const VALUE_TAG = (1 << 3) | 2;
const VALUE_SIMPLE_VALUE = (2 << 3) | 5;
const VALUE_TENSOR = (8 << 3) | 2;
const VALUE_METADATA = (9 << 3) | 2;

/** protobufjs decodes int64 as a Long when the `long` package is present, else as a number. */
type Int64 = number | { toNumber(): number };

interface TensorMessage {
  dtype?: number;
  tensor_shape?: { dim?: unknown[]; unknown_rank?: boolean };
  tensor_content?: Uint8Array;
  float_val?: number[];
  double_val?: number[];
  int_val?: number[];
  int64_val?: Int64[];
}

interface MetadataMessage {
  plugin_data?: { plugin_name?: string };
}

interface Types {
  tensor: protobuf.Type;
  metadata: protobuf.Type;
}

let TYPES: Types | null = null;

function types(): Types {
  if (!TYPES) {
    const root = protobuf.parse(TENSORBOARD_PROTO, { keepCase: true }).root;
    TYPES = {
      tensor: root.lookupType('tensorboard.TensorProto'),
      metadata: root.lookupType('tensorboard.SummaryMetadata'),
    };
  }
  return TYPES;
}

const MAX_REMEMBERED_TAGS = 64;

/** A damaged Event inside a record whose checksum held: a writer bug, or a file that is not one. */
class CorruptEvent extends Error {}

/** What the walk keeps across events: the series, each tag's plugin, decoded tag names. */
class EventFileState {
  readonly out = new SeriesCollector();
  readonly pluginOfTag = new Map<string, string>();
  /**
   * Tags decoded so far, compared byte for byte: a file repeats a handful of tags a million
   * times, and a short scan of a few recent byte strings beats decoding (or hashing) each one.
   */
  private readonly tagNames: { bytes: Uint8Array; name: string }[] = [];

  constructor(readonly types: Types) {}

  /** The tag in buf[start, end), decoded once per distinct tag. */
  tagName(buf: Uint8Array, start: number, end: number): string {
    for (const known of this.tagNames) if (sameBytes(known.bytes, buf, start, end)) return known.name;
    const name = protobuf.util.utf8.read(buf, start, end);
    // Bounded: past this many tags (one per image index, say) the rest are just decoded.
    if (this.tagNames.length < MAX_REMEMBERED_TAGS) this.tagNames.push({ bytes: buf.subarray(start, end), name });
    return name;
  }
}

export function readTensorBoard(relPath: string, bytes: Buffer): MetricsFile {
  const state = new EventFileState(types());
  // A plain Uint8Array gets protobufjs's bounds-checked Reader (its BufferReader clamps
  // over-long fields silently instead of failing), as the ONNX reader does.
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // One Reader for the whole file, bounded to each record in turn through its public pos / len.
  const reader = protobuf.Reader.create(data);
  const scan = scanTfRecords(relPath, data, (dataStart, dataEnd, index, offset) => {
    reader.pos = dataStart;
    reader.len = dataEnd;
    try {
      readEvent(reader, state);
    } catch (err) {
      const problem = err instanceof Error ? err.message : String(err);
      throw invalidMetricsFile(relPath, `TFRecord ${index} at byte ${offset}: not a tensorflow Event (${problem})`);
    }
  });
  const file: MetricsFile = { format: 'tensorboard', metrics: state.out.metrics() };
  if (scan.truncatedTail) file.truncatedTail = true;
  return file;
}

/** An Event: its step, then its summary's values (the step may come after the summary on the wire). */
function readEvent(r: protobuf.Reader, state: EventFileState): void {
  let step = 0;
  let summaryStart = -1;
  let summaryEnd = -1;
  while (r.pos < r.len) {
    const key = r.uint32();
    if (key === EVENT_STEP) step = readInt64AsNumber(r);
    else if (key === EVENT_SUMMARY) {
      summaryEnd = endOfField(r, r.len);
      summaryStart = r.pos;
      r.pos = summaryEnd;
    } else r.skipType(key & 7);
  }
  if (summaryStart < 0) return;
  r.pos = summaryStart;
  while (r.pos < summaryEnd) {
    const key = r.uint32();
    if (key === SUMMARY_VALUE) {
      const end = endOfField(r, summaryEnd);
      readValue(r, end, step, state);
      if (r.pos !== end) throw new CorruptEvent('a summary value overruns its length');
    } else r.skipType(key & 7);
  }
  if (r.pos !== summaryEnd) throw new CorruptEvent('the summary overruns its length');
}

function readValue(r: protobuf.Reader, end: number, step: number, state: EventFileState): void {
  let tag = '';
  let simple: number | null = null;
  let tensor: TensorMessage | null = null;
  let plugin: string | undefined;
  while (r.pos < end) {
    const key = r.uint32();
    if (key === VALUE_TAG) {
      const tagEnd = endOfField(r, end);
      tag = state.tagName(r.buf, r.pos, tagEnd);
      r.pos = tagEnd;
    } else if (key === VALUE_SIMPLE_VALUE) simple = r.float();
    else if (key === VALUE_TENSOR) tensor = decodeWithin(r, end, state.types.tensor) as TensorMessage;
    else if (key === VALUE_METADATA) {
      plugin = (decodeWithin(r, end, state.types.metadata) as MetadataMessage).plugin_data?.plugin_name || plugin;
    } else r.skipType(key & 7);
  }
  if (plugin) state.pluginOfTag.set(tag, plugin);
  if (simple !== null) {
    state.out.add(tag, step, simple);
    return;
  }
  if (!tensor) return;
  const known = state.pluginOfTag.get(tag);
  if (known !== undefined && known !== 'scalars') return;
  const value = scalarOfTensor(tensor);
  if (value !== null) state.out.add(tag, step, value);
}

/** Reads a length prefix and returns where the field ends, which must be within `limit`. */
function endOfField(r: protobuf.Reader, limit: number): number {
  const length = r.uint32();
  const end = r.pos + length;
  if (end > limit) throw new CorruptEvent(`a field of ${length} bytes at ${r.pos} overruns its message`);
  return end;
}

function decodeWithin(r: protobuf.Reader, limit: number, type: protobuf.Type): unknown {
  const end = endOfField(r, limit);
  const start = r.pos;
  return type.decode(r, end - start);
}

/** The number a rank-0 numeric tensor holds; null for any other tensor. */
function scalarOfTensor(t: TensorMessage): number | null {
  const shape = t.tensor_shape;
  if (shape && (shape.unknown_rank || (shape.dim?.length ?? 0) > 0)) return null;
  const content = t.tensor_content;
  const raw = content && content.length > 0 ? new DataView(content.buffer, content.byteOffset, content.length) : null;
  switch (t.dtype) {
    case DT_FLOAT:
      return raw && raw.byteLength >= 4 ? raw.getFloat32(0, true) : (t.float_val?.[0] ?? null);
    case DT_DOUBLE:
      return raw && raw.byteLength >= 8 ? raw.getFloat64(0, true) : (t.double_val?.[0] ?? null);
    case DT_INT32:
      return raw && raw.byteLength >= 4 ? raw.getInt32(0, true) : (t.int_val?.[0] ?? null);
    case DT_INT64: {
      if (raw && raw.byteLength >= 8) return Number(raw.getBigInt64(0, true));
      const first = t.int64_val?.[0];
      return first === undefined ? null : numberOfInt64(first);
    }
    default:
      return null;
  }
}

/**
 * An int64 varint as a number, read off the Reader's bytes: r.int64() allocates a Long per
 * call, once per event. Exact up to 2^53, as any step is; negative values come back negative.
 */
function readInt64AsNumber(r: protobuf.Reader): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (r.pos >= r.len) throw new CorruptEvent('a varint runs past the end of the record');
    const b = r.buf[r.pos++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value >= 2 ** 63 ? value - 2 ** 64 : value;
    scale *= 128;
  }
  throw new CorruptEvent('a varint longer than 10 bytes');
}

function numberOfInt64(v: Int64): number {
  return typeof v === 'number' ? v : v.toNumber();
}

/** Whether `a` holds the bytes of buf[start, end). */
function sameBytes(a: Uint8Array, buf: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== buf[start + i]) return false;
  return true;
}
