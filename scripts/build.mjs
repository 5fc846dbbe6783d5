// Bundles the daemon and the CLI with esbuild. Native modules stay external: they are
// loaded from node_modules (and shipped beside the bundle in the .vsix).
import * as esbuild from 'esbuild';

const external = ['better-sqlite3', 'zstd-napi', '@parcel/watcher', '@napi-rs/blake-hash', 'vscode'];
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  external,
  logLevel: 'warning',
  // The Azure SDK's ESM build (picked for our `import`s) reads import.meta.url, which a CJS
  // bundle does not have: give it the bundle's own file URL.
  define: { 'import.meta.url': '__bundleFileUrl' },
  banner: { js: "var __bundleFileUrl = require('node:url').pathToFileURL(__filename).href;" },
};

// The webviews' scripts, for the browser: minified, and handed to the extension bundle as text
// (`import source from 'webview-bundle:<name>'`), which inlines them into its pages under a
// nonce (the chart library is sent only when a chart is first drawn). They load no file, so the
// .vsix needs nothing beside extension.js for them.
const webviewEntries = {
  runsTable: 'extension/src/runs/webview/table.ts',
  runsCharts: 'extension/src/runs/webview/chart.ts',
};
const webviewBundles = Object.fromEntries(
  await Promise.all(
    Object.entries(webviewEntries).map(async ([name, entry]) => {
      const r = await esbuild.build({
        entryPoints: [entry],
        bundle: true,
        platform: 'browser',
        format: 'iife',
        target: 'chrome120',
        minify: true,
        // Vega's and its dependencies' license notices stay with the code.
        legalComments: 'eof',
        write: false,
        logLevel: 'warning',
      });
      return [name, r.outputFiles[0].text];
    }),
  ),
);
/** Resolves `webview-bundle:<name>` to the bundle's text. */
const webviewBundlePlugin = {
  name: 'webview-bundles',
  setup(build) {
    build.onResolve({ filter: /^webview-bundle:/ }, (a) => ({
      path: a.path.slice('webview-bundle:'.length),
      namespace: 'webview-bundle',
    }));
    build.onLoad({ filter: /.*/, namespace: 'webview-bundle' }, (a) => {
      const text = webviewBundles[a.path];
      if (text === undefined) return { errors: [{ text: `no webview bundle named ${a.path}` }] };
      return { contents: text, loader: 'text' };
    });
  },
};
if (process.argv.includes('--sizes'))
  for (const [name, text] of Object.entries(webviewBundles))
    console.log(`webview ${name}: ${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB minified`);

await Promise.all([
  esbuild.build({ ...common, entryPoints: { daemon: 'daemon/src/daemonEntry.ts' }, outdir: 'dist' }),
  esbuild.build({ ...common, entryPoints: { cli: 'daemon/src/cli/cliEntry.ts' }, outdir: 'dist' }),
  esbuild.build({ ...common, entryPoints: { bench: 'test/bench/bench.ts' }, outdir: 'dist' }),
  // The extension host provides `vscode`; the daemon's native modules are never loaded here.
  esbuild.build({
    ...common,
    entryPoints: { extension: 'extension/src/main.ts' },
    outdir: 'dist',
    external: ['vscode'],
    plugins: [webviewBundlePlugin],
    // The daemon shipped beside the extension needs a Node of this ABI for its native modules.
    define: { ...common.define, __NATIVE_ABI__: JSON.stringify(process.versions.modules) },
  }),
]);

// `npm run test:electron` only: the @vscode/test-electron runner and its in-editor suite.
if (process.argv.includes('--electron')) {
  await esbuild.build({
    ...common,
    entryPoints: { 'electron-run': 'test/electron/runTests.ts' },
    outdir: 'dist',
    external: ['vscode', '@vscode/test-electron'],
  });
  await esbuild.build({
    ...common,
    entryPoints: { 'electron-suite': 'test/electron/suite.ts' },
    outdir: 'dist',
    external: ['vscode'],
  });
}
