import { Blake3Hasher } from '@napi-rs/blake-hash';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes a blob's bytes through while hashing them, and ends with an error instead of
 * finishing when they do not hash to `hash` or are not `size` bytes long. `fail` builds that
 * error from a reason, so callers word it for what they read (a version, an upload).
 *
 * The last chunk is held back until the check passes: whoever counts what came through (an
 * HTTP client against Content-Length, a temp file renamed only when complete) then always
 * sees a corrupt blob end short, never complete. Bytes past `size` fail at once, not at the end.
 */
export class VerifyingStream extends Transform {
  private readonly hasher = new Blake3Hasher();
  private seen = 0;
  private held: Buffer | null = null;

  constructor(
    private readonly hash: string,
    private readonly size: number,
    private readonly fail: (why: string) => Error,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.size) return done(this.fail(`it holds more than the ${this.size} bytes recorded`));
    this.hasher.update(chunk);
    if (this.held !== null) this.push(this.held);
    this.held = chunk;
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.seen !== this.size) return done(this.fail(`it holds ${this.seen} of the ${this.size} bytes recorded`));
    const got = this.hasher.digest('hex');
    if (got !== this.hash) return done(this.fail(`its bytes hash to ${got.slice(0, 12)}…`));
    if (this.held !== null) this.push(this.held);
    done();
  }
}
