/**
 * The opcode walker: one pickle from the cursor to its STOP, never unpickled. It rebuilds a
 * symbolic value tree (globals stay names, calls stay records) with capped opcodes, memo and
 * stack, in a loop over an explicit stack: a list of 200,000 items or 100,000 nested lists
 * costs memory, never call-stack depth. Every global is recorded with its level as soon as
 * it is read (a loader imports it right then, called or not), so a walk that fails midway
 * still reports what came before. Calls and BUILDs are checked for what a global's name
 * alone does not show: computed callables, state that overrides `__setstate__`, mutated
 * globals, odd codecs.
 */
import { invalid, paramsOf, safeNumber, type Cursor, type ModelCaps } from '../FileSource';
import { Frames } from './frames';
import { dtypeOf } from './numpy';
import { HIGHEST_PROTOCOL, OP, opName } from './opcodes';
import { render } from './render';
import { checkArguments, checkBuild } from './checks';
import { safetyOf, type PickleLevel } from './safety';
import { addIssue, type ScanState } from './state';
import {
  dictOf,
  FALSE,
  intTuple,
  isGlobal,
  longFromBytes,
  NONE,
  parseIntText,
  parseMemoIndex,
  pushAll,
  rawUnicode,
  TRUE,
  unquote,
  type PObj,
  type PV,
} from './values';

const LINE_CAP = 64 * 1024;
/** Bytes the fixed-size arguments need at most (FRAME, BINBYTES8...: 8), read ahead once per opcode. */
const FIXED_ARGS = 9;

export class Walker {
  private stack: PV[] = [];
  private meta: PV[][] = [];
  private memo = new Map<number, PV>();
  readonly frames = new Frames();
  protocol = 0;

  constructor(
    private readonly c: Cursor,
    private readonly caps: ModelCaps,
    private readonly shared: ScanState,
    private readonly depth: number,
  ) {}

  private fail(problem: string, at = this.c.pos): never {
    throw invalid(this.c.file, `pickle: ${problem} at offset ${at}`);
  }

