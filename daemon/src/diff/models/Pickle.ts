/**
 * A pickle opcode walker (protocols 0–5) that never unpickles: it rebuilds a symbolic value
 * tree (globals are names, calls are records) with capped opcodes, memo and stack, collects
 * every global the pickle references, and flags those outside a small allow-list as unsafe:
 * loading the file with pickle/torch/joblib would import and call them.
 *
 * On top of the tree: torch `data.pkl` state dicts (rebuilt tensors → dtype from the storage
 * class, shape from the size tuple), sklearn/joblib estimators (class and scalar params from
 * the BUILD state), numpy arrays (joblib's NumpyArrayWrapper, whose raw bytes follow the
 * wrapper inside the stream and are skipped, and numpy's own _reconstruct/_frombuffer).
 */
import * as zlib from 'node:zlib';
import type { TensorInfo } from '../../../../shared/src/diff';
import {
  BufferSource,
  Cursor,
  fileRangeHasher,
  formatBytes,
  hashBuffer,
  invalid,
  paramsOf,
  safeNumber,
  withFile,
  type ModelCaps,
  type ParseOptions,
  type Source,
} from './FileSource';
import type { ParsedModel } from './types';

// ---------------------------------------------------------------------------------------------
// Values

export type PV =
  | { t: 'none' }
  | { t: 'bool'; v: boolean }
  | { t: 'int'; v: number | bigint }
  | { t: 'float'; v: number }
  | { t: 'str'; v: string; truncated?: number }
  /** Bytes are not kept: their length and where they are in the source. */
  | { t: 'bytes'; len: number; pos: number }
  | { t: 'tuple'; items: PV[] }
  | { t: 'list'; items: PV[] }
  | { t: 'set'; items: PV[] }
  | { t: 'dict'; entries: [PV, PV][] }
  | { t: 'global'; module: string; name: string }
  | PObj
  | { t: 'pid'; pid: PV }
  | { t: 'ext'; code: number }
  | { t: 'buffer' };

/** The result of REDUCE, NEWOBJ, INST or OBJ: a call that loading would make. */
export interface PObj {
  t: 'obj';
  func: PV;
  args: PV;
  how: 'reduce' | 'newobj' | 'inst';
  kwargs?: PV;
  state?: PV;
  items?: PV[];
  entries?: [PV, PV][];
  /** joblib NumpyArrayWrapper: the array that followed it in the stream. */
  array?: ArrayInfo;
}

export interface ArrayInfo {
  dtype: string;
  shape: number[];
  /** Where the raw bytes are in the walked source, when known. */
  dataPos?: number;
  dataLen?: number;
}

export interface GlobalRef {
  module: string;
  name: string;
  unsafe: boolean;
}

const NONE: PV = { t: 'none' };
const TRUE: PV = { t: 'bool', v: true };
const FALSE: PV = { t: 'bool', v: false };

// ---------------------------------------------------------------------------------------------
// Which globals are safe to reference

/** Modules whose every name runs code or touches the system when called. */
const UNSAFE_MODULES = new Set([
  'os',
  'posix',
  'nt',
  'subprocess',
  'sys',
  'shutil',
  'socket',
  'runpy',
  'importlib',
  'pty',
  'commands',
  'webbrowser',
  'ctypes',
  'multiprocessing',
  'code',
  'codeop',
  'pickle',
  '_pickle',
  'cPickle',
  'marshal',
  'dill',
  'cloudpickle',
  'types',
  'inspect',
  'threading',
  'asyncio',
  'signal',
  'tempfile',
  'pathlib',
  'io',
  '_io',
  'glob',
  'urllib',
  'http',
  'requests',
  'ftplib',
  'smtplib',
  'telnetlib',
  'operator',
  'functools',
  'bdb',
  'pdb',
  'timeit',
  'platform',
  'builtins.eval',
]);

/** builtins that are harmless to construct. Everything else in builtins is unsafe. */
const SAFE_BUILTINS = new Set([
  'object',
  'set',
  'frozenset',
  'slice',
  'complex',
  'bytearray',
  'bytes',
  'str',
  'int',
  'float',
  'bool',
  'list',
  'dict',
  'tuple',
  'range',
  'NoneType',
  'Ellipsis',
  'NotImplemented',
]);

