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
