/**
 * ONNX: a protobuf ModelProto. The model and graph messages are walked field by field at the
 * wire level with positional reads, so that tensor payloads (raw_data, float_data...) are
 * never loaded — their byte ranges are kept for compareBytes — and every small message
 * (nodes, inputs, outputs, opsets, metadata, tensor headers) is decoded with protobufjs from
 * the part of onnx.proto embedded below. Sizes and counts are capped.
 */
import * as protobuf from 'protobufjs';
import type { TensorInfo } from '../../../../shared/src/diff';
import { Cursor, fileRangeHasher, formatBytes, invalid, paramsOf, withFile, type ParseOptions } from './FileSource';
import type { ParsedModel } from './types';

/**
 * The part of onnx/onnx.proto (ONNX 1.12, Apache-2.0) this parser decodes. Fields left out
 * (attribute tensors and subgraphs, sparse tensors, training info, functions) are skipped
 * by protobufjs as unknown fields.
 */
export const ONNX_PROTO = `
syntax = "proto2";
package onnx;

message AttributeProto {
  optional string name = 1;
  optional int32 type = 20;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  repeated float floats = 7;
  repeated int64 ints = 8;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  optional string domain = 7;
  repeated AttributeProto attribute = 5;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}

message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional string name = 8;
  repeated StringStringEntryProto external_data = 13;
  optional int32 data_location = 14;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    };
    optional string denotation = 3;
  };
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  message Sequence {
    optional TypeProto elem_type = 1;
  };
  message Map {
    optional int32 key_type = 1;
    optional TypeProto value_type = 2;
  };
  message Optional {
    optional TypeProto elem_type = 1;
  };
  oneof value {
    Tensor tensor_type = 1;
    Sequence sequence_type = 4;
    Map map_type = 5;
    Optional optional_type = 9;
    Tensor sparse_tensor_type = 8;
  }
  optional string denotation = 6;
}
`;

/** TensorProto.DataType → normalised dtype name. */
export const ONNX_DTYPES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8_e4m3fn',
  18: 'float8_e4m3fnuz',
  19: 'float8_e5m2',
  20: 'float8_e5m2fnuz',
  21: 'uint4',
  22: 'int4',
  23: 'float4_e2m1',
};

interface OnnxTypes {
  node: protobuf.Type;
  valueInfo: protobuf.Type;
  opset: protobuf.Type;
  entry: protobuf.Type;
  tensor: protobuf.Type;
}

let TYPES: OnnxTypes | null = null;

function types(): OnnxTypes {
  if (!TYPES) {
    const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
    TYPES = {
      node: root.lookupType('onnx.NodeProto'),
      valueInfo: root.lookupType('onnx.ValueInfoProto'),
      opset: root.lookupType('onnx.OperatorSetIdProto'),
      entry: root.lookupType('onnx.StringStringEntryProto'),
      tensor: root.lookupType('onnx.TensorProto'),
    };
  }
  return TYPES;
}

const CONVERT: protobuf.IConversionOptions = {
  longs: Number,
  enums: Number,
  bytes: String,
  defaults: false,
  arrays: true,
};

interface FieldHeader {
  field: number;
  wire: number;
  /** Absolute position of the tag. */
  start: number;
  /** Varint value (wire 0), or payload length (wire 2). */
  value: number;
  /** Absolute position of the payload (wire 2) or of the end of the field. */
  payload: number;
}

/** Reads the next field header and, for fixed-size fields, skips the value. */
async function nextField(c: Cursor, end: number, what: string): Promise<FieldHeader> {
  const start = c.pos;
  const tag = await c.varint(`${what} field tag`);
  const field = Math.floor(tag / 8);
  const wire = tag % 8;
  if (field === 0) throw invalid(c.file, `corrupt protobuf: field number 0 in ${what} at offset ${start}`);
  let value = 0;
  if (wire === 0) value = await c.varint(`${what} field ${field}`);
  else if (wire === 1) c.skip(8, `${what} field ${field}`);
  else if (wire === 5) c.skip(4, `${what} field ${field}`);
  else if (wire === 2) value = await c.varint(`${what} field ${field} length`);
  else throw invalid(c.file, `corrupt protobuf: wire type ${wire} in ${what} at offset ${start}`);
  const payload = c.pos;
  if (wire === 2 && payload + value > end) {
    throw invalid(
      c.file,
      `truncated or corrupt: ${what} field ${field} of ${value} bytes at offset ${payload} runs past its end (${end})`,
    );
  }
  if (c.pos > end) throw invalid(c.file, `truncated or corrupt: ${what} field ${field} runs past its end`);
  return { field, wire, start, value, payload };
}