const SAFE_EXACT = new Set([
  'collections.OrderedDict',
  'collections.defaultdict',
  'collections.deque',
  'collections.Counter',
  'copyreg._reconstructor',
  'copy_reg._reconstructor',
  'copyreg.__newobj__',
  'copyreg.__newobj_ex__',
  '_codecs.encode',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._utils._rebuild_sparse_tensor',
  'torch._utils._rebuild_qtensor',
  'torch._utils._rebuild_meta_tensor_no_storage',
  'torch._utils._rebuild_wrapper_subclass',
  'torch.storage.UntypedStorage',
  'torch.storage.TypedStorage',
  'torch.storage._TypedStorage',
  'torch.device',
  'torch.Size',
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'numpy.core.multiarray.scalar',
  'numpy._core.multiarray.scalar',
  'numpy.dtype',
  'numpy.ndarray',
  'numpy.core.numeric._frombuffer',
  'numpy._core.numeric._frombuffer',
  'numpy.random._pickle.__randomstate_ctor',
  'numpy.random._pickle.__bit_generator_ctor',
  'numpy.random._pickle.__generator_ctor',
  'numpy.random.mtrand.RandomState',
  'numpy.random._mt19937.MT19937',
  'numpy.random._pcg64.PCG64',
  'joblib.numpy_pickle.NumpyArrayWrapper',
  'datetime.datetime',
  'datetime.date',
  'datetime.time',
  'datetime.timedelta',
  'datetime.timezone',
  'decimal.Decimal',
  'uuid.UUID',
]);

const TORCH_SAFE_NAME =
  /^(?:[A-Za-z0-9]*Storage|u?int\d+|float\d+(?:_[a-z0-9]+)?|bfloat16|complex\d+|bool|half|double|long|int|short|float|cfloat|cdouble|chalf|q?u?int\d+|quint\dx\d|dtype|layout|strided|sparse_coo|sparse_csr|per_tensor_affine|per_channel_affine|memory_format|contiguous_format|channels_last|preserve_format)$/;

