import type {
  EnvironmentDiff,
  MetricChange,
  ModelDiff,
  NotebookDiff,
  TensorChange,
  VersionDiff,
} from '../../../shared/src/diff';
import { signed } from '../../../shared/src/signed';
import { listNames } from '../../../shared/src/listNames';

/**
 * The rendered diff view (a webview without scripts): the same content as `mlsnap diff`,
 * changed rows first, unchanged ones collapsed. Pure, so it is unit tested without vscode.
 */
export function diffHtml(d: VersionDiff, opts: { cspSource: string; environmentOnly?: boolean }): string {
  const body = opts.environmentOnly
    ? environmentSection(d.environment, true)
    : [fileSection(d), environmentSection(d.environment, false)].join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${opts.cspSource} 'unsafe-inline';">
<title>${esc(d.before.ref)} ↔ ${esc(d.after.ref)}</title>
<style>
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 16px 24px; }
h1 { font-size: 1.3em; margin: 16px 0 4px; } h2 { font-size: 1.1em; margin: 20px 0 6px; }
.summary { font-size: 1.05em; margin: 4px 0 12px; color: var(--vscode-descriptionForeground); }
table { border-collapse: collapse; width: 100%; margin: 4px 0; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--vscode-editorWidget-border, #8884); font-family: var(--vscode-editor-font-family); }
th { font-family: var(--vscode-font-family); font-weight: 600; }
tr.added td:first-child::before { content: '+ '; } tr.removed td:first-child::before { content: '− '; }
.added { color: var(--vscode-gitDecoration-addedResourceForeground, #3a3); }
.removed { color: var(--vscode-gitDecoration-deletedResourceForeground, #c33); }
.changed, .reshaped, .retyped, .upgraded, .downgraded { color: var(--vscode-gitDecoration-modifiedResourceForeground, #c90); }
.regression { color: var(--vscode-errorForeground, #c33); font-weight: 600; }
.warn { color: var(--vscode-errorForeground, #c33); }
details { margin: 6px 0; } summary { cursor: pointer; color: var(--vscode-descriptionForeground); }
pre { margin: 2px 0; white-space: pre-wrap; font-family: var(--vscode-editor-font-family); }
.line-add { background: var(--vscode-diffEditor-insertedLineBackground, #3a33); } .line-remove { background: var(--vscode-diffEditor-removedLineBackground, #c333); }
</style></head><body>
<h1>${esc(d.path)}: ${esc(d.before.ref.split('@').pop() ?? '')} → ${esc(d.after.ref.split('@').pop() ?? '')}</h1>
<div class="summary">${esc(d.summary)}</div>
${body}
</body></html>`;
}

function fileSection(d: VersionDiff): string {
  const f = d.file;
  switch (f.type) {
    case 'model':
      return modelSection(f);
    case 'metrics':
      return metricsSection(f.changes, f.format);
    case 'notebook':
      return notebookSection(f);
    case 'binary':
      return `<h2>File</h2><table><tr><th></th><th>before</th><th>after</th></tr>
<tr><td>size</td><td>${f.before.size.toLocaleString('en-US')} bytes</td><td>${f.after.size.toLocaleString('en-US')} bytes</td></tr>
<tr><td>blake3</td><td>${esc(f.before.hash.slice(0, 16))}</td><td>${esc(f.after.hash.slice(0, 16))}</td></tr></table>`;
  }
}

/** No row for models without tensors (a pickled estimator): "0 → 0" would say nothing true. */
function paramsRow(m: ModelDiff): string {
  if (m.before.tensors.length === 0 && m.after.tensors.length === 0) return '';
  return `<tr><td>parameters</td><td>${m.paramsBefore.toLocaleString('en-US')}</td><td>${m.paramsAfter.toLocaleString('en-US')} (${signed(m.paramsAfter - m.paramsBefore)})</td></tr>`;
}

function modelSection(m: ModelDiff): string {
  const changed = m.tensors.filter((t) => t.status !== 'unchanged');
  const same = m.tensors.filter((t) => t.status === 'unchanged');
  const facts = Object.entries(m.factChanges);
  const globals = [...(m.before.globals ?? []), ...(m.after.globals ?? [])];
  const unsafe = globals.filter((g) => g.unsafe);
  const suspicious = [...new Set(globals.filter((g) => g.level === 'suspicious').map((g) => `${g.module}.${g.name}`))];
  const issues = [...(m.before.pickleIssues ?? []), ...(m.after.pickleIssues ?? [])].filter(
    (i) => i.level === 'dangerous' || i.level === 'unknown',
  );
  const out = [
    `<h2>Model (${esc(m.format)})</h2>`,
    `<table><tr><th></th><th>before</th><th>after</th></tr>${paramsRow(m)}`,
    ...facts.map(
      ([k, [a, b]]) => `<tr class="changed"><td>${esc(k)}</td><td>${esc(a ?? '—')}</td><td>${esc(b ?? '—')}</td></tr>`,
    ),
    '</table>',
  ];
  if (!m.bytesCompared)
    out.push(
      '<div class="summary">Tensor bytes were not compared (headers only); <code>mlsnap diff --bytes</code> compares them.</div>',
    );
  for (const g of unsafe)
    out.push(
      `<div class="warn">⚠ references ${esc(`${g.module}.${g.name}`)} (dangerous), which would execute code when loaded</div>`,
    );
  for (const i of issues)
    out.push(
      i.level === 'dangerous'
        ? `<div class="warn">⚠ ${esc(i.text)} (dangerous), which would execute code when loaded</div>`
        : `<div class="warn">⚠ pickle verdict unknown, treat it as unsafe: ${esc(i.text)}</div>`,
    );
  if (suspicious.length > 0)
    out.push(
      `<div class="summary">Rebuilds ${esc(listNames(suspicious, 5))} (suspicious: classes whose own code runs when loaded).</div>`,
    );
  out.push(`<h2>Tensors: ${changed.length} changed, ${same.length} unchanged</h2>`, tensorTable(changed));
  if (same.length > 0)
    out.push(
      `<details><summary>${same.length} unchanged tensor${same.length === 1 ? '' : 's'}</summary>${tensorTable(same)}</details>`,
    );
  return out.join('\n');
}

function tensorTable(rows: TensorChange[]): string {
  if (rows.length === 0) return '';
  const cell = (t?: { dtype: string; shape: number[] }): string =>
    t ? `${esc(t.dtype)} [${t.shape.join(', ')}]` : '—';
  return `<table><tr><th>tensor</th><th>change</th><th>before</th><th>after</th></tr>${rows
    .map(
      (t) =>
        `<tr class="${t.status}"><td>${esc(t.name)}</td><td>${t.status}</td><td>${cell(t.before)}</td><td>${cell(t.after)}</td></tr>`,
    )
    .join('')}</table>`;
}

function metricsSection(changes: MetricChange[], format: string): string {
  const changed = changes
    .filter((c) => c.before !== c.after)
    .sort((a, b) => Number(b.regression) - Number(a.regression));
  const same = changes.filter((c) => c.before === c.after);
  const row = (c: MetricChange): string => {
    const pct = c.percent === null ? '' : `${c.percent >= 0 ? '+' : ''}${c.percent.toFixed(1)}%`;
    const cls = c.regression ? 'regression' : c.before === c.after ? '' : 'changed';
    return `<tr class="${cls}"><td>${esc(c.key)}</td><td>${esc(String(c.before ?? '—'))}</td><td>${esc(String(c.after ?? '—'))}</td><td>${c.delta === null ? '' : signed(c.delta)}</td><td>${pct}</td><td>${c.better === null ? '' : c.better === 'up' ? '↑ better' : '↓ better'}${c.regression ? ' — regression' : ''}</td></tr>`;
  };
  const table = (rows: MetricChange[]): string =>
    `<table><tr><th>metric</th><th>before</th><th>after</th><th>Δ</th><th>%</th><th></th></tr>${rows.map(row).join('')}</table>`;
  return [
    `<h2>Metrics (${esc(format)}): ${changed.length} changed</h2>`,
    table(changed),
    same.length > 0
      ? `<details><summary>${same.length} unchanged metric${same.length === 1 ? '' : 's'}</summary>${table(same)}</details>`
      : '',
  ].join('\n');
}

function notebookSection(nb: NotebookDiff): string {
  const changed = nb.cells.filter((c) => c.status !== 'unchanged');
  const rows = changed.map((c) => {
    const src = (c.sourceDiff ?? [])
      .filter((l) => l.op !== 'equal')
      .map(
        (l) =>
          `<pre class="${l.op === 'add' ? 'line-add' : 'line-remove'}">${l.op === 'add' ? '+' : '−'} ${esc(l.text)}</pre>`,
      )
      .join('');
    const outs = c.outputChanges
      .map(
        (o) => `<div>output ${o.index + 1} ${o.status}${o.after?.images || o.before?.images ? ' (image)' : ''}</div>`,
      )
      .join('');
    return `<tr class="${c.status === 'modified' ? 'changed' : c.status}"><td>${esc(c.id)}</td><td>${c.status}</td><td>${src}${outs}</td></tr>`;
  });
  return `<h2>Notebook: ${changed.length} cell${changed.length === 1 ? '' : 's'} changed, ${nb.counts.unchanged} unchanged</h2><table><tr><th>cell</th><th>change</th><th>details</th></tr>${rows.join('')}</table>`;
}

function environmentSection(e: EnvironmentDiff | null, always: boolean): string {
  if (!e) return always ? '<h2>Environment</h2><div>No environment was recorded for these versions.</div>' : '';
  const rows: string[] = [];
  if (e.python) rows.push(tr('changed', 'python', e.python[0], e.python[1]));
  if (e.interpreter) rows.push(tr('changed', 'interpreter', e.interpreter[0], e.interpreter[1]));
  for (const p of e.packages) rows.push(tr(p.change, p.name, p.before, p.after));
  for (const [k, [a, b]] of Object.entries(e.machine)) rows.push(tr('changed', k, a, b));
  if (e.gpu) rows.push(tr('changed', 'GPU', e.gpu[0], e.gpu[1]));
  if (e.git?.commit)
    rows.push(
      tr('changed', 'git commit', e.git.commit[0]?.slice(0, 12) ?? null, e.git.commit[1]?.slice(0, 12) ?? null),
    );
  if (e.git?.dirty) rows.push(tr('changed', 'git dirty', String(e.git.dirty[0]), String(e.git.dirty[1])));
  if (rows.length === 0)
    return '<h2>Environment</h2><div>No change in interpreter, packages, machine, GPU or git.</div>';
  return `<h2>Environment: ${rows.length} change${rows.length === 1 ? '' : 's'}</h2><table><tr><th>what</th><th>before</th><th>after</th></tr>${rows.join('')}</table>`;
}

function tr(cls: string, what: string, a: string | null, b: string | null): string {
  return `<tr class="${cls}"><td>${esc(what)}</td><td>${esc(a ?? '—')}</td><td>${esc(b ?? '—')}</td></tr>`;
}

export function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}
