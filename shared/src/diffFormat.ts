import { MINUS, signed } from './signed';
import type {
  CellDiff,
  EnvironmentDiff,
  FileDiff,
  KeyChange,
  LineChange,
  MetricChange,
  ModelDiff,
  ModelSummary,
  NotebookDiff,
  VersionDiff,
} from './diff';
import { listNames } from './listNames';

/**
 * Plain-text rendering of a VersionDiff (the CLI's `mlsnap diff`): changed things first,
 * unchanged ones counted, not listed.
 */
export function diffToText(d: VersionDiff, opts: { context?: number } = {}): string {
  const out = [`${d.before.ref} → ${d.after.ref}: ${d.summary}`];
  if (d.identical) return out.join('\n') + '\n';
  out.push('', ...fileLines(d.file, opts.context ?? 2));
  if (d.environment) out.push('', ...environmentLines(d.environment));
  return out.join('\n') + '\n';
}

function fileLines(f: FileDiff, context: number): string[] {
  switch (f.type) {
    case 'notebook':
      return notebookLines(f, context);
    case 'model':
      return modelLines(f);
    case 'metrics':
      return metricLines(f.changes);
    case 'binary':
      return [
        `binary file: ${f.before.size} bytes (${f.before.hash.slice(0, 12)}) → ${f.after.size} bytes (${f.after.hash.slice(0, 12)})`,
      ];
  }
}

function notebookLines(nb: NotebookDiff, context: number): string[] {
  const out = [`notebook (nbformat ${nb.nbformat.before} → ${nb.nbformat.after})`];
  for (const c of nb.cells.filter((c) => c.status !== 'unchanged')) out.push(...cellLines(c, context));
  const unchanged = nb.counts.unchanged;
  if (unchanged > 0) out.push(`  … ${unchanged} unchanged cell${unchanged === 1 ? '' : 's'}`);
  if (nb.metadataDetail && nb.metadataDetail.length > 0) {
    out.push('  notebook metadata changed:');
    for (const k of nb.metadataDetail) out.push(`    ${keyChangeLine(k)}`);
  } else if (nb.metadataChanges.length > 0) out.push(`  notebook metadata changed: ${nb.metadataChanges.join(', ')}`);
  return out;
}

function cellLines(c: CellDiff, context: number): string[] {
  const where =
    c.status === 'added'
      ? `new #${(c.afterIndex ?? 0) + 1}`
      : c.status === 'removed'
        ? `was #${(c.beforeIndex ?? 0) + 1}`
        : `#${(c.beforeIndex ?? 0) + 1}→#${(c.afterIndex ?? 0) + 1}`;
  const out = [`  ${c.status.toUpperCase()} ${c.cellType} cell ${c.id} (${where})`];
  if (c.sourceDiff && c.status !== 'added' && c.status !== 'removed')
    out.push(...lineDiff(c.sourceDiff, context, '    '));
  for (const o of c.outputChanges) {
    const what = o.after ?? o.before;
    out.push(
      `    output ${o.index + 1} ${o.status}: ${what?.type ?? ''}${what?.mimes.length ? ` [${what.mimes.join(', ')}]` : ''}`,
    );
    const imgs = Object.keys({ ...(o.before?.images ?? {}), ...(o.after?.images ?? {}) });
    for (const m of imgs)
      out.push(
        `      ${m}: ${o.before?.images?.[m]?.slice(0, 12) ?? '—'} → ${o.after?.images?.[m]?.slice(0, 12) ?? '—'}`,
      );
    if (o.textDiff) out.push(...lineDiff(o.textDiff, context, '      '));
  }
  for (const a of c.attachmentChanges ?? []) {
    const hash = (side: Record<string, string> | undefined): string =>
      side === undefined
        ? '—'
        : Object.values(side)
            .map((h) => h.slice(0, 12))
            .join(',');
    out.push(`    attachment ${a.name} ${a.status} [${a.mimes.join(', ')}]: ${hash(a.before)} → ${hash(a.after)}`);
  }
  if (c.idChange) out.push(`    id ${c.idChange.before ?? '(none)'} → ${c.idChange.after ?? '(none)'}`);
  if (c.metadataChanges && c.metadataChanges.length > 0) {
    out.push('    metadata changed:');
    for (const k of c.metadataChanges) out.push(`      ${keyChangeLine(k)}`);
  } else if (c.metadataChanged) out.push('    metadata changed');
  if (c.executionCount)
    out.push(`    execution count ${c.executionCount.before ?? '—'} → ${c.executionCount.after ?? '—'}`);
  else if (c.executionCountChanged && c.status === 'unchanged') out.push('    execution count changed');
  return out;
}

/** `kernelspec: {"name":"a"} → {"name":"b"}`; an absent side is "(absent)". */
function keyChangeLine(k: KeyChange): string {
  return `${k.key}: ${k.before ?? '(absent)'} → ${k.after ?? '(absent)'}`;
}

