/**
 * Synthetic large notebooks for tests and the benchmark.
 *
 * `makeLargeNotebook(cells, imageBytes, seed)`: every 5th cell is markdown, the others are code
 * cells with a few source lines, a stream output and one image/png output of `imageBytes` raw bytes
 * (base64 in the file, so ~4/3 of that). 500 cells with imageBytes = 37_500 give a ~20 MB file.
 *
 * seed 0 is the base notebook. Any other seed is an edited version of the same base, as a user
 * would leave it after some work: about 3% of the code cells get a changed source line and a new
 * image, 1% of the cells are removed, 1% added (new ids), 1% moved elsewhere, and every
 * execution count shifts (a re-run). Diffing seed 0 against seed 1 is the realistic case.
 * `withIds: false` writes nbformat 4.4 without cell ids, so cells are matched by content.
 */

const WORDS = [
  'model',
  'loss',
  'train',
  'data',
  'batch',
  'epoch',
  'optimizer',
  'step',
  'grad',
  'layer',
  'weights',
  'frame',
  'plot',
  'mean',
  'scale',
  'rate',
];

function rng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Deterministic pseudo-random "PNG" bytes for (cell, version), base64-encoded. */
function imagePayload(bytes: number, key: number): string {
  const buf = Buffer.allocUnsafe(Math.max(bytes, PNG_SIGNATURE.length));
  const words = new Uint32Array(buf.buffer, buf.byteOffset, Math.floor(buf.length / 4));
  let x = (key * 2654435761) >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    // xorshift32
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  for (let i = words.length * 4; i < buf.length; i++) buf[i] = (x >>> (i % 4)) & 0xff;
  PNG_SIGNATURE.copy(buf, 0);
  return buf.toString('base64');
}

interface BaseCell {
  key: number;
  markdown: boolean;
  lines: string[];
}

function baseCell(key: number): BaseCell {
  const r = rng(key + 1);
  const word = (): string => WORDS[Math.floor(r() * WORDS.length)] as string;
  if (key % 5 === 0)
    return {
      key,
      markdown: true,
      lines: [`## Section ${key / 5}: ${word()} ${word()}`, '', `Notes about the ${word()} and the ${word()}.`],
    };
  const n = 3 + Math.floor(r() * 10);
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(`${word()}_${key}_${i} = ${word()}(${Math.floor(r() * 1000)}, ${word()}=${(r() * 10).toFixed(3)})`);
  lines.push(`plot(${word()}_${key}_0)`);
  return { key, markdown: false, lines };
}

export function makeLargeNotebook(
  cells: number,
  imageBytes: number,
  seed: number,
  opts: { withIds?: boolean } = {},
): Buffer {
  const withIds = opts.withIds !== false;
  let order: BaseCell[] = [];
  for (let k = 0; k < cells; k++) order.push(baseCell(k));
  const imageVersion = new Map<number, number>();
  let countShift = 0;

  if (seed !== 0) {
    const r = rng(seed * 7919);
    const pick = (): number => Math.floor(r() * order.length);
    countShift = 1 + Math.floor(r() * 50);
    const edits = Math.max(1, Math.round(cells * 0.03));
    for (let e = 0; e < edits; e++) {
      const c = order[pick()] as BaseCell;
      if (c.markdown) continue;
      const copy = { ...c, lines: [...c.lines] };
      const line = Math.floor(r() * copy.lines.length);
      copy.lines[line] = `${copy.lines[line] ?? ''}  # edited (${seed})`;
      order[order.indexOf(c)] = copy;
      imageVersion.set(c.key, seed);
    }
    const few = Math.max(1, Math.round(cells * 0.01));
    for (let e = 0; e < few && order.length > 1; e++) order.splice(pick(), 1);
    for (let e = 0; e < few; e++) {
      const added = baseCell(cells + seed * 1000 + e);
      order.splice(pick(), 0, added);
    }
    for (let e = 0; e < few && order.length > 1; e++) {
      const [moved] = order.splice(pick(), 1);
      if (moved) order.splice(pick(), 0, moved);
    }
    order = [...order];
  }

  const json: string[] = [];
  let count = countShift;
  for (const c of order) {
    const id = withIds ? `"id": "cell-${c.key}", ` : '';
    const source = JSON.stringify(c.lines.map((l, i) => (i < c.lines.length - 1 ? `${l}\n` : l)));
    if (c.markdown) {
      json.push(`{"cell_type": "markdown", ${id}"metadata": {}, "source": ${source}}`);
      continue;
    }
    count++;
    const image = imagePayload(imageBytes, c.key * 1009 + (imageVersion.get(c.key) ?? 0));
    const stream = JSON.stringify([
      `step ${c.key}: loss=${(1 / (c.key + 1)).toFixed(5)}\n`,
      `done ${c.lines.length} lines\n`,
    ]);
    json.push(
      `{"cell_type": "code", ${id}"execution_count": ${count}, "metadata": {}, "source": ${source}, "outputs": [` +
        `{"output_type": "stream", "name": "stdout", "text": ${stream}}, ` +
        `{"output_type": "display_data", "metadata": {}, "data": {"image/png": "${image}", "text/plain": ["<Figure size 640x480 with 1 Axes>"]}}]}`,
    );
  }
  const meta =
    '{"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}, "language_info": {"name": "python"}}';
  return Buffer.from(
    `{"cells": [\n${json.join(',\n')}\n], "metadata": ${meta}, "nbformat": 4, "nbformat_minor": ${withIds ? 5 : 4}}\n`,
    'utf8',
  );
}
