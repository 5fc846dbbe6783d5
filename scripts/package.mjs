// `npm run package`: build, then a .vsix with @vscode/vsce holding only what runs (see
// .vscodeignore): the extension, the daemon and CLI bundles, and the daemon's native modules
// for this platform. Prints the path of the .vsix.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ?? path.join(repo, 'dist', 'mlsnap.vsix');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run(process.execPath, [path.join(repo, 'scripts', 'build.mjs')]);
run(process.execPath, [
  path.join(repo, 'node_modules', '@vscode', 'vsce', 'vsce'),
  'package',
  '--skip-license',
  '--allow-star-activation',
  '-o',
  out,
]);
console.log(out);
