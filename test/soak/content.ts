import { Blake3Hasher } from '@napi-rs/blake-hash';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Rng } from './prng';
import type { Ledger } from './ledger';

/** The project's tracked files: notebooks, small and few-MiB model files, metrics. */
export const FILES = [
  'notebooks/train.ipynb',
  'notebooks/eval.ipynb',
  'models/head.pt',
  'models/encoder.ckpt',
  'models/big.pt',
  'metrics.json',
  'eval/metrics_eval.json',
] as const;

export type TrackedFile = (typeof FILES)[number];

const MiB = 1024 * 1024;

/** Model files get sizes by name: a few KiB, a few hundred KiB, a few MiB. */
function modelSize(rel: string, rng: Rng): number {
  if (rel.endsWith('head.pt')) return rng.int(4 * 1024, 64 * 1024);
  if (rel.endsWith('encoder.ckpt')) return rng.int(100 * 1024, 900 * 1024);
  return rng.int(1 * MiB, 4 * MiB);
}

/**
 * Incompressible bytes from the seed (xorshift32 words): weights do not compress, and none
 * repeats. They open with a fixed header: random bytes that happen to start like a pickle
 * (0x80, a zip or zlib magic) would make the push's gate refuse them as unverifiable pickles.
 */
function modelBytes(size: number, rng: Rng): Buffer {
  const buf = Buffer.allocUnsafe(Math.ceil(size / 4) * 4);
  let x = rng.int(1, 0xffffffff) >>> 0;
  for (let i = 0; i < buf.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf.writeUInt32LE(x >>> 0, i);
  }
  buf.write(MODEL_HEADER, 0, 'latin1');
  return buf.subarray(0, size);
}

const MODEL_HEADER = 'SOAKMODEL\n';

const WORDS = ['epoch', 'loss', 'train', 'model', 'layer', 'batch', 'step', 'optimizer', 'lr', 'eval', 'dropout'];

/** A valid nbformat 4 notebook of a few cells (no token-like strings: the push's secret gate must pass it). */
function notebook(rng: Rng): Buffer {
  const cells = Array.from({ length: rng.int(1, 12) }, (_, i) => ({
    cell_type: 'code',
    id: `cell-${i}`,
    execution_count: i + 1,
    metadata: {},
    source: Array.from({ length: rng.int(1, 30) }, () => `${rng.pick(WORDS)} = ${rng.int(0, 1_000_000)}\n`),
    outputs: [{ output_type: 'stream', name: 'stdout', text: [`${rng.pick(WORDS)} ${rng.next().toFixed(6)}\n`] }],
  }));
  const nb = { cells, metadata: { kernelspec: { name: 'python3' } }, nbformat: 4, nbformat_minor: 5 };
  return Buffer.from(JSON.stringify(nb, null, 1));
}

function metrics(rng: Rng): Buffer {
  const m: Record<string, number> = {};
  for (const w of ['accuracy', 'val_loss', 'f1', 'epoch']) m[w] = Number(rng.next().toFixed(6));
  m.step = rng.int(0, 1_000_000);
  return Buffer.from(JSON.stringify(m, null, 2) + '\n');
}

function contentFor(rel: string, rng: Rng): Buffer {
  if (rel.endsWith('.ipynb')) return notebook(rng);
  if (rel.endsWith('.json')) return metrics(rng);
  return modelBytes(modelSize(rel, rng), rng);
}

export function blake3(data: Buffer): string {
  return new Blake3Hasher().update(data).digest('hex');
}

/**
 * Write new content to a tracked file, in place (as torch.save does) or through a temp file
 * renamed over it (as editors save), after telling the ledger its hash: whatever version the
 * daemon takes of it, the ledger knows those bytes were written.
 */
export function writeTracked(root: string, rel: string, rng: Rng, ledger: Ledger): void {
  const data = contentFor(rel, rng);
  ledger.wrote(rel, blake3(data));
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (rng.chance(0.3)) {
    // Not a tracked name: the watcher ignores it, so only the rename is an event.
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.partial`);
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } else {
    fs.writeFileSync(file, data);
  }
}