export function isUnsafeGlobal(module: string, name: string): boolean {
  const top = module.split('.')[0] ?? module;
  if (UNSAFE_MODULES.has(top) || UNSAFE_MODULES.has(module)) return true;
  if (module === 'builtins' || module === '__builtin__') return !SAFE_BUILTINS.has(name);
  if (SAFE_EXACT.has(`${module}.${name}`)) return false;
  if (module === 'torch' && TORCH_SAFE_NAME.test(name)) return false;
  if (module === 'sklearn' || module.startsWith('sklearn.')) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// The walker

export interface WalkResult {
  root: PV;
  protocol: number;
  ops: number;
  /** Every distinct global, in first-reference order. */
  globals: GlobalRef[];
  /** Calls of unsafe globals found in REDUCE/NEWOBJ/INST/OBJ, rendered. */
  unsafeCalls: string[];
  /** Where the walk stopped (just after STOP). */
  end: number;
  /** NumpyArrayWrapper arrays were skipped: this is a joblib stream. */
  joblibArrays: number;
  warnings: string[];
}

interface WalkShared {
  ops: number;
  /** String bytes kept so far (capped by pickleRetainedBytes). */
  retained: number;
  globals: Map<string, GlobalRef>;
  unsafeCalls: string[];
  joblibArrays: number;
  warnings: string[];
}

const LINE_CAP = 64 * 1024;

class Walker {
  private stack: PV[] = [];
  private meta: PV[][] = [];
  private memo = new Map<number, PV>();
  protocol = 0;

  constructor(
    private readonly c: Cursor,
    private readonly caps: ModelCaps,
    private readonly shared: WalkShared,
    private readonly depth: number,
  ) {}

  private fail(problem: string, at = this.c.pos): never {
    throw invalid(this.c.file, `pickle: ${problem} at offset ${at}`);
  }

  private push(v: PV): void {
    if (this.stack.length >= this.caps.pickleStack) this.fail(`stack deeper than the ${this.caps.pickleStack} cap`);
    this.stack.push(v);
  }

  private pop(): PV {
    const v = this.stack.pop();
    if (v === undefined) this.fail('stack underflow');
    return v;
  }

  private top(): PV {
    const v = this.stack[this.stack.length - 1];
    if (v === undefined) this.fail('empty stack');
    return v;
  }

  private popMark(): PV[] {
    const items = this.stack;
    const prev = this.meta.pop();
    if (prev === undefined) this.fail('no MARK on the stack');
    this.stack = prev;
    return items;
  }

  private async n(k: number): Promise<void> {
    if (this.c.avail() < k) await this.c.need(k, 'pickle argument');
  }

  private async line(): Promise<string> {
    for (;;) {
      const i = this.c.indexOf(0x0a);
      if (i >= 0) {
        const s = this.c.bytes(i).toString('latin1');
        this.c.skip(1);
        return s;
      }
      const have = this.c.avail();
      if (have >= LINE_CAP) this.fail(`text argument longer than ${LINE_CAP} bytes`);
      if (this.c.remaining() <= have) this.fail('truncated: text argument without a newline');
      await this.c.fill(have + 4096);
    }
  }

  /** A string of `len` bytes; beyond the cap it is skipped and kept truncated. */
  private async text(len: number, encoding: BufferEncoding): Promise<PV> {
    if (len > this.c.remaining()) this.fail(`truncated: string of ${len} bytes runs past the end`);
    const budget = Math.max(64, this.caps.pickleRetainedBytes - this.shared.retained);
    const keep = Math.min(len, this.caps.pickleStringBytes, budget);
    this.shared.retained += keep;
    await this.n(keep);
    const v = this.c.bytes(keep).toString(encoding);
    if (keep < len) {
      this.c.skip(len - keep);
      return { t: 'str', v, truncated: len };
    }
    return { t: 'str', v };
  }

  private rawBytes(len: number): PV {
    if (len > this.c.remaining()) this.fail(`truncated: ${len} bytes of data run past the end`);
    const pos = this.c.pos;
    this.c.skip(len);
    return { t: 'bytes', len, pos };
  }

  private len64(): number {
    return safeNumber(this.c.file, this.c.u64(), 'pickle length');
  }

  private global(module: string, name: string): PV {
    const key = `${module}.${name}`;
    if (!this.shared.globals.has(key)) {
      if (this.shared.globals.size >= 100_000) this.fail('more than 100000 distinct globals');
      this.shared.globals.set(key, { module, name, unsafe: isUnsafeGlobal(module, name) });
    }
    return { t: 'global', module, name };
  }

  private call(func: PV, args: PV, how: PObj['how'], kwargs?: PV): PObj {
    if (func.t === 'global' && isUnsafeGlobal(func.module, func.name) && this.shared.unsafeCalls.length < 50) {
      const a = args.t === 'tuple' ? args.items.map((x) => render(x, 200)).join(', ') : `*${render(args, 200)}`;
      this.shared.unsafeCalls.push(`${func.module}.${func.name}(${a.length > 300 ? `${a.slice(0, 299)}…` : a})`);
    }
    const o: PObj = { t: 'obj', func, args, how };
    if (kwargs) o.kwargs = kwargs;
    return o;
  }

  private memoPut(i: number, v: PV): void {
    if (!this.memo.has(i) && this.memo.size >= this.caps.pickleMemo)
      this.fail(`memo larger than the ${this.caps.pickleMemo} cap`);
    this.memo.set(i, v);
  }

  private memoGet(i: number): PV {
    const v = this.memo.get(i);
    if (v === undefined) this.fail(`memo key ${i} was never stored`);
    return v;
  }

  private append(target: PV, items: PV[]): void {
    if (target.t === 'list' || target.t === 'set') pushAll(target.items, items);
    else if (target.t === 'obj') pushAll((target.items ??= []), items);
    else this.fail(`APPEND to a ${target.t}`);
  }

  private setItems(target: PV, kv: PV[]): void {
    if (kv.length % 2 !== 0) this.fail('SETITEMS with an odd number of items');
    let entries: [PV, PV][];
    if (target.t === 'dict') entries = target.entries;
    else if (target.t === 'obj') entries = target.entries ??= [];
    else this.fail(`SETITEM on a ${target.t}`);
    for (let i = 0; i < kv.length; i += 2) entries.push([kv[i] as PV, kv[i + 1] as PV]);
  }

  async run(): Promise<PV> {
    const c = this.c;
    const caps = this.caps;
    for (;;) {
      if (++this.shared.ops > caps.pickleOps) this.fail(`more than ${caps.pickleOps} opcodes (cap)`);
      if (c.avail() < 1) await c.need(1, 'pickle opcode (no STOP)');
      const at = c.pos;
      const op = c.u8();
      switch (op) {
        case 0x80: {
          await this.n(1);
          this.protocol = c.u8();
          if (this.protocol > 5) this.fail(`unsupported pickle protocol ${this.protocol}`, at);
          break;
        }
        case 0x95: // FRAME: a length hint, the content is read as it comes
          await this.n(8);
          c.skip(8);
          break;
        case 0x2e: // STOP
          if (this.meta.length > 0) this.warn(`STOP with ${this.meta.length} unclosed MARK(s)`);
          return this.pop();
        case 0x28: // MARK
          if (this.meta.length >= caps.pickleStack) this.fail(`more than ${caps.pickleStack} nested MARKs`, at);
          this.meta.push(this.stack);
          this.stack = [];
          break;
        case 0x30: // POP
          if (this.stack.length > 0) this.stack.pop();
          else this.popMark();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;
        case 0x4e: // NONE
          this.push(NONE);
          break;
        case 0x88:
          this.push(TRUE);
          break;
        case 0x89:
          this.push(FALSE);
          break;
        case 0x49: {
          // INT (text): 00/01 are the protocol-0 booleans
          const s = (await this.line()).trim();
          if (s === '00') this.push(FALSE);
          else if (s === '01') this.push(TRUE);
          else this.push(parseIntText(s, () => this.fail(`bad INT ${JSON.stringify(s.slice(0, 40))}`, at)));
          break;
        }
        case 0x4a:
          await this.n(4);
          this.push({ t: 'int', v: c.i32() });
          break;
        case 0x4b:
          await this.n(1);
          this.push({ t: 'int', v: c.u8() });
          break;
        case 0x4d:
          await this.n(2);
          this.push({ t: 'int', v: c.u16() });
          break;
        case 0x4c: {
          const s = (await this.line()).trim().replace(/L$/, '');
          this.push(parseIntText(s, () => this.fail(`bad LONG ${JSON.stringify(s.slice(0, 40))}`, at)));
          break;
        }
        case 0x8a:
        case 0x8b: {
          await this.n(op === 0x8a ? 1 : 4);
          const len = op === 0x8a ? c.u8() : c.i32();
          if (len < 0) this.fail('negative LONG4 length', at);
          if (len > 1024) this.fail(`LONG4 of ${len} bytes (cap 1024)`, at);
          await this.n(len);
          this.push({ t: 'int', v: longFromBytes(c.bytes(len)) });
          break;
        }
        case 0x46: {
          const s = (await this.line()).trim();
          const v = Number(s);
          if (Number.isNaN(v) && !/^-?nan$/i.test(s)) this.fail(`bad FLOAT ${JSON.stringify(s.slice(0, 40))}`, at);
          this.push({ t: 'float', v });
          break;
        }
        case 0x47:
          await this.n(8);
          this.push({ t: 'float', v: c.f64be() });
          break;
        case 0x53: // STRING: a quoted repr
          this.push({ t: 'str', v: unquote(await this.line()) });
          break;
        case 0x54: {
          await this.n(4);
          const len = c.i32();
          if (len < 0) this.fail('negative BINSTRING length', at);
          this.push(await this.text(len, 'latin1'));
          break;
        }
        case 0x55:
          await this.n(1);
          this.push(await this.text(c.u8(), 'latin1'));
          break;
        case 0x56: // UNICODE: raw-unicode-escape
          this.push({
            t: 'str',
            v: (await this.line()).replace(
              /\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g,
              (_m, a: string | undefined, b: string | undefined) => String.fromCodePoint(parseInt(a ?? b ?? '0', 16)),
            ),
          });
          break;
        case 0x58:
          await this.n(4);
          this.push(await this.text(c.u32(), 'utf8'));
          break;
        case 0x8c:
          await this.n(1);
          this.push(await this.text(c.u8(), 'utf8'));
          break;
        case 0x8d:
          await this.n(8);
          this.push(await this.text(this.len64(), 'utf8'));
          break;
        case 0x42:
          await this.n(4);
          this.push(this.rawBytes(c.u32()));
          break;
        case 0x43:
          await this.n(1);
          this.push(this.rawBytes(c.u8()));
          break;
        case 0x8e:
        case 0x96:
          await this.n(8);
          this.push(this.rawBytes(this.len64()));
          break;
        case 0x97: // NEXT_BUFFER: out-of-band data, absent from the file
          this.warn('pickle uses out-of-band buffers (protocol 5): their data is not in the file');
          this.push({ t: 'buffer' });
          break;
        case 0x98: // READONLY_BUFFER
          break;
        case 0x29:
          this.push({ t: 'tuple', items: [] });
          break;
        case 0x74:
          this.push({ t: 'tuple', items: this.popMark() });
          break;
        case 0x85: {
          const a = this.pop();
          this.push({ t: 'tuple', items: [a] });
          break;
        }
        case 0x86: {
          const b = this.pop();
          const a = this.pop();
          this.push({ t: 'tuple', items: [a, b] });
          break;
        }
        case 0x87: {
          const cc = this.pop();
          const b = this.pop();
          const a = this.pop();
          this.push({ t: 'tuple', items: [a, b, cc] });
          break;
        }
        case 0x5d:
          this.push({ t: 'list', items: [] });
          break;
        case 0x6c:
          this.push({ t: 'list', items: this.popMark() });
          break;
        case 0x61: {
          const v = this.pop();
          this.append(this.top(), [v]);
          break;
        }
        case 0x65: {
          const items = this.popMark();
          this.append(this.top(), items);
          break;
        }
        case 0x7d:
          this.push({ t: 'dict', entries: [] });
          break;
        case 0x64: {
          const kv = this.popMark();
          const d: PV = { t: 'dict', entries: [] };
          this.setItems(d, kv);
          this.push(d);
          break;
        }
        case 0x73: {
          const v = this.pop();
          const k = this.pop();
          this.setItems(this.top(), [k, v]);
          break;
        }
        case 0x75: {
          const kv = this.popMark();
          this.setItems(this.top(), kv);
          break;
        }
        case 0x8f:
          this.push({ t: 'set', items: [] });
          break;
        case 0x90: {
          const items = this.popMark();
          this.append(this.top(), items);
          break;
        }
        case 0x91:
          this.push({ t: 'set', items: this.popMark() });
          break;
        case 0x63: {
          const module = (await this.line()).trim();
          const name = (await this.line()).trim();
          this.push(this.global(module, name));
          break;
        }
        case 0x93: {
          const name = this.pop();
          const module = this.pop();
          if (module.t !== 'str' || name.t !== 'str') this.fail('STACK_GLOBAL needs two strings', at);
          this.push(this.global(module.v, name.v));
          break;
        }
        case 0x69: {
          const module = (await this.line()).trim();
          const name = (await this.line()).trim();
          const args = this.popMark();
          this.push(this.call(this.global(module, name), { t: 'tuple', items: args }, 'inst'));
          break;
        }
        case 0x6f: {
          const items = this.popMark();
          const cls = items.shift();
          if (cls === undefined) this.fail('OBJ without a class', at);
          this.push(this.call(cls, { t: 'tuple', items }, 'inst'));
          break;
        }
        case 0x52: {
          const args = this.pop();
          const func = this.pop();
          this.push(this.call(func, args, 'reduce'));
          break;
        }
        case 0x81: {
          const args = this.pop();
          const cls = this.pop();
          this.push(this.call(cls, args, 'newobj'));
          break;
        }
        case 0x92: {
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          this.push(this.call(cls, args, 'newobj', kwargs));
          break;
        }
        case 0x62: {
          const state = this.pop();
          const target = this.top();
          if (target.t === 'obj') {
            target.state = state;
            if (isGlobal(target.func, 'joblib.numpy_pickle', 'NumpyArrayWrapper')) await this.joblibArray(target);
          }
          break;
        }
        case 0x50:
          this.push({ t: 'pid', pid: { t: 'str', v: await this.line() } });
          break;
        case 0x51:
          this.push({ t: 'pid', pid: this.pop() });
          break;
        case 0x67:
          this.push(this.memoGet(parseMemoIndex(await this.line(), () => this.fail('bad GET index', at))));
          break;
        case 0x68:
          await this.n(1);
          this.push(this.memoGet(c.u8()));
          break;
        case 0x6a:
          await this.n(4);
          this.push(this.memoGet(c.u32()));
          break;
        case 0x70:
          this.memoPut(
            parseMemoIndex(await this.line(), () => this.fail('bad PUT index', at)),
            this.top(),
          );
          break;
        case 0x71:
          await this.n(1);
          this.memoPut(c.u8(), this.top());
          break;
        case 0x72:
          await this.n(4);
          this.memoPut(c.u32(), this.top());
          break;
        case 0x94:
          this.memoPut(this.memo.size, this.top());
          break;
        case 0x82:
        case 0x83:
        case 0x84: {
          const k = op === 0x82 ? 1 : op === 0x83 ? 2 : 4;
          await this.n(k);
          const code = k === 1 ? c.u8() : k === 2 ? c.u16() : c.i32();
          // The copyreg extension registry maps codes to globals: unknown here, so unsafe.
          this.global('copyreg', `extension_${code}`);
          this.push({ t: 'ext', code });
          break;
        }
        default:
          this.fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`, at);
      }
    }
  }

  private warn(w: string): void {
    if (this.shared.warnings.length < 20 && !this.shared.warnings.includes(w)) this.shared.warnings.push(w);
  }

  /**
   * joblib writes each numpy array right after its NumpyArrayWrapper's BUILD: an optional
   * alignment padding (a length byte, then that many bytes), then the raw data — or, for
   * object arrays, a nested pickle. Skip it, keeping its shape, dtype and position.
   */
  private async joblibArray(w: PObj): Promise<void> {
    const state = w.state && w.state.t === 'dict' ? dictOf(w.state) : null;
    if (!state) this.fail('NumpyArrayWrapper without a state dict');
    const shape = intTuple(state.get('shape'));
    const dt = dtypeOf(state.get('dtype'));
    if (!shape || !dt) this.fail('NumpyArrayWrapper without a readable shape and dtype');
    this.shared.joblibArrays++;
    if (dt.hasObject) {
      if (this.depth >= 4) this.fail('object arrays nested too deeply');
      const sub = new Walker(this.c, this.caps, this.shared, this.depth + 1);
      await sub.run();
      w.array = { dtype: dt.name, shape };
      return;
    }
    const align = state.get('numpy_array_alignment_bytes');
    if (align && align.t === 'int') {
      await this.n(1);
      const pad = this.c.u8();
      this.c.skip(pad, 'joblib array padding');
    }
    const len = paramsOf(shape) * dt.itemsize;
    const pos = this.c.pos;
    this.c.skip(len, `joblib array data (${dt.name} ${JSON.stringify(shape)})`);
    w.array = { dtype: dt.name, shape, dataPos: pos, dataLen: len };
  }
}

function pushAll(to: PV[], items: PV[]): void {
  for (const v of items) to.push(v);
}

function parseIntText(s: string, bad: () => never): PV {
  if (!/^[+-]?\d+$/.test(s) || s.length > 400) bad();
  const b = BigInt(s);
  return { t: 'int', v: b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b };
}

function parseMemoIndex(s: string, bad: () => never): number {
  const t = s.trim();
  if (!/^\d{1,9}$/.test(t)) bad();
  return Number(t);
}

function longFromBytes(b: Buffer): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
  if ((b[b.length - 1] as number) & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function unquote(line: string): string {
  const s = line.trim();
  const q = s[0];
  if ((q === "'" || q === '"') && s.endsWith(q) && s.length >= 2) {
    return s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_m, e: string) => {
      if (e.startsWith('x')) return String.fromCharCode(parseInt(e.slice(1), 16));
      return ({ n: '\n', t: '\t', r: '\r', '0': '\0' } as Record<string, string>)[e] ?? e;
    });
  }
  return s;
}

/** Walks one pickle from the cursor's position to its STOP. */
export async function walkPickle(c: Cursor, caps: ModelCaps): Promise<WalkResult> {
  const shared: WalkShared = {
    ops: 0,
    retained: 0,
    globals: new Map(),
    unsafeCalls: [],
    joblibArrays: 0,
    warnings: [],
  };
  const w = new Walker(c, caps, shared, 0);
  const root = await w.run();
  return {
    root,
    protocol: w.protocol,
    ops: shared.ops,
    globals: [...shared.globals.values()],
    unsafeCalls: shared.unsafeCalls,
    end: c.pos,
    joblibArrays: shared.joblibArrays,
    warnings: shared.warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading the value tree

export function isGlobal(v: PV | undefined, module: string, name?: string): boolean {
  return v !== undefined && v.t === 'global' && v.module === module && (name === undefined || v.name === name);
}

export function globalName(v: PV | undefined): string | null {
  return v && v.t === 'global' ? `${v.module}.${v.name}` : null;
}

export function dictOf(v: PV): Map<string, PV> {
  const m = new Map<string, PV>();
  const entries = v.t === 'dict' ? v.entries : v.t === 'obj' ? (v.entries ?? []) : [];
  for (const [k, val] of entries) if (k.t === 'str') m.set(k.v, val);
  return m;
}

export function intOf(v: PV | undefined): number | null {
  return v && v.t === 'int' && typeof v.v === 'number' ? v.v : null;
}

export function intTuple(v: PV | undefined): number[] | null {
  if (!v || (v.t !== 'tuple' && v.t !== 'list')) return null;
  const out: number[] = [];
  for (const x of v.items) {
    const n = intOf(x);
    if (n === null || n < 0) return null;
    out.push(n);
  }
  return out;
}

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
  const base = NUMPY_KIND[kind] ?? kind;
  const name =
    kind === 'b'
      ? 'bool'
      : kind === 'O'
        ? 'object'
        : ['f', 'i', 'u', 'c'].includes(kind)
          ? `${base}${num * 8}`
          : `${base}${num || ''}`;
  return { name, itemsize, hasObject: kind === 'O' || (flags & 1) === 1 };
}

/** A numpy array in the tree: joblib's wrapper, numpy's _reconstruct + BUILD, or _frombuffer. */
export function arrayOf(v: PV): ArrayInfo | null {
  if (v.t !== 'obj') return null;
  if (v.array) return v.array;
  const g = globalName(v.func);
  if (g === 'numpy.core.multiarray._reconstruct' || g === 'numpy._core.multiarray._reconstruct') {
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
  if ((g === 'numpy.core.numeric._frombuffer' || g === 'numpy._core.numeric._frombuffer') && v.args.t === 'tuple') {
    const dt = dtypeOf(v.args.items[1]);
    const shape = intTuple(v.args.items[2]);
    if (!shape || !dt) return null;
    return { dtype: dt.name, shape };
  }
  return null;
}

/** Python-like repr of a value, capped at `max` characters. */
export function render(v: PV, max = 200): string {
  const s = renderInner(v, 0, max);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function renderInner(v: PV, depth: number, max: number): string {
  if (depth > 4) return '…';
  const list = (items: PV[]): string => {
    const parts: string[] = [];
    let len = 0;
    for (const x of items) {
      const r = renderInner(x, depth + 1, max);
      parts.push(r);
      len += r.length + 2;
      if (len > max) {
        parts.push('…');
        break;
      }
    }
    return parts.join(', ');
  };
  switch (v.t) {
    case 'none':
      return 'None';
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'int':
      return String(v.v);
    case 'float':
      return pyFloat(v.v);
    case 'str':
      return `'${v.v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'${v.truncated ? `…(${v.truncated} bytes)` : ''}`;
    case 'bytes':
      return `<${v.len} bytes>`;
    case 'tuple':
      return v.items.length === 1 ? `(${list(v.items)},)` : `(${list(v.items)})`;
    case 'list':
      return `[${list(v.items)}]`;
    case 'set':
      return `{${list(v.items)}}`;
    case 'dict':
      return `{${v.entries
        .slice(0, 20)
        .map(([k, x]) => `${renderInner(k, depth + 1, max)}: ${renderInner(x, depth + 1, max)}`)
        .join(', ')}${v.entries.length > 20 ? ', …' : ''}}`;
    case 'global':
      return `${v.module}.${v.name}`;
    case 'obj':
      return `${renderInner(v.func, depth + 1, max)}${v.args.t === 'tuple' ? renderInner(v.args, depth + 1, max) : `(*${renderInner(v.args, depth + 1, max)})`}`;
    case 'pid':
      return `persistent_load(${renderInner(v.pid, depth + 1, max)})`;
    case 'ext':
      return `<extension ${v.code}>`;
    case 'buffer':
      return '<out-of-band buffer>';
  }
}

/** Python's float repr: shortest round-trip digits, exponent below 1e-4 and from 1e16. */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Object.is(v, -0)) return '-0.0';
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mant, exp] = v.toExponential().split('e') as [string, string];
    const e = Number(exp);
    return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

function isScalar(v: PV): boolean {
  return v.t === 'none' || v.t === 'bool' || v.t === 'int' || v.t === 'float' || v.t === 'str';
}

// ---------------------------------------------------------------------------------------------
// Tensors and estimators in the tree

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

export function torchTensorOf(v: PV): TorchTensorRef | null {
  if (v.t !== 'obj' || v.func.t !== 'global' || v.func.module !== 'torch._utils' || v.args.t !== 'tuple') return null;
  const name = v.func.name;
  if (name === '_rebuild_parameter' || name === '_rebuild_parameter_with_state') {
    const inner = v.args.items[0];
    return inner ? torchTensorOf(inner) : null;
  }
  if (name !== '_rebuild_tensor_v2' && name !== '_rebuild_tensor' && name !== '_rebuild_tensor_v3') return null;
  const [pid, offsetV, sizeV, strideV] = v.args.items;
  if (!pid || pid.t !== 'pid' || pid.pid.t !== 'tuple') return null;
  const [kind, cls, key, , numel] = pid.pid.items;
  if (!kind || kind.t !== 'str' || kind.v !== 'storage' || !key || key.t !== 'str') return null;
  let dtype = 'unknown';
  if (cls && cls.t === 'global') dtype = TORCH_STORAGE[cls.name] ?? cls.name;
  // torch >= 2 with UntypedStorage passes the dtype as the 7th argument of _rebuild_tensor_v3.
  const dtArg = v.args.items[6];
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

export interface FoundTensor {
  name: string;
  torch?: TorchTensorRef;
  array?: ArrayInfo;
}

/** Named tensors and arrays in the tree: dict keys, object attributes, list indices. */
export function collectTensors(root: PV, cap: number): FoundTensor[] {
  const out: FoundTensor[] = [];
  const seen = new Set<PV>();
  const visit = (v: PV, name: string, depth: number): void => {
    if (out.length >= cap || depth > 12 || seen.has(v)) return;
    seen.add(v);
    const t = torchTensorOf(v);
    if (t) {
      out.push({ name: name || 'tensor', torch: t });
      return;
    }
    const a = arrayOf(v);
    if (a) {
      out.push({ name: name || 'array', array: a });
      return;
    }
    const join = (k: string): string => (name ? `${name}.${k}` : k);
    if (v.t === 'dict' || (v.t === 'obj' && v.entries)) {
      for (const [k, x] of v.t === 'dict' ? v.entries : (v.entries ?? [])) {
        if (k.t === 'str' || k.t === 'int') visit(x, join(String(k.v)), depth + 1);
      }
    }
    if (v.t === 'obj') {
      if (v.state) {
        const st = v.state.t === 'tuple' && v.state.items.length === 2 ? v.state.items[0] : v.state; // (dict, slotstate)
        if (st && st.t === 'dict') visit(st, name, depth + 1);
      }
      if (v.items) v.items.forEach((x, i) => visit(x, join(String(i)), depth + 1));
    }
    if (v.t === 'list' || v.t === 'tuple') v.items.forEach((x, i) => visit(x, join(String(i)), depth + 1));
  };
  visit(root, '', 0);
  return out;
}

/** The first sklearn-like estimator in the tree (root, or inside a dict/list at depth 1). */
export function findEstimator(
  root: PV,
): { cls: string; params: Record<string, string>; version: string | null } | null {
  const candidates: PV[] = [root];
  if (root.t === 'dict') candidates.push(...root.entries.map(([, v]) => v));
  if (root.t === 'list' || root.t === 'tuple') candidates.push(...root.items);
  for (const v of candidates) {
    if (v.t !== 'obj' || v.func.t !== 'global' || !v.state) continue;
    if (/^(?:collections|builtins|__builtin__|copyreg|copy_reg|numpy|torch|joblib)(?:\.|$)/.test(v.func.module))
      continue;
    if (arrayOf(v) || torchTensorOf(v)) continue;
    const state =
      v.state.t === 'tuple' && v.state.items.length === 2 && v.state.items[0]?.t === 'dict'
        ? v.state.items[0]
        : v.state;
    if (state.t !== 'dict') continue;
    const params: Record<string, string> = {};
    let version: string | null = null;
    for (const [k, x] of state.entries) {
      if (k.t !== 'str') continue;
      if (k.v === '_sklearn_version' && x.t === 'str') version = x.v;
      if (isScalar(x) && Object.keys(params).length < 500) params[k.v] = render(x, 200);
    }
    return { cls: `${v.func.module}.${v.func.name}`, params, version };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// .pkl / .joblib files

/** Compressions joblib writes, by their first bytes. */
export function compressionOf(head: Buffer): 'zlib' | 'gzip' | 'zf' | 'bz2' | 'xz' | 'lzma' | 'lz4' | null {
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

export async function parsePickleFile(file: string, opts: ParseOptions): Promise<ParsedModel> {
  return withFile(file, opts.stats, async (fsrc) => {
    const size = fsrc.size;
    if (size === 0) throw invalid(file, 'empty file: not a pickle');
    const head = await fsrc.read(0, Math.min(64, size), 'pickle header');
    const compression = compressionOf(head);
    const facts: Record<string, string> = {};
    const warnings: string[] = [];
    let src: Source = fsrc;
    if (compression === 'bz2' || compression === 'xz' || compression === 'lzma' || compression === 'lz4') {
      facts['container'] = `compressed joblib (${compression})`;
      warnings.push(
        `compressed joblib (${compression}) is not supported: its content (and any code it would run) was not inspected`,
      );
      return { summary: { format: 'pickle', size, facts, tensors: [], warnings, globals: [] } };
    }
    if (compression) {
      const cap = opts.caps.decompressedBytes;
      if (size > cap)
        throw invalid(file, `compressed pickle of ${formatBytes(size)} is over the ${formatBytes(cap)} cap`);
      let body = await fsrc.read(0, size, 'compressed pickle');
      let kind: string = compression;
      if (compression === 'zf') {
        // Old joblib: "ZF", the uncompressed length in hex padded to 19 bytes, then zlib.
        body = body.subarray(21);
        kind = 'zlib';
      }
      try {
        const data =
          kind === 'gzip'
            ? zlib.gunzipSync(body, { maxOutputLength: cap })
            : zlib.inflateSync(body, { maxOutputLength: cap });
        src = new BufferSource(file, data);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
          throw invalid(file, `compressed pickle inflates to more than the ${formatBytes(cap)} cap`);
        }
        throw invalid(file, `compressed pickle is corrupt (${(err as Error).message})`);
      }
      facts['container'] = `compressed joblib (${kind})`;
    }
    if (compression === null && head[0] === 0x80 && head[1] !== undefined && (head[1] < 2 || head[1] > 5)) {
      throw invalid(file, `not a pickle: protocol byte ${head[1]} is out of range`);
    }
    const cur = new Cursor(src);
    const res = await walkPickle(cur, opts.caps);
    return summarizeWalk(file, size, res, src, opts, facts, warnings, src !== fsrc);
  });
}

/** Facts and warnings about the globals a walk found (shared with torch data.pkl). */
export function reportGlobals(res: WalkResult, facts: Record<string, string>, warnings: string[]): void {
  facts['pickle protocol'] = String(res.protocol);
  warnings.push(...res.warnings);
  const unsafe = res.globals.filter((g) => g.unsafe);
  if (unsafe.length > 0) {
    facts['unsafe globals'] = unsafe.map((g) => `${g.module}.${g.name}`).join(', ');
    for (const g of unsafe) warnings.push(`${g.module}.${g.name} would execute code when loaded`);
    for (const call of res.unsafeCalls) warnings.push(`loading would call ${call}`);
  }
}

function summarizeWalk(
  file: string,
  size: number,
  res: WalkResult,
  src: Source,
  opts: ParseOptions,
  facts: Record<string, string>,
  warnings: string[],
  inMemory: boolean,
): ParsedModel {
  reportGlobals(res, facts, warnings);
  if (res.joblibArrays > 0 && !facts['container']) facts['container'] = 'joblib';
  if (res.end < src.size) warnings.push(`${src.size - res.end} bytes after the pickle's STOP were not read`);
  const est = findEstimator(res.root);
  const params: Record<string, string> | undefined = est ? est.params : undefined;
  if (est) {
    facts['estimator'] = est.cls;
    if (est.version) facts['sklearn version'] = est.version;
  } else {
    facts['root'] = render(res.root, 120).replace(/\(.*$/s, '');
  }
  const tensors: TensorInfo[] = [];
  const content = new Map<string, () => Promise<string>>();
  for (const t of collectTensors(res.root, opts.caps.tensors)) {
    const info = t.array ?? (t.torch ? { dtype: t.torch.dtype, shape: t.torch.shape } : null);
    if (!info) continue;
    tensors.push({ name: t.name, dtype: info.dtype, shape: info.shape, params: paramsOf(info.shape) });
    if (t.array?.dataPos !== undefined && t.array.dataLen !== undefined) {
      const { dataPos, dataLen } = t.array;
      if (inMemory) {
        const buf = src as BufferSource;
        content.set(t.name, async () => hashBuffer(await buf.read(dataPos, dataLen, 'array')));
      } else {
        content.set(t.name, fileRangeHasher(file, dataPos, dataLen, opts.stats));
      }
    }
  }
  const summary: ParsedModel['summary'] = { format: 'pickle', size, facts, tensors, warnings, globals: res.globals };
  if (params) summary.params = params;
  return { summary, content };
}