  private warn(w: string): void {
    if (this.shared.warnings.length < 20 && !this.shared.warnings.includes(w)) this.shared.warnings.push(w);
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

  /** A fixed-size argument of `k` bytes, already read ahead: fewer means the file ends here. */
  private has(k: number, op: number): void {
    if (this.c.avail() < k) this.fail(`truncated: ${opName(op)} needs ${k} bytes`);
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
    if (this.c.avail() < keep) await this.c.need(keep, 'pickle string');
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
    const key = `${module}\0${name}`;
    if (!this.shared.globals.has(key)) {
      if (this.shared.globals.size >= 100_000) this.fail('more than 100000 distinct globals');
      const level = safetyOf(module, name);
      this.shared.globals.set(key, { module, name, level, unsafe: level === 'dangerous' });
    }
    return { t: 'global', module, name };
  }

  private levelOf(v: PV): PickleLevel | null {
    return v.t === 'global' ? (this.shared.globals.get(`${v.module}\0${v.name}`)?.level ?? null) : null;
  }

  /** A call loading would make: recorded when dangerous, checked when its callable is computed. */
  private call(func: PV, args: PV, how: PObj['how'], kwargs?: PV): PObj {
    if (func.t !== 'global') {
      addIssue(this.shared, 'dangerous', `calls ${render(func, 80)}, a callable built while loading`);
    } else {
      if (this.levelOf(func) === 'dangerous' && this.shared.calls.length < 50) {
        const a = args.t === 'tuple' ? args.items.map((x) => render(x, 200)).join(', ') : `*${render(args, 200)}`;
        this.shared.calls.push(`${func.module}.${func.name}(${a.length > 300 ? `${a.slice(0, 299)}…` : a})`);
      }
      checkArguments(this.shared, func, args);
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

  /** APPEND(S)/ADDITEMS/SETITEM(S) on a global change a library object for the whole process. */
  private mutatesGlobal(target: PV, op: string): boolean {
    if (target.t !== 'global') return false;
    addIssue(this.shared, 'dangerous', `${op} changes the global ${target.module}.${target.name}`);
    return true;
  }

  private append(target: PV, items: PV[]): void {
    if (this.mutatesGlobal(target, 'APPEND')) return;
    if (target.t === 'list' || target.t === 'set') pushAll(target.items, items);
    else if (target.t === 'obj') pushAll((target.items ??= []), items);
    else this.fail(`APPEND to a ${target.t}`);
  }

  private setItems(target: PV, kv: PV[]): void {
    if (kv.length % 2 !== 0) this.fail('SETITEMS with an odd number of items');
    if (this.mutatesGlobal(target, 'SETITEM')) return;
    let entries: [PV, PV][];
    if (target.t === 'dict') entries = target.entries;
    else if (target.t === 'obj') entries = target.entries ??= [];
    else this.fail(`SETITEM on a ${target.t}`);
    for (let i = 0; i < kv.length; i += 2) entries.push([kv[i] as PV, kv[i + 1] as PV]);
  }

  /** Walks to STOP and returns the pickle's value. */
  async run(): Promise<PV> {
    const c = this.c;
    for (;;) {
      if (++this.shared.ops > this.caps.pickleOps) this.fail(`more than ${this.caps.pickleOps} opcodes (cap)`);
      if (c.avail() < 1) await c.need(1, 'pickle opcode (no STOP)');
      if (c.avail() < FIXED_ARGS && c.remaining() > c.avail()) await c.fill(FIXED_ARGS);
      const at = c.pos;
      this.frames.atOpcode(at);
      const op = c.u8();
      if (op === OP.STOP) {
        if (this.meta.length > 0) this.warn(`STOP with ${this.meta.length} unclosed MARK(s)`);
        const v = this.pop();
        this.frames.stop(c.pos);
        return v;
      }
      if (!this.stepStack(op, at) && !this.stepScalar(op) && !this.stepContainer(op) && !this.stepMemo(op))
        if (!this.stepObject(op, at)) await this.stepAsync(op, at);
    }
  }

  private stepStack(op: number, at: number): boolean {
    const c = this.c;
    switch (op) {
      case OP.PROTO:
        this.has(1, op);
        this.protocol = c.u8();
        if (this.protocol > HIGHEST_PROTOCOL) this.fail(`unsupported pickle protocol ${this.protocol}`, at);
        return true;
      case OP.FRAME: {
        this.has(8, op);
        // Loaders refuse a frame that runs past the end before running anything in it; the
        // walk goes on, to name what the frame holds.
        const len = this.len64();
        if (len > c.remaining()) this.frames.pastEnd(at, len, c.remaining());
        else this.frames.frame(at, c.pos, len);
        return true;
      }
      case OP.MARK:
        if (this.meta.length >= this.caps.pickleStack) this.fail(`more than ${this.caps.pickleStack} nested MARKs`, at);
        this.meta.push(this.stack);
        this.stack = [];
        return true;
      case OP.POP:
        if (this.stack.length > 0) this.stack.pop();
        else this.popMark();
        return true;
      case OP.POP_MARK:
        this.popMark();
        return true;
      case OP.DUP:
        this.push(this.top());
        return true;
      case OP.NEXT_BUFFER:
        this.warn('pickle uses out-of-band buffers (protocol 5): their data is not in the file');
        this.push({ t: 'buffer' });
        return true;
      case OP.READONLY_BUFFER:
        return true;
      default:
        return false;
    }
  }

  private stepScalar(op: number): boolean {
    const c = this.c;
    switch (op) {
      case OP.NONE:
        this.push(NONE);
        return true;
      case OP.NEWTRUE:
        this.push(TRUE);
        return true;
      case OP.NEWFALSE:
        this.push(FALSE);
        return true;
      case OP.BININT:
        this.has(4, op);
        this.push({ t: 'int', v: c.i32() });
        return true;
      case OP.BININT1:
        this.has(1, op);
        this.push({ t: 'int', v: c.u8() });
        return true;
      case OP.BININT2:
        this.has(2, op);
        this.push({ t: 'int', v: c.u16() });
        return true;
      case OP.BINFLOAT:
        this.has(8, op);
        this.push({ t: 'float', v: c.f64be() });
        return true;
      case OP.BINBYTES:
        this.has(4, op);
        this.push(this.rawBytes(c.u32()));
        return true;
      case OP.SHORT_BINBYTES:
        this.has(1, op);
        this.push(this.rawBytes(c.u8()));
        return true;
      case OP.BINBYTES8:
      case OP.BYTEARRAY8:
        this.has(8, op);
        this.push(this.rawBytes(this.len64()));
        return true;
      default:
        return false;
    }
  }

  private stepContainer(op: number): boolean {
    switch (op) {
      case OP.EMPTY_TUPLE:
        this.push({ t: 'tuple', items: [] });
        return true;
      case OP.TUPLE:
        this.push({ t: 'tuple', items: this.popMark() });
        return true;
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3: {
        const n = op - OP.TUPLE1 + 1;
        const items: PV[] = [];
        for (let i = 0; i < n; i++) items.unshift(this.pop());
        this.push({ t: 'tuple', items });
        return true;
      }
      case OP.EMPTY_LIST:
        this.push({ t: 'list', items: [] });
        return true;
      case OP.LIST:
        this.push({ t: 'list', items: this.popMark() });
        return true;
      case OP.APPEND: {
        const v = this.pop();
        this.append(this.top(), [v]);
        return true;
      }
      case OP.APPENDS:
      case OP.ADDITEMS: {
        const items = this.popMark();
        this.append(this.top(), items);
        return true;
      }
      case OP.EMPTY_DICT:
        this.push({ t: 'dict', entries: [] });
        return true;
      case OP.DICT: {
        const d: PV = { t: 'dict', entries: [] };
        this.setItems(d, this.popMark());
        this.push(d);
        return true;
      }
      case OP.SETITEM: {
        const v = this.pop();
        const k = this.pop();
        this.setItems(this.top(), [k, v]);
        return true;
      }
      case OP.SETITEMS: {
        const kv = this.popMark();
        this.setItems(this.top(), kv);
        return true;
      }
      case OP.EMPTY_SET:
        this.push({ t: 'set', items: [] });
        return true;
      case OP.FROZENSET:
        this.push({ t: 'set', items: this.popMark() });
        return true;
      default:
        return false;
    }
  }

  private stepMemo(op: number): boolean {
    const c = this.c;
    switch (op) {
      case OP.BINGET:
        this.has(1, op);
        this.push(this.memoGet(c.u8()));
        return true;
      case OP.LONG_BINGET:
        this.has(4, op);
        this.push(this.memoGet(c.u32()));
        return true;
      case OP.BINPUT:
        this.has(1, op);
        this.memoPut(c.u8(), this.top());
        return true;
      case OP.LONG_BINPUT:
        this.has(4, op);
        this.memoPut(c.u32(), this.top());
        return true;
      case OP.MEMOIZE:
        this.memoPut(this.memo.size, this.top());
        return true;
      default:
        return false;
    }
  }

  /** The opcodes that reference globals and make calls, with fixed-size arguments. */
  private stepObject(op: number, at: number): boolean {
    switch (op) {
      case OP.STACK_GLOBAL: {
        const name = this.pop();
        const module = this.pop();
        if (module.t !== 'str' || name.t !== 'str') this.fail('STACK_GLOBAL needs two strings', at);
        this.push(this.global(module.v, name.v));
        return true;
      }
      case OP.OBJ: {
        const items = this.popMark();
        const cls = items.shift();
        if (cls === undefined) this.fail('OBJ without a class', at);
        this.push(this.call(cls, { t: 'tuple', items }, 'inst'));
        return true;
      }
      case OP.REDUCE:
      case OP.NEWOBJ: {
        const args = this.pop();
        const func = this.pop();
        this.push(this.call(func, args, op === OP.REDUCE ? 'reduce' : 'newobj'));
        return true;
      }
      case OP.NEWOBJ_EX: {
        const kwargs = this.pop();
        const args = this.pop();
        const cls = this.pop();
        this.push(this.call(cls, args, 'newobj', kwargs));
        return true;
      }
      case OP.BINPERSID:
        this.push({ t: 'pid', pid: this.pop() });
        return true;
      case OP.EXT1:
      case OP.EXT2:
      case OP.EXT4:
        this.ext(op);
        return true;
      default:
        return false;
    }
  }

  /** EXT1/2/4: a code in the copyreg extension registry, which names a global set up elsewhere. */
  private ext(op: number): void {
    const k = op === OP.EXT1 ? 1 : op === OP.EXT2 ? 2 : 4;
    this.has(k, op);
    const code = k === 1 ? this.c.u8() : k === 2 ? this.c.u16() : this.c.i32();
    this.global('copyreg', `extension_${code}`);
    this.push({ t: 'ext', code });
  }

  /** Opcodes whose arguments are lines or variable-length, and BUILD (joblib reads array data after it). */
  private async stepAsync(op: number, at: number): Promise<void> {
    if (await this.stepText(op, at)) return;
    switch (op) {
      case OP.GLOBAL:
      case OP.INST: {
        const module = (await this.line()).trim();
        const name = (await this.line()).trim();
        const g = this.global(module, name);
        if (op === OP.GLOBAL) this.push(g);
        else this.push(this.call(g, { t: 'tuple', items: this.popMark() }, 'inst'));
        return;
      }
      case OP.BUILD:
        return this.build();
      case OP.PERSID:
        this.push({ t: 'pid', pid: { t: 'str', v: await this.line() } });
        return;
      case OP.GET:
        this.push(this.memoGet(parseMemoIndex(await this.line(), () => this.fail('bad GET index', at))));
        return;
      case OP.PUT:
        this.memoPut(
          parseMemoIndex(await this.line(), () => this.fail('bad PUT index', at)),
          this.top(),
        );
        return;
      default:
        this.fail(`unknown opcode ${opName(op)}`, at);
    }
  }

  /** Numbers and strings in text or length-prefixed form. */
  private async stepText(op: number, at: number): Promise<boolean> {
    const c = this.c;
    switch (op) {
      case OP.INT: {
        // INT 00/01 are the protocol-0 booleans.
        const s = (await this.line()).trim();
        if (s === '00' || s === '01') this.push(s === '01' ? TRUE : FALSE);
        else this.push(parseIntText(s, () => this.fail(`bad INT ${JSON.stringify(s.slice(0, 40))}`, at)));
        return true;
      }
      case OP.LONG: {
        const s = (await this.line()).trim().replace(/L$/, '');
        this.push(parseIntText(s, () => this.fail(`bad LONG ${JSON.stringify(s.slice(0, 40))}`, at)));
        return true;
      }
      case OP.LONG1:
      case OP.LONG4:
        await this.long(op, at);
        return true;
      case OP.FLOAT: {
        const s = (await this.line()).trim();
        const v = Number(s);
        if (Number.isNaN(v) && !/^-?nan$/i.test(s)) this.fail(`bad FLOAT ${JSON.stringify(s.slice(0, 40))}`, at);
        this.push({ t: 'float', v });
        return true;
      }
      case OP.STRING:
        this.push({ t: 'str', v: unquote(await this.line()) });
        return true;
      case OP.UNICODE:
        this.push({ t: 'str', v: rawUnicode(await this.line()) });
        return true;
      default:
        return this.stepSizedText(op, at, c);
    }
  }

  private async stepSizedText(op: number, at: number, c: Cursor): Promise<boolean> {
    switch (op) {
      case OP.BINSTRING: {
        this.has(4, op);
        const len = c.i32();
        if (len < 0) this.fail('negative BINSTRING length', at);
        this.push(await this.text(len, 'latin1'));
        return true;
      }
      case OP.SHORT_BINSTRING:
        this.has(1, op);
        this.push(await this.text(c.u8(), 'latin1'));
        return true;
      case OP.BINUNICODE:
        this.has(4, op);
        this.push(await this.text(c.u32(), 'utf8'));
        return true;
      case OP.SHORT_BINUNICODE:
        this.has(1, op);
        this.push(await this.text(c.u8(), 'utf8'));
        return true;
      case OP.BINUNICODE8:
        this.has(8, op);
        this.push(await this.text(this.len64(), 'utf8'));
        return true;
      default:
        return false;
    }
  }

  private async long(op: number, at: number): Promise<void> {
    const c = this.c;
    this.has(op === OP.LONG1 ? 1 : 4, op);
    const len = op === OP.LONG1 ? c.u8() : c.i32();
    if (len < 0) this.fail('negative LONG4 length', at);
    if (len > 1024) this.fail(`LONG4 of ${len} bytes (cap 1024)`, at);
    if (c.avail() < len) await c.need(len, 'pickle argument');
    this.push({ t: 'int', v: longFromBytes(c.bytes(len)) });
  }

  /**
   * BUILD: the object's state. Checked for what it changes: a global (a library's class or
   * module, for every later user), or an instance's dunders (`__setstate__` set by a first
   * BUILD is what a second BUILD calls).
   */
  private async build(): Promise<void> {
    const state = this.pop();
    const target = this.top();
    checkBuild(this.shared, target, state);
    if (target.t !== 'obj') return;
    if (target.state !== undefined)
      addIssue(this.shared, 'suspicious', `BUILD applied twice to ${render(target.func, 80)}`);
    target.state = state;
    if (isGlobal(target.func, 'joblib.numpy_pickle', 'NumpyArrayWrapper')) await this.joblibArray(target);
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
    this.frames.rawData(this.c.pos);
    if (dt.hasObject) {
      if (this.depth >= 4) this.fail('object arrays nested too deeply');
      const sub = new Walker(this.c, this.caps, this.shared, this.depth + 1);
      await sub.run();
      for (const p of sub.frames.problems) addIssue(this.shared, 'unknown', p);
      w.array = { dtype: dt.name, shape };
      return;
    }
    const align = state.get('numpy_array_alignment_bytes');
    if (align && align.t === 'int') {
      if (this.c.avail() < 1) await this.c.need(1, 'joblib array padding');
      const pad = this.c.u8();
      this.c.skip(pad, 'joblib array padding');
    }
    const len = paramsOf(shape) * dt.itemsize;
    const pos = this.c.pos;
    this.c.skip(len, `joblib array data (${dt.name} ${JSON.stringify(shape)})`);
    w.array = { dtype: dt.name, shape, dataPos: pos, dataLen: len };
  }
}
