/**
 * Protocol 4 frames (FRAME n: the next n bytes are a frame of whole opcodes). CPython's C
 * unpickler only checks that the n bytes exist and reads on linearly, as the walker does; the
 * pure-Python unpickler (the one joblib subclasses) enforces them: an opcode that crosses a
 * frame's end or a frame inside a frame is an error there, and a frame that runs past STOP
 * moves where the next pickle starts. A frame that disagrees with its content therefore reads
 * differently in different loaders, which is what a payload hidden from scanners needs: each
 * disagreement is recorded as a problem (the verdict becomes unknown at best).
 */
export class Frames {
  /** Absolute end of the frame being read, or null outside frames. */
  private end: number | null = null;
  readonly problems: string[] = [];

  private problem(p: string): void {
    if (this.problems.length < 10) this.problems.push(p);
  }

  /** Before each opcode, at its offset. */
  atOpcode(pos: number): void {
    if (this.end === null) return;
    if (pos > this.end) this.problem(`an opcode crosses the end of the frame that ends at offset ${this.end}`);
    if (pos >= this.end) this.end = null;
  }

  /** A FRAME opcode at `at` declaring `len` bytes from `start`. */
  frame(at: number, start: number, len: number): void {
    if (this.end !== null && at < this.end)
      this.problem(`FRAME at offset ${at} starts inside the frame that ends at offset ${this.end}`);
    this.end = start + len;
  }

  /** A FRAME declaring more bytes than are left. */
  pastEnd(at: number, len: number, left: number): void {
    this.problem(`FRAME at offset ${at} declares ${len} bytes, only ${left} are left`);
    this.end = null;
  }

  /** After STOP (`pos` is just past it). */
  stop(pos: number): void {
    if (this.end !== null && pos < this.end)
      this.problem(
        `the frame that ends at offset ${this.end} runs ${this.end - pos} bytes past STOP (a sequential loader skips them)`,
      );
    this.atOpcode(pos);
    this.end = null;
  }

  /** Raw data read outside the opcode stream (joblib arrays): loaders read it from the file, after the frame. */
  rawData(pos: number): void {
    if (this.end !== null && pos < this.end)
      this.problem(
        `array data at offset ${pos} sits inside the frame that ends at offset ${this.end}: joblib reads it from the frame's end`,
      );
    this.atOpcode(pos);
    this.end = null;
  }
}
