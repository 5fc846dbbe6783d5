/**
 * A metric's series as one blob: most logs step 0, 1, 2… or every N, so an arithmetic run of
 * steps is stored as start and stride; values as float32 (what TensorBoard itself stores),
 * while the exact last value stays in run_metric.final. 10,000 points take 40 KB, not 160 KB.
 */
const VERSION = 1;
const ARANGE = 0;
const EXPLICIT = 1;
const HEADER = 6;

function isArange(steps: readonly number[]): boolean {
  if (steps.length < 2) return true;
  const stride = (steps[1] ?? 0) - (steps[0] ?? 0);
  for (let i = 2; i < steps.length; i++) if ((steps[i] ?? 0) - (steps[i - 1] ?? 0) !== stride) return false;
  return Number.isFinite(stride);
}

export function encodeSeries(steps: readonly number[], values: readonly number[]): Buffer {
  const n = Math.min(steps.length, values.length);
  const arange = isArange(steps.slice(0, n));
  const stepBytes = arange ? 16 : n * 8;
  const buf = Buffer.alloc(HEADER + stepBytes + n * 4);
  buf.writeUInt8(VERSION, 0);
  buf.writeUInt8(arange ? ARANGE : EXPLICIT, 1);
  buf.writeUInt32LE(n, 2);
  let at = HEADER;
  if (arange) {
    buf.writeDoubleLE(steps[0] ?? 0, at);
    buf.writeDoubleLE(n > 1 ? (steps[1] ?? 0) - (steps[0] ?? 0) : 1, at + 8);
    at += 16;
  } else {
    for (let i = 0; i < n; i++, at += 8) buf.writeDoubleLE(steps[i] ?? 0, at);
  }
  for (let i = 0; i < n; i++, at += 4) buf.writeFloatLE(values[i] ?? NaN, at);
  return buf;
}

export function decodeSeries(buf: Buffer): { steps: number[]; values: number[] } {
  if (buf.length < HEADER || buf.readUInt8(0) !== VERSION) throw new Error('unknown series encoding');
  const mode = buf.readUInt8(1);
  const n = buf.readUInt32LE(2);
  const steps = new Array<number>(n);
  const values = new Array<number>(n);
  let at = HEADER;
  if (mode === ARANGE) {
    const start = buf.readDoubleLE(at);
    const stride = buf.readDoubleLE(at + 8);
    for (let i = 0; i < n; i++) steps[i] = start + i * stride;
    at += 16;
  } else {
    for (let i = 0; i < n; i++, at += 8) steps[i] = buf.readDoubleLE(at);
  }
  if (buf.length < at + n * 4) throw new Error('series blob cut short');
  for (let i = 0; i < n; i++, at += 4) values[i] = buf.readFloatLE(at);
  return { steps, values };
}