/** Changed lines with `context` lines around them; long unchanged runs are elided. */
export function lineDiff(lines: LineChange[], context: number, indent: string): string[] {
  const keep = new Set<number>();
  lines.forEach((l, i) => {
    if (l.op === 'equal') return;
    for (let j = Math.max(0, i - context); j <= Math.min(lines.length - 1, i + context); j++) keep.add(j);
  });
  const out: string[] = [];
  let skipped = 0;
  lines.forEach((l, i) => {
    if (!keep.has(i)) {
      skipped++;
      return;
    }
    if (skipped > 0) out.push(`${indent}  ⋯ ${skipped} unchanged line${skipped === 1 ? '' : 's'}`);
    skipped = 0;
    out.push(`${indent}${l.op === 'add' ? '+' : l.op === 'remove' ? '-' : ' '} ${l.text}`);
  });
  return out;
}

function modelLines(m: ModelDiff): string[] {
  // A pickle of an estimator has no tensors: "0 → 0 parameters" would say nothing true.
  const hasTensors = m.before.tensors.length > 0 || m.after.tensors.length > 0;
  const params = hasTensors
    ? `: ${m.paramsBefore.toLocaleString('en-US')} → ${m.paramsAfter.toLocaleString('en-US')} parameters${m.bytesCompared ? '' : ' (tensor bytes not compared; --bytes compares them)'}`
    : '';
  const out = [`model (${m.format})${params}`];
  for (const [k, [a, b]] of Object.entries(m.factChanges)) out.push(`  ${k}: ${a ?? '—'} → ${b ?? '—'}`);
  const changed = m.tensors.filter((t) => t.status !== 'unchanged');
  for (const t of changed) {
    const a = t.before ? `${t.before.dtype}${JSON.stringify(t.before.shape)}` : '—';
    const b = t.after ? `${t.after.dtype}${JSON.stringify(t.after.shape)}` : '—';
    out.push(`  ${t.status.padEnd(9)} ${t.name}: ${a} → ${b}`);
  }
  const same = m.tensors.length - changed.length;
  if (same > 0) out.push(`  … ${same} unchanged tensor${same === 1 ? '' : 's'}`);
  out.push(...pickleLines(m.after));
  return out;
}

/** The after side's pickle safety: dangerous globals and issues, an unknown verdict, suspicious classes. */
function pickleLines(s: ModelSummary): string[] {
  const out: string[] = [];
  const globals = s.globals ?? [];
  for (const g of globals.filter((x) => x.level === 'dangerous' || (x.level === undefined && x.unsafe)))
    out.push(`  WARNING: references ${g.module}.${g.name} (dangerous), which would execute code when loaded`);
  for (const i of s.pickleIssues ?? []) {
    if (i.level === 'dangerous') out.push(`  WARNING: ${i.text} (dangerous), which would execute code when loaded`);
    if (i.level === 'unknown') out.push(`  WARNING: pickle verdict unknown, treat it as unsafe: ${i.text}`);
  }
  const suspicious = globals.filter((x) => x.level === 'suspicious').map((g) => `${g.module}.${g.name}`);
  if (suspicious.length > 0) {
    out.push(`  note: rebuilds ${listNames(suspicious, 5)} (suspicious: classes whose own code runs when loaded)`);
  }
  return out;
}

/** " (Δ −0.04, −4.4%)": the delta in the metric's own unit, then relative. */
function metricDelta(c: MetricChange): string {
  const parts: string[] = [];
  if (c.delta !== null) parts.push(`Δ ${signedShort(c.delta)}`);
  if (c.percent !== null) parts.push(`${signed(c.percent, 1)}%`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

/** Four significant digits, without float noise: −0.04, not −0.040000000000000036. */
function signedShort(n: number): string {
  const text = String(Number(Math.abs(n).toPrecision(4)));
  return `${n > 0 ? '+' : n < 0 ? MINUS : '±'}${text}`;
}

function metricLines(changes: MetricChange[]): string[] {
  const changed = changes.filter((c) => c.before !== c.after);
  const out = changed.map((c) => {
    return `  ${c.regression ? 'REGRESSION ' : ''}${c.key}: ${String(c.before ?? '—')} → ${String(c.after ?? '—')}${metricDelta(c)}`;
  });
  if (changes.length > changed.length)
    out.push(
      `  … ${changes.length - changed.length} unchanged metric${changes.length - changed.length === 1 ? '' : 's'}`,
    );
  return ['metrics', ...out];
}

function environmentLines(e: EnvironmentDiff): string[] {
  const out: string[] = [];
  if (e.python) out.push(`  python: ${e.python[0] ?? '—'} → ${e.python[1] ?? '—'}`);
  if (e.interpreter) out.push(`  interpreter: ${e.interpreter[0] ?? '—'} → ${e.interpreter[1] ?? '—'}`);
  for (const p of e.packages) out.push(`  ${p.change.padEnd(10)} ${p.name}: ${p.before ?? '—'} → ${p.after ?? '—'}`);
  for (const [k, [a, b]] of Object.entries(e.machine)) out.push(`  ${k}: ${a} → ${b}`);
  if (e.gpu) out.push(`  gpu: ${e.gpu[0]} → ${e.gpu[1]}`);
  if (e.git?.commit)
    out.push(`  git commit: ${e.git.commit[0]?.slice(0, 12) ?? '—'} → ${e.git.commit[1]?.slice(0, 12) ?? '—'}`);
  if (e.git?.dirty) out.push(`  git dirty: ${e.git.dirty[0]} → ${e.git.dirty[1]}`);
  return out.length > 0 ? ['environment', ...out] : [];
}
