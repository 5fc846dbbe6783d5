import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MlsnapError } from '../../../shared/src/errors';
import { lexicalInside, resolveInside } from './ProjectPaths';

function tmp(): string {
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mlsnap-paths-')));
  process.once('exit', () => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

function refused(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof MlsnapError);
    assert.equal(e.kind, 'bad-request');
    return e.message;
  }
  throw new Error('expected bad-request');
}

test('resolveInside: relative, absolute, .., the store and NUL bytes', () => {
  const root = tmp();
  fs.mkdirSync(path.join(root, 'models'));
  assert.equal(resolveInside(root, 'models/x.pt'), 'models/x.pt');
  assert.equal(resolveInside(root, path.join(root, 'models', 'x.pt')), 'models/x.pt');
  assert.equal(resolveInside(root, 'x.pt', { cwd: path.join(root, 'models') }), 'models/x.pt');
  assert.match(
    refused(() => resolveInside(root, '../outside.pt')),
    /outside the project/,
  );
  assert.match(
    refused(() => resolveInside(root, 'models/../../outside.pt')),
    /outside the project/,
  );
  assert.match(
    refused(() => resolveInside(root, '/etc/passwd')),
    /outside the project/,
  );
  assert.match(
    refused(() => resolveInside(root, '.mlsnap/store.db')),
    /inside the mlsnap store/,
  );
  assert.match(
    refused(() => resolveInside(root, 'models/x\0.pt')),
    /NUL/,
  );
  assert.equal(resolveInside(root, '.', { allowRoot: true }), '');
});

test('resolveInside: a symbolic link that leads out of the project is refused, one that stays in is not', () => {
  const root = tmp();
  const outside = tmp();
  fs.writeFileSync(path.join(outside, 'secret.pt'), 'x');
  fs.symlinkSync(outside, path.join(root, 'escape'));
  fs.symlinkSync(path.join(outside, 'secret.pt'), path.join(root, 'leak.pt'));
  fs.mkdirSync(path.join(root, 'real'));
  fs.symlinkSync(path.join(root, 'real'), path.join(root, 'alias'));
  assert.match(
    refused(() => resolveInside(root, 'escape/secret.pt')),
    /symbolic link/,
  );
  assert.match(
    refused(() => resolveInside(root, 'escape/not-yet-written.pt')),
    /symbolic link/,
  );
  assert.match(
    refused(() => resolveInside(root, 'leak.pt')),
    /symbolic link/,
  );
  // The spelling the user gave is the name the history keeps.
  assert.equal(resolveInside(root, 'alias/x.pt'), 'alias/x.pt');
  // A link into the store is the store.
  fs.mkdirSync(path.join(root, '.mlsnap'));
  fs.symlinkSync(path.join(root, '.mlsnap'), path.join(root, 'store-alias'));
  assert.match(
    refused(() => resolveInside(root, 'store-alias/store.db')),
    /symbolic link|store/,
  );
});

test('lexicalInside never touches the disk', () => {
  assert.equal(lexicalInside('/no/such/root', '/no/such/root/a/b.pt'), 'a/b.pt');
  assert.equal(lexicalInside('/no/such/root', '/no/such/rootx/b.pt'), null);
  assert.equal(lexicalInside('/r', '/r/.mlsnap/x', { allowStore: true }), '.mlsnap/x');
  assert.equal(lexicalInside('/r', '/r/.mlsnap/x'), null);
});
