/**
 * numpy in the value tree: pickled dtypes (`numpy.dtype('<f8', False, True)` + BUILD state),
 * and arrays as numpy pickles them (`_reconstruct` + BUILD, or protocol 5's `_frombuffer`) or
 * as joblib wraps them (NumpyArrayWrapper, whose bytes follow it in the stream).
 */
import { paramsOf } from '../FileSource';
import { globalName, intOf, intTuple, isGlobal, type ArrayInfo, type PV } from './values';
import { ownEntry } from '../../../../../shared/src/ownEntry';

/** numpy dtype codes → normalised names. */
const NUMPY_KIND: Record<string, string> = {
  f: 'float',
  i: 'int',
  u: 'uint',
  c: 'complex',
  b: 'bool',
  O: 'object',
  U: 'str',
  S: 'bytes',
  V: 'void',
  M: 'datetime64',
  m: 'timedelta64',
};

export interface DtypeInfo {
  name: string;
  itemsize: number;
  hasObject: boolean;
}

function dtypeName(kind: string, num: number): string {
  if (kind === 'b') return 'bool';
  if (kind === 'O') return 'object';
  const base = ownEntry(NUMPY_KIND, kind) ?? kind;
  return ['f', 'i', 'u', 'c'].includes(kind) ? `${base}${num * 8}` : `${base}${num || ''}`;
}

/** A pickled numpy.dtype: REDUCE(numpy.dtype, ('f8', False, True)) with a BUILD state tuple. */
export function dtypeOf(v: PV | undefined): DtypeInfo | null {
  if (!v || v.t !== 'obj' || !isGlobal(v.func, 'numpy', 'dtype') || v.args.t !== 'tuple') return null;
  const code = v.args.items[0];
  if (!code || code.t !== 'str') return null;
  const m = /^[<>|=]?([a-zA-Z])(\d*)$/.exec(code.v);
  if (!m) return null;
  const kind = m[1] as string;
  const num = m[2] ? Number(m[2]) : 0;
  let itemsize = kind === 'U' ? num * 4 : kind === 'b' && num === 0 ? 1 : num;
  let flags = 0;
  if (v.state && v.state.t === 'tuple') {
    const elsize = intOf(v.state.items[5]);
    if (elsize !== null && elsize > 0) itemsize = elsize;
    flags = intOf(v.state.items[7]) ?? 0;
  }
  return { name: dtypeName(kind, num), itemsize, hasObject: kind === 'O' || (flags & 1) === 1 };
}

const RECONSTRUCT = new Set(['numpy.core.multiarray._reconstruct', 'numpy._core.multiarray._reconstruct']);
const FROMBUFFER = new Set(['numpy.core.numeric._frombuffer', 'numpy._core.numeric._frombuffer']);

/** A numpy array in the tree: joblib's wrapper, numpy's _reconstruct + BUILD, or _frombuffer. */
export function arrayOf(v: PV): ArrayInfo | null {
  if (v.t !== 'obj') return null;
  if (v.array) return v.array;
  const g = globalName(v.func);
  if (g !== null && RECONSTRUCT.has(g)) {
    if (!v.state || v.state.t !== 'tuple') return null;
    const shape = intTuple(v.state.items[1]);
    const dt = dtypeOf(v.state.items[2]);
    if (!shape || !dt) return null;
    const raw = v.state.items[4];
    const out: ArrayInfo = { dtype: dt.name, shape };
    if (raw && raw.t === 'bytes' && raw.len === paramsOf(shape) * dt.itemsize) {
      out.dataPos = raw.pos;
      out.dataLen = raw.len;
    }
    return out;
  }
  if (g !== null && FROMBUFFER.has(g) && v.args.t === 'tuple') {
    const dt = dtypeOf(v.args.items[1]);
    const shape = intTuple(v.args.items[2]);
    if (!shape || !dt) return null;
    return { dtype: dt.name, shape };
  }
  return null;
}