function decode(t: protobuf.Type, buf: Buffer, file: string, what: string): Record<string, unknown> {
  try {
    // A plain Uint8Array gets protobufjs's bounds-checked Reader (its BufferReader clamps
    // over-long strings silently instead of failing).
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    return t.toObject(t.decode(protobuf.Reader.create(bytes)), CONVERT) as Record<string, unknown>;
  } catch (err) {
    throw invalid(file, `corrupt ONNX ${what} (${(err as Error).message})`);
  }
}

interface ShapeDim {
  dim_value?: number;
  dim_param?: string;
}

function typeString(t: unknown): string {
  const tt = t as
    | {
        tensor_type?: { elem_type?: number; shape?: { dim?: ShapeDim[] } };
        sequence_type?: unknown;
        map_type?: unknown;
      }
    | undefined;
  if (!tt) return '?';
  if (tt.tensor_type) {
    const dtype = ONNX_DTYPES[tt.tensor_type.elem_type ?? 0] ?? `type${tt.tensor_type.elem_type ?? 0}`;
    const shape = tt.tensor_type.shape;
    if (!shape) return `${dtype} (shape unknown)`;
    const dims = (shape.dim ?? []).map((d) => (d.dim_value !== undefined ? String(d.dim_value) : (d.dim_param ?? '?')));
    return `${dtype} [${dims.join(', ')}]`;
  }
  if (tt.sequence_type) return 'sequence';
  if (tt.map_type) return 'map';
  return '?';
}

