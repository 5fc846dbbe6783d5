/**
 * Figures 5 and 6 (typed diffs): two 20 MB notebooks of 500 cells with images, and a 1 GiB
 * safetensors pair diffed from their headers only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { diffModels, type ReadStats } from '../../daemon/src/diff/models/ModelDiff';
import { makeLargeNotebook } from '../../daemon/src/diff/notebook/largeNotebook';
import { diffNotebooks } from '../../daemon/src/diff/notebook/NotebookDiff';
import type { Figure } from './report';
import { fmtMs, median, progress, timed } from './util';

export async function measureNotebookDiff(opts: { runs: number }): Promise<Figure> {
  progress('building two 500-cell notebooks with images (seed 0 and an edited seed 1)…');
  const a = makeLargeNotebook(500, 37_500, 0);
  const b = makeLargeNotebook(500, 37_500, 1);
  const ours: number[] = [];
  const floor: number[] = [];
  let cells = 0;
  for (let i = 0; i < opts.runs + 1; i++) {
    const parse = await timed(() => {
      JSON.parse(a.toString('utf8'));
      JSON.parse(b.toString('utf8'));
    });
    const d = await timed(() => diffNotebooks(a, b));
    cells = d.value.cells.filter((c) => c.status !== 'unchanged').length;
    // The first round warms up the JIT.
    if (i > 0) {
      ours.push(d.ms);
      floor.push(parse.ms);
    }
  }
  const value = median(ours);
  const baseline = median(floor);
  return {
    id: '5',
    name: `notebook diff, 2 × ${(a.length / 1e6).toFixed(1)} MB, 500 cells with images`,
    method: `diffNotebooks(before, after) on generated nbformat 4.5 notebooks (3% of cells edited, 1% added/removed/moved, execution counts shifted); median of ${opts.runs}`,
    value,
    baseline,
    baselineLabel: 'JSON.parse of both notebooks (the floor)',
    unit: 'ms',
    ratio: value / baseline,
    target: { kind: 'absolute', limit: 300 },
    pass: value <= 300,
    notes: [`${cells} cells reported changed`],
    details: { samples: ours, parseSamples: floor, changedCells: cells, bytes: [a.length, b.length] },
  };
}

export async function measureSafetensorsHeaderDiff(opts: { dir: string; size: number }): Promise<Figure> {
  fs.mkdirSync(opts.dir, { recursive: true });
  const files = [32, 64].map((h) => writeSparseSafetensors(path.join(opts.dir, `w${h}.safetensors`), opts.size, h));
  progress(`diffing two ${(opts.size / 2 ** 30).toFixed(0)} GiB safetensors from their headers…`);
  const header: number[] = [];
  let stats: ReadStats = { bytesRead: 0, reads: 0 };
  for (let i = 0; i < 5; i++) {
    stats = { bytesRead: 0, reads: 0 };
    const s = stats;
    header.push((await timed(() => diffModels(files[0] as string, files[1] as string, { stats: s }))).ms);
  }
  progress('…and with the byte check (reads both files whole)…');
  const full = await timed(() => diffModels(files[0] as string, files[1] as string, { compareBytes: true }));
  for (const f of files) fs.rmSync(f, { force: true });
  const value = median(header);
  return {
    id: '6',
    name: `safetensors diff, 2 × ${(opts.size / 2 ** 30).toFixed(0)} GiB, headers only`,
    method: `diffModels(a, b) without compareBytes (median of 5); bytes read counted by the parser: ${stats.bytesRead} in ${stats.reads} reads`,
    value,
    baseline: full.ms,
    baselineLabel: 'the same diff with the byte check (compareBytes), same run',
    unit: 'ms',
    ratio: value / full.ms,
    target: { kind: 'absolute', limit: 50 },
    pass: value <= 50 && stats.bytesRead < 64 * 1024,
    notes: [
      `header-only diff read ${stats.bytesRead} bytes in ${stats.reads} reads; the byte check took ${fmtMs(full.ms)}`,
    ],
    details: { samples: header, bytesRead: stats.bytesRead, reads: stats.reads, byteCheckMs: full.ms },
  };
}

/** A safetensors file written to the spec: JSON header, then sparse (unwritten) tensor data. */
function writeSparseSafetensors(file: string, size: number, hidden: number): string {
  const small = { '0.bias': { dtype: 'F32', shape: [hidden], data_offsets: [0, hidden * 4] } };
  const bigBytes = size - hidden * 4;
  const rows = Math.floor(bigBytes / 4 / 1024);
  const header = {
    __metadata__: { hidden: String(hidden) },
    ...small,
    'embed.weight': { dtype: 'F32', shape: [rows, 1024], data_offsets: [hidden * 4, hidden * 4 + rows * 1024 * 4] },
  };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(json.length));
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, head);
  fs.writeSync(fd, json);
  fs.closeSync(fd);
  fs.truncateSync(file, 8 + json.length + hidden * 4 + rows * 1024 * 4);
  return file;
}
