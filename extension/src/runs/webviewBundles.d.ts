/**
 * The webview scripts, bundled by scripts/build.mjs (esbuild, for the browser) and inlined
 * into the extension bundle as text: `webview-bundle:runsTable` is the Runs table's script,
 * `webview-bundle:runsCharts` the chart library it loads when a chart is first drawn.
 */
declare module 'webview-bundle:*' {
  const source: string;
  export default source;
}