export async function parseOnnx(file: string, opts: ParseOptions): Promise<ParsedModel> {
  const T = types();
  const caps = opts.caps;
  return withFile(file, opts.stats, async (src) => {
    const size = src.size;
    if (size === 0) throw invalid(file, 'empty file: not an ONNX model');
    const c = new Cursor(src);
    const facts: Record<string, string> = {};
    const warnings: string[] = [];
    const tensors: TensorInfo[] = [];
    const content = new Map<string, () => Promise<string>>();
    const opCounts: Record<string, number> = {};
    const opsets: string[] = [];
    let irVersion: number | null = null;
    let producer = '';
    let producerVersion = '';
    let graphSeen = false;
    let functions = 0;
    let external = 0;
    let typedData = 0;

    const small = async (h: FieldHeader, what: string): Promise<Buffer | null> => {
      if (h.value > caps.onnxMessageBytes) {
        warnings.push(
          `${what} of ${formatBytes(h.value)} skipped (over the ${formatBytes(caps.onnxMessageBytes)} cap)`,
        );
        c.skip(h.value);
        return null;
      }
      await c.need(h.value, what);
      return Buffer.from(c.bytes(h.value));
    };
    const str = async (h: FieldHeader, what: string, max = 4096): Promise<string> => {
      const n = Math.min(h.value, max);
      if (n > 0) await c.need(n, what);
      const s = n > 0 ? c.bytes(n).toString('utf8') : '';
      c.skip(h.value - n);
      return h.value > max ? `${s}…` : s;
    };

    const walkTensor = async (end: number): Promise<void> => {
      const parts: Buffer[] = [];
      let raw: { pos: number; len: number } | null = null;
      let otherData = false;
      while (c.pos < end) {
        const h = await nextField(c, end, 'TensorProto');
        if (h.wire !== 2) {
          if ([1, 2, 14].includes(h.field)) parts.push(await c.bytesAt(h.start, c.pos - h.start, 'tensor field'));
          continue;
        }
        if (h.field === 9) raw = { pos: h.payload, len: h.value };
        else if ([4, 5, 6, 7, 10, 11].includes(h.field)) otherData = true;
        else if ([1, 8, 13].includes(h.field) && h.value <= caps.onnxMessageBytes)
          parts.push(await c.bytesAt(h.start, h.payload + h.value - h.start, 'tensor field'));
        c.skip(h.value);
      }
      const t = decode(T.tensor, Buffer.concat(parts), file, 'initializer');
      const name = typeof t['name'] === 'string' ? t['name'] : `initializer_${tensors.length}`;
      const dims = Array.isArray(t['dims']) ? (t['dims'] as number[]) : [];
      const dtype = ONNX_DTYPES[Number(t['data_type'] ?? 0)] ?? `type${String(t['data_type'] ?? 0)}`;
      if (tensors.length >= caps.tensors) throw invalid(file, `more than ${caps.tensors} initializers`);
      if (dims.some((d) => !Number.isSafeInteger(d) || d < 0))
        throw invalid(file, `initializer "${name}" has invalid dims ${JSON.stringify(dims)}`);
      tensors.push({ name, dtype, shape: dims, params: paramsOf(dims) });
      if (t['data_location'] === 1) external++;
      if (raw) content.set(name, fileRangeHasher(file, raw.pos, raw.len, opts.stats));
      else if (otherData) typedData++;
    };

    const walkGraph = async (end: number): Promise<void> => {
      let nodes = 0;
      let subgraphs = 0;
      let sparse = 0;
      while (c.pos < end) {
        const h = await nextField(c, end, 'GraphProto');
        if (h.wire !== 2) continue;
        const fieldEnd = h.payload + h.value;
        switch (h.field) {
          case 1: {
            if (++nodes > caps.onnxItems) throw invalid(file, `more than ${caps.onnxItems} nodes`);
            const buf = await small(h, 'node');
            if (!buf) break;
            const n = decode(T.node, buf, file, 'node');
            const op = typeof n['op_type'] === 'string' ? n['op_type'] : '?';
            const domain =
              typeof n['domain'] === 'string' && n['domain'] !== '' && n['domain'] !== 'ai.onnx'
                ? `${n['domain']}.`
                : '';
            const key = `${domain}${op}`;
            opCounts[key] = (opCounts[key] ?? 0) + 1;
            for (const a of (n['attribute'] as { type?: number }[] | undefined) ?? [])
              if (a.type === 5 || a.type === 10) subgraphs++;
            break;
          }
          case 2:
            facts['graph'] = await str(h, 'graph name', 200);
            break;
          case 5:
            await walkTensor(fieldEnd);
            break;
          case 11:
          case 12: {
            const buf = await small(h, 'value info');
            if (!buf) break;
            const v = decode(T.valueInfo, buf, file, h.field === 11 ? 'graph input' : 'graph output');
            const name = typeof v['name'] === 'string' ? v['name'] : '?';
            const key = `${h.field === 11 ? 'input' : 'output'}.${name}`;
            if (Object.keys(facts).length < 10_000) facts[key] = typeString(v['type']);
            break;
          }
          case 15:
            sparse++;
            c.skip(h.value);
            break;
          default:
            c.skip(h.value);
        }
        if (c.pos !== fieldEnd) c.pos = fieldEnd;
      }
      facts['nodes'] = String(nodes);
      if (subgraphs) facts['subgraphs'] = `${subgraphs} (their nodes are not counted)`;
      if (sparse) facts['sparse initializers'] = String(sparse);
    };

    while (c.pos < size) {
      const h = await nextField(c, size, 'ModelProto');
      if (h.wire === 0) {
        if (h.field === 1) irVersion = h.value;
        else if (h.field === 5) facts['model_version'] = String(h.value);
        continue;
      }
      if (h.wire !== 2) continue;
      const fieldEnd = h.payload + h.value;
      switch (h.field) {
        case 2:
          producer = await str(h, 'producer_name', 200);
          break;
        case 3:
          producerVersion = await str(h, 'producer_version', 200);
          break;
        case 4: {
          const d = await str(h, 'domain', 200);
          if (d) facts['domain'] = d;
          break;
        }
        case 7:
          if (graphSeen) throw invalid(file, 'corrupt ONNX: more than one graph');
          graphSeen = true;
          await walkGraph(fieldEnd);
          break;
        case 8: {
          const buf = await small(h, 'opset_import');
          if (!buf) break;
          const o = decode(T.opset, buf, file, 'opset_import');
          const domain = typeof o['domain'] === 'string' && o['domain'] !== '' ? o['domain'] : 'ai.onnx';
          if (opsets.length < 100) opsets.push(`${domain} ${String(o['version'] ?? '?')}`);
          break;
        }
        case 14: {
          const buf = await small(h, 'metadata_props');
          if (!buf) break;
          const e = decode(T.entry, buf, file, 'metadata_props');
          const k = String(e['key'] ?? '');
          const v = String(e['value'] ?? '');
          facts[`metadata.${k}`] = v.length > 200 ? `${v.slice(0, 200)}…` : v;
          break;
        }
        case 25:
          functions++;
          c.skip(h.value);
          break;
        default:
          c.skip(h.value);
      }
      if (c.pos !== fieldEnd) c.pos = fieldEnd;
    }
    if (!graphSeen) throw invalid(file, 'not an ONNX model: no graph');
    if (irVersion === null) warnings.push('no ir_version');
    else facts['ir_version'] = String(irVersion);
    if (producer || producerVersion) facts['producer'] = `${producer} ${producerVersion}`.trim();
    facts['opset'] = opsets.join(', ');
    if (functions) facts['functions'] = String(functions);
    if (external) facts['external data'] = `${external} tensors (not in this file)`;
    if (typedData)
      warnings.push(`${typedData} initializers keep their values in typed fields: their bytes are not compared`);
    return { summary: { format: 'onnx', size, facts, tensors, warnings, opCounts }, content };
  });
}
