/**
 * A bounded LZMA decoder for joblib's `compress='lzma'` (`.lzma`, LZMA_ALONE: a 13-byte
 * header, then one LZMA stream). It follows the LZMA specification's reference decoder
 * (LzmaSpec.cpp in the LZMA SDK); the whole output is the dictionary, never more than `cap`
 * bytes, and every read of the input is bounds-checked, so a hostile stream ends in a
 * `DecodeError`, never in unbounded memory or a loop.
 *
 * Hand-written because no registry package decodes LZMA_ALONE within a bound: `lzma` (pure
 * JS) collects the whole output in a JS array with no size hook, so a few KB of input can
 * fill memory before it returns; xz-decompress (used for `.xz`) reads only the xz container;
 * @napi-rs/lzma needs Node 22, and this project runs on Node 20.
 */

export class DecodeError extends Error {}

/** The output would pass the cap: a decompression bomb, or just too big to scan. */
export class OverCapError extends DecodeError {}

/** Growing output, capped; matches copy from it (it is the dictionary). */
export class Output {
  buf: Uint8Array;
  pos = 0;

  constructor(private readonly cap: number) {
    this.buf = new Uint8Array(Math.min(cap, 1 << 20));
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos + n > this.cap) throw new OverCapError(`output over the ${this.cap}-byte cap`);
    const grown = new Uint8Array(Math.min(this.cap, Math.max(this.pos + n, this.buf.length * 2)));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  put(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** The byte `dist` back (1 = the last one), or 0 before the start of the output. */
  back(dist: number): number {
    return this.pos - dist >= 0 ? (this.buf[this.pos - dist] as number) : 0;
  }

  copy(dist: number, len: number): void {
    if (dist > this.pos) throw new DecodeError('match distance beyond the data');
    this.ensure(len);
    for (let i = 0; i < len; i++, this.pos++) this.buf[this.pos] = this.buf[this.pos - dist] as number;
  }

  result(): Buffer {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.pos);
  }
}

export class RangeDecoder {
  private range = 0xffffffff;
  private code = 0;

  constructor(
    private readonly data: Uint8Array,
    private pos: number,
    private readonly end: number,
  ) {
    if (this.byte() !== 0) throw new DecodeError('range coder does not start with 0');
    for (let i = 0; i < 4; i++) this.code = ((this.code << 8) | this.byte()) >>> 0;
    if (this.code === this.range) throw new DecodeError('corrupt range coder start');
  }

  get offset(): number {
    return this.pos;
  }

  private byte(): number {
    if (this.pos >= this.end) throw new DecodeError('truncated LZMA data');
    return this.data[this.pos++] as number;
  }

  private normalize(): void {
    if (this.range < 0x1000000) {
      this.range = (this.range << 8) >>> 0;
      this.code = ((this.code << 8) | this.byte()) >>> 0;
    }
  }

  bit(probs: Uint16Array, i: number): number {
    const p = probs[i] as number;
    const bound = (this.range >>> 11) * p;
    let b: number;
    if (this.code < bound) {
      this.range = bound;
      probs[i] = p + ((2048 - p) >>> 5);
      b = 0;
    } else {
      this.range -= bound;
      this.code -= bound;
      probs[i] = p - (p >>> 5);
      b = 1;
    }
    this.normalize();
    return b;
  }

  direct(bits: number): number {
    let res = 0;
    for (let i = 0; i < bits; i++) {
      this.range >>>= 1;
      let b = 0;
      if (this.code >= this.range) {
        this.code -= this.range;
        b = 1;
      }
      res = res * 2 + b;
      this.normalize();
    }
    return res;
  }

  tree(probs: Uint16Array, bits: number, base = 0): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) + this.bit(probs, base + m);
    return m - (1 << bits);
  }

  reverse(probs: Uint16Array, bits: number, base = 0): number {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(probs, base + m);
      m = (m << 1) + b;
      sym |= b << i;
    }
    return sym;
  }

  finishedOK(): boolean {
    return this.code === 0;
  }
}

const probs = (n: number): Uint16Array => new Uint16Array(n).fill(1024);

class LenDecoder {
  private choice = probs(2);
  private low = probs(16 << 3);
  private mid = probs(16 << 3);
  private high = probs(256);

  decode(rc: RangeDecoder, posState: number): number {
    if (rc.bit(this.choice, 0) === 0) return rc.tree(this.low, 3, posState << 3);
    if (rc.bit(this.choice, 1) === 0) return 8 + rc.tree(this.mid, 3, posState << 3);
    return 16 + rc.tree(this.high, 8);
  }
}

export interface LzmaProps {
  lc: number;
  lp: number;
  pb: number;
}

export function propsOf(byte: number): LzmaProps {
  if (byte >= 9 * 5 * 5) throw new DecodeError(`bad LZMA properties byte ${byte}`);
  return { lc: byte % 9, lp: Math.floor(byte / 9) % 5, pb: Math.floor(byte / 45) };
}

/** What one call to `decode` ended on. */
export type LzmaEnd = 'limit' | 'marker';

/** The LZMA state machine: probabilities, state and the four last distances. */
export class LzmaDecoder {
  private props: LzmaProps = { lc: 3, lp: 0, pb: 2 };
  private literal = probs(0x300 << 3);
  private isMatch = probs(192);
  private isRep = probs(12);
  private isRepG0 = probs(12);
  private isRepG1 = probs(12);
  private isRepG2 = probs(12);
  private isRep0Long = probs(192);
  private posSlot = probs(256);
  private posDecoders = probs(115);
  private align = probs(16);
  private lenDec = new LenDecoder();
  private repLenDec = new LenDecoder();
  private state = 0;
  private reps = [0, 0, 0, 0];

