// `npm start`: build, then run the daemon in the foreground on examples/demo, printing each
// version it records. Edit or execute examples/demo/train.ipynb in another terminal to see it.
import { spawnSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'dist', 'cli.js');
const demo = path.join(repo, 'examples', 'demo');

const build = spawnSync(process.execPath, [path.join(repo, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: repo });
if (build.status !== 0) process.exit(build.status ?? 1);

// One daemon per user: a background one must make way for the foreground one.
spawnSync(process.execPath, [cli, 'daemon', 'stop'], { stdio: 'ignore' });
console.log(`mlsnap: watching ${demo}`);
console.log(`  try: cd examples/demo && /usr/bin/python3 -m nbconvert --to notebook --execute --inplace train.ipynb`);
console.log(`  then: bin/mlsnap log --project examples/demo   (in another terminal)`);
const child = spawn(process.execPath, [cli, 'daemon', 'run', '--project', demo], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
