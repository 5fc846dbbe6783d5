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
};

await Promise.all([
  esbuild.build({ ...common, entryPoints: { daemon: 'daemon/src/daemonEntry.ts' }, outdir: 'dist' }),
  esbuild.build({ ...common, entryPoints: { cli: 'daemon/src/cli/cliEntry.ts' }, outdir: 'dist' }),
  esbuild.build({ ...common, entryPoints: { bench: 'test/bench/bench.ts' }, outdir: 'dist' }),
]);
