import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../support/tmp';

const repo = path.resolve(__dirname, '..', '..');

// `npm ci` refuses a lockfile that lacks an optional platform package the manifest names
// (it did for @napi-rs/blake-hash 1.3.6, whose registry has no darwin or windows builds), so
// the lockfile is checked the way a fresh clone would use it.
test('npm ci accepts the lockfile as committed (package.json and package-lock.json in sync)', () => {
  const dir = tempDir('npm-ci');
  for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(repo, f), path.join(dir, f));
  const r = spawnSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 240_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
});
