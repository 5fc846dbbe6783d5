// Runs every test with node's own runner: unit tests beside the code (shared/, daemon/,
// extension/), integration and end-to-end tests under test/. Usage: node scripts/test.mjs [filter]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureSystem } from './ensure-system.mjs';

function find(dir, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'fixtures') find(p, out);
    else if (e.isFile() && e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

ensureSystem();
const filter = process.argv[2];
const files = ['shared/src', 'daemon/src', 'extension/src', 'test']
  .flatMap((d) => find(d))
  .filter((f) => !filter || f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filter ?? '(all)'}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, MLSNAP_LOG_LEVEL: process.env.MLSNAP_LOG_LEVEL ?? 'warn' },
});
process.exit(r.status ?? 1);
