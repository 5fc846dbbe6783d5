/**
 * torch in the value tree: tensors rebuilt by `torch._utils._rebuild_tensor(_v2/_v3)` from a
 * persistent id `('storage', torch.FloatStorage, key, location, numel)`, possibly wrapped in
 * `_rebuild_parameter`; the dtype comes from the storage class (or v3's dtype argument).
 */
import { intOf, intTuple, type PV } from './values';
import { ownEntry } from '../../../../../shared/src/ownEntry';

/** torch storage class → dtype. */
const TORCH_STORAGE: Record<string, string> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
  QInt8Storage: 'qint8',
  QUInt8Storage: 'quint8',
  QInt32Storage: 'qint32',
  QUInt4x2Storage: 'quint4x2',
  QUInt2x4Storage: 'quint2x4',
  Float8_e4m3fnStorage: 'float8_e4m3fn',
  Float8_e5m2Storage: 'float8_e5m2',
  UInt16Storage: 'uint16',
  UInt32Storage: 'uint32',
  UInt64Storage: 'uint64',
};

export const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
  complex64: 8,
  complex128: 16,
  qint8: 1,
  quint8: 1,
  qint32: 4,
  float8_e4m3fn: 1,
  float8_e5m2: 1,
  uint16: 2,
  uint32: 4,
  uint64: 8,
};

/** A tensor rebuilt by torch._utils._rebuild_tensor(_v2): where its data lives. */
export interface TorchTensorRef {
  dtype: string;
  shape: number[];
  stride: number[] | null;
  /** Element offset into the storage. */
  offset: number;
  storageKey: string;
  /** Elements in the storage, as the pickle declares it. */
  storageNumel: number | null;
}

// _rebuild_qtensor takes the same (storage, offset, size, stride) first.
const REBUILD = new Set(['_rebuild_tensor_v2', '_rebuild_tensor', '_rebuild_tensor_v3', '_rebuild_qtensor']);
const PARAMETER = new Set(['_rebuild_parameter', '_rebuild_parameter_with_state']);

/** The _rebuild_tensor call inside any number of _rebuild_parameter wrappers (a loop: a hostile chain is deep). */
function unwrapParameters(v: PV): (PV & { t: 'obj' }) | null {
  let cur: PV | undefined = v;
  while (cur && cur.t === 'obj' && cur.func.t === 'global' && cur.func.module === 'torch._utils') {
    if (cur.args.t !== 'tuple') return null;
    if (REBUILD.has(cur.func.name)) return cur;
    if (!PARAMETER.has(cur.func.name)) return null;
    cur = cur.args.items[0];
  }
  return null;
}

export function torchTensorOf(v: PV): TorchTensorRef | null {
  const call = unwrapParameters(v);
  if (!call || call.args.t !== 'tuple') return null;
  const [pid, offsetV, sizeV, strideV] = call.args.items;
  if (!pid || pid.t !== 'pid' || pid.pid.t !== 'tuple') return null;
  const [kind, cls, key, , numel] = pid.pid.items;
  if (!kind || kind.t !== 'str' || kind.v !== 'storage' || !key || key.t !== 'str') return null;
  let dtype = 'unknown';
  if (cls && cls.t === 'global') dtype = ownEntry(TORCH_STORAGE, cls.name) ?? cls.name;
  // torch >= 2 with UntypedStorage passes the dtype as the 7th argument of _rebuild_tensor_v3.
  const dtArg = call.args.items[6];
  if (dtArg && dtArg.t === 'global' && dtArg.module === 'torch') dtype = dtArg.name;
  const shape = intTuple(sizeV);
  if (!shape) return null;
  return {
    dtype,
    shape,
    stride: intTuple(strideV),
    offset: intOf(offsetV) ?? 0,
    storageKey: key.v,
    storageNumel: intOf(numel),
  };
}