  constructor(private readonly out: Output) {}

  /** Starts a stream with the properties its header gives. */
  reset(props: LzmaProps): void {
    this.props = props;
    this.literal = probs(0x300 << (this.props.lc + this.props.lp));
    for (const p of [this.isMatch, this.isRep, this.isRepG0, this.isRepG1, this.isRepG2, this.isRep0Long]) p.fill(1024);
    for (const p of [this.posSlot, this.posDecoders, this.align]) p.fill(1024);
    this.lenDec = new LenDecoder();
    this.repLenDec = new LenDecoder();
    this.state = 0;
    this.reps = [0, 0, 0, 0];
  }

  private literalByte(rc: RangeDecoder): void {
    const { lc, lp } = this.props;
    const out = this.out;
    const prev = out.back(1);
    const litState = ((out.pos & ((1 << lp) - 1)) << lc) + (prev >> (8 - lc));
    const base = 0x300 * litState;
    let sym = 1;
    if (this.state >= 7) {
      let match = out.back((this.reps[0] as number) + 1);
      do {
        const mb = (match >> 7) & 1;
        match <<= 1;
        const b = rc.bit(this.literal, base + ((1 + mb) << 8) + sym);
        sym = (sym << 1) | b;
        if (mb !== b) break;
      } while (sym < 0x100);
    }
    while (sym < 0x100) sym = (sym << 1) | rc.bit(this.literal, base + sym);
    out.put(sym - 0x100);
    this.state = this.state < 4 ? 0 : this.state < 10 ? this.state - 3 : this.state - 6;
  }

  private distance(len: number, rc: RangeDecoder): number {
    const slot = rc.tree(this.posSlot, 6, Math.min(len, 3) << 6);
    if (slot < 4) return slot;
    const direct = (slot >> 1) - 1;
    let dist = (2 | (slot & 1)) * 2 ** direct;
    if (slot < 14) return dist + rc.reverse(this.posDecoders, direct, dist - slot);
    dist += rc.direct(direct - 4) * 16;
    return dist + rc.reverse(this.align, 4);
  }

  /** A rep match (or short rep): returns its length, 0 for a short rep already written. */
  private rep(rc: RangeDecoder, posState: number): number {
    const s = this.state;
    const r = this.reps;
    if (this.out.pos === 0) throw new DecodeError('rep match before any data');
    if (rc.bit(this.isRepG0, s) === 0) {
      if (rc.bit(this.isRep0Long, (s << 4) + posState) === 0) {
        this.state = s < 7 ? 9 : 11;
        this.out.put(this.out.back((r[0] as number) + 1));
        return 0;
      }
    } else {
      let dist: number;
      if (rc.bit(this.isRepG1, s) === 0) dist = r[1] as number;
      else {
        if (rc.bit(this.isRepG2, s) === 0) dist = r[2] as number;
        else {
          dist = r[3] as number;
          r[3] = r[2] as number;
        }
        r[2] = r[1] as number;
      }
      r[1] = r[0] as number;
      r[0] = dist;
    }
    this.state = s < 7 ? 8 : 11;
    return this.repLenDec.decode(rc, posState) + 2;
  }

  /**
   * Decodes until the output reaches `limit` (or, with `allowMarker`, an end marker comes
   * first: LZMA_ALONE with an unknown size always ends in one).
   */
  decode(rc: RangeDecoder, limit: number, allowMarker: boolean): LzmaEnd {
    const out = this.out;
    const pbMask = (1 << this.props.pb) - 1;
    while (out.pos < limit) {
      const posState = out.pos & pbMask;
      if (rc.bit(this.isMatch, (this.state << 4) + posState) === 0) {
        this.literalByte(rc);
        continue;
      }
      let len: number;
      if (rc.bit(this.isRep, this.state) !== 0) {
        len = this.rep(rc, posState);
        if (len === 0) continue;
      } else {
        const r = this.reps;
        r[3] = r[2] as number;
        r[2] = r[1] as number;
        r[1] = r[0] as number;
        const l = this.lenDec.decode(rc, posState);
        this.state = this.state < 7 ? 7 : 10;
        r[0] = this.distance(l, rc);
        if (r[0] === 0xffffffff) {
          if (allowMarker && rc.finishedOK()) return 'marker';
          throw new DecodeError('unexpected LZMA end marker');
        }
        len = l + 2;
      }
      if (out.pos + len > limit) throw new DecodeError('LZMA match runs past the declared size');
      out.copy((this.reps[0] as number) + 1, len);
    }
    return 'limit';
  }
}

/** `.lzma` (LZMA_ALONE): properties, dictionary size, uncompressed size (or unknown), the stream. */
export function decodeLzmaAlone(data: Uint8Array, cap: number): Buffer {
  if (data.length < 13) throw new DecodeError('truncated LZMA header');
  const view = Buffer.from(data.buffer, data.byteOffset, data.length);
  const props = propsOf(data[0] as number);
  const size = view.readBigUInt64LE(5);
  const known = size !== 0xffffffffffffffffn;
  if (known && size > BigInt(cap)) throw new OverCapError(`declares ${size} bytes, over the ${cap}-byte cap`);
  const out = new Output(cap);
  const dec = new LzmaDecoder(out);
  dec.reset(props);
  const rc = new RangeDecoder(data, 13, data.length);
  // Unknown size: the stream's end marker ends it, the output's cap bounds it.
  dec.decode(rc, known ? Number(size) : Number.POSITIVE_INFINITY, true);
  return out.result();
}
