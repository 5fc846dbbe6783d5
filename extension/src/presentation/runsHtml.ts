/**
 * The Runs table's webview page: a strict Content-Security-Policy (scripts only with this
 * page's nonce — no 'unsafe-eval': the charts run Vega's expression interpreter, not generated
 * code), the editor's theme colours, and the table's own script inlined (it is bundled into the
 * extension; the chart library follows later, only when a chart is drawn). Pure: unit tested.
 */

/** The CSP of the page. Styles allow inline: Vega's SVG and tooltips set style attributes. */
export function runsTableCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data: blob:`,
    `style-src ${cspSource} 'unsafe-inline'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

/** A script's text made safe inside an inline <script> element (no "</script", no "<!--"). */
export function inlineScript(source: string): string {
  return source.replace(/<(\/script|!--)/gi, '\\x3C$1');
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function runsTableHtml(o: { cspSource: string; nonce: string; title: string; script: string }): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${runsTableCsp(o.cspSource, o.nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(o.title)}</title>
<style>${STYLE}</style></head><body>
<header class="toolbar">
  <input id="filter" type="search" placeholder="Filter: source, parameter (HIDDEN=64) or metric>0.9" aria-label="Filter runs" spellcheck="false">
  <span id="count" class="muted"></span>
  <span class="spacer"></span>
  <button id="compare" disabled title="Select two runs to compare them">Compare</button>
  <label class="group">metric <select id="metric" aria-label="Metric to chart"></select></label>
  <button id="chart" title="Chart the metric for the selected runs (all shown runs when none is selected)">Chart</button>
  <label class="group">model <select id="trendPath" aria-label="Model path for the trend"></select></label>
  <button id="trend" title="The metric over the versions of this model">Trend</button>
  <button id="refresh" class="secondary" title="Read the runs again">Refresh</button>
</header>
<main>
  <div id="message" class="muted" role="status"></div>
  <div class="table-wrap"><table id="runs"><thead></thead><tbody></tbody></table></div>
  <section id="comparison" hidden></section>
  <section id="charts" hidden></section>
</main>
<script nonce="${o.nonce}">${inlineScript(o.script)}</script>
</body></html>`;
}

const STYLE = `
:root { color-scheme: light dark; }
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); background: var(--vscode-editor-background); padding: 0 16px 24px; margin: 0; }
.toolbar { position: sticky; top: 0; z-index: 2; display: flex; flex-wrap: wrap; align-items: center; gap: 8px; padding: 10px 0; background: var(--vscode-editor-background); border-bottom: 1px solid var(--vscode-panel-border, #8884); }
.toolbar .spacer { flex: 1; }
.group { display: inline-flex; align-items: center; gap: 4px; color: var(--vscode-descriptionForeground); }
input[type=search] { min-width: 320px; flex: 0 1 420px; padding: 4px 6px; color: var(--vscode-input-foreground); background: var(--vscode-input-background); border: 1px solid var(--vscode-input-border, transparent); border-radius: 2px; font: inherit; }
input[type=search]:focus, select:focus, button:focus { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
select { color: var(--vscode-dropdown-foreground); background: var(--vscode-dropdown-background); border: 1px solid var(--vscode-dropdown-border, transparent); padding: 3px 4px; font: inherit; max-width: 220px; }
button { color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; padding: 4px 10px; border-radius: 2px; font: inherit; cursor: pointer; }
button:hover:not(:disabled) { background: var(--vscode-button-hoverBackground); }
button:disabled { opacity: 0.5; cursor: default; }
button.secondary, button.link { color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); }
button.secondary:hover:not(:disabled), button.link:hover:not(:disabled) { background: var(--vscode-button-secondaryHoverBackground); }
.muted { color: var(--vscode-descriptionForeground); }
#message { margin: 8px 0; min-height: 1.2em; }
#message.error { color: var(--vscode-errorForeground); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: max-content; min-width: 100%; }
th, td { text-align: left; padding: 3px 10px; border-bottom: 1px solid var(--vscode-editorWidget-border, #8884); white-space: nowrap; }
td { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size, inherit); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
#runs th { position: sticky; top: 0; background: var(--vscode-editor-background); font-weight: 600; cursor: pointer; user-select: none; }
#runs th.select { cursor: default; }
#runs th .dir { color: var(--vscode-descriptionForeground); font-weight: normal; }
#runs th[aria-sort=ascending]::after { content: ' ▲'; } #runs th[aria-sort=descending]::after { content: ' ▼'; }
#runs th.param { color: var(--vscode-symbolIcon-variableForeground, inherit); }
#runs tbody tr { cursor: pointer; }
#runs tbody tr:hover { background: var(--vscode-list-hoverBackground); }
#runs tbody tr.selected { background: var(--vscode-list-inactiveSelectionBackground); color: var(--vscode-list-inactiveSelectionForeground, inherit); }
td.changed { background: var(--vscode-diffEditor-insertedTextBackground, rgba(155, 185, 85, 0.2)); box-shadow: inset 2px 0 0 var(--vscode-gitDecoration-modifiedResourceForeground, #c90); }
td.better { color: var(--vscode-charts-green, #3a3); } td.worse { color: var(--vscode-charts-red, #c33); font-weight: 600; }
td.better::after { content: ' ▲'; font-size: 0.8em; } td.worse::after { content: ' ▼'; font-size: 0.8em; }
section { margin-top: 18px; padding-top: 6px; border-top: 1px solid var(--vscode-panel-border, #8884); }
section h2 { font-size: 1.15em; margin: 8px 0 4px; display: flex; align-items: center; gap: 10px; }
section h3 { font-size: 1em; margin: 14px 0 4px; }
section .summary { margin: 2px 0 8px; color: var(--vscode-descriptionForeground); }
section table { min-width: 0; }
.verdict-better { color: var(--vscode-charts-green, #3a3); } .verdict-worse { color: var(--vscode-charts-red, #c33); font-weight: 600; }
.chart { margin: 10px 0 18px; }
.chart .actions { display: flex; gap: 6px; margin: 4px 0; align-items: center; }
.chart .caption { margin: 4px 0; }
.chart .plot { min-height: 40px; }
.close { margin-left: auto; }
#vg-tooltip-element.custom-theme { background: var(--vscode-editorHoverWidget-background); color: var(--vscode-editorHoverWidget-foreground); border: 1px solid var(--vscode-editorHoverWidget-border); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
#vg-tooltip-element.custom-theme td.key { color: var(--vscode-descriptionForeground); }
`;
