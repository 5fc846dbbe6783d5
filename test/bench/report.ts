import * as fs from 'node:fs';
import * as path from 'node:path';

/** One measured figure: our value, the baseline measured in the same run, and the target. */
export interface Figure {
  id: string;
  name: string;
  /** What "value" measures, in one line (which code path, which cache state). */
  method: string;
  value: number;
  baseline: number;
  baselineLabel: string;
  unit: 'ms' | 'MB';
  /** value / baseline. */
  ratio: number;
  /** 'ratio': ratio ≤ limit; 'absolute': value ≤ limit (in unit). */
  target: { kind: 'ratio' | 'absolute'; limit: number };
  pass: boolean;
  /** Individual samples and breakdowns, for the JSON report. */
  details: Record<string, unknown>;
  notes: string[];
}

export interface FailedFigure {
  id: string;
  name: string;
  error: string;
}

export function makeFigure(f: Omit<Figure, 'ratio' | 'pass'>): Figure {
  const ratio = f.value / f.baseline;
  const pass = f.target.kind === 'ratio' ? ratio <= f.target.limit : f.value <= f.target.limit;
  return { ...f, ratio, pass };
}

function fmt(v: number, unit: string): string {
  if (!Number.isFinite(v)) return String(v);
  const digits = Math.abs(v) >= 1000 ? 0 : Math.abs(v) >= 100 ? 1 : 2;
  return `${v.toFixed(digits)} ${unit}`;
}

export function targetText(f: Figure): string {
  return f.target.kind === 'ratio' ? `≤ ${f.target.limit}×` : `≤ ${f.target.limit} ${f.unit}`;
}

export function printFigure(f: Figure): void {
  const lines = [
    ``,
    `== Figure ${f.id}: ${f.name}`,
    `   method:   ${f.method}`,
    `   measured: ${fmt(f.value, f.unit)}`,
    `   baseline: ${fmt(f.baseline, f.unit)} (${f.baselineLabel})`,
    `   ratio:    ${f.ratio.toFixed(2)}×`,
    `   target:   ${targetText(f)}  →  ${f.pass ? 'PASS' : 'FAIL'}`,
    ...f.notes.map((n) => `   note:     ${n}`),
    ``,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

export function printFailure(f: FailedFigure): void {
  process.stdout.write(`\n== Figure ${f.id}: ${f.name}\n   CRASHED: ${f.error}\n\n`);
}

export function printSummary(figures: readonly Figure[], failures: readonly FailedFigure[]): void {
  const rows: string[][] = [['#', 'figure', 'measured', 'baseline (same run)', 'ratio', 'target', 'result']];
  const all = [...figures.map((f) => ({ id: f.id, f })), ...failures.map((x) => ({ id: x.id, x }))].sort((a, b) =>
    a.id.localeCompare(b.id, 'en', { numeric: true }),
  );
  for (const r of all) {
    if ('f' in r) {
      const f = r.f;
      rows.push([
        f.id,
        f.name,
        fmt(f.value, f.unit),
        `${fmt(f.baseline, f.unit)} ${f.baselineLabel}`,
        `${f.ratio.toFixed(2)}×`,
        targetText(f),
        f.pass ? 'PASS' : 'FAIL',
      ]);
    } else {
      rows.push([r.x.id, r.x.name, '-', '-', '-', '-', 'CRASHED']);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  const line = (row: string[]): string => '| ' + row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ') + ' |';
  const out = [
    '',
    '== Summary',
    line(rows[0]!),
    '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|',
    ...rows.slice(1).map(line),
    '',
  ];
  process.stdout.write(out.join('\n') + '\n');
}

export function writeJson(file: string, data: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    JSON.stringify(data, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n',
  );
}
