import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insideProject, normalizePosix } from './projectPath';

const root = '/home/ada/proj';
const rel = (given: string, opts = {}): string | null => {
  const v = insideProject(root, given, opts);
  return v.ok ? v.rel : null;
};

test('normalizePosix resolves dots and duplicate slashes, keeping leading ..', () => {
  assert.equal(normalizePosix('a//b/./c/../d'), 'a/b/d');
  assert.equal(normalizePosix('../a/../../b'), '../../b');
  assert.equal(normalizePosix('/a/../../b'), '/b');
  assert.equal(normalizePosix('./'), '');
});

test('relative paths inside the project are normalised; .. out of it is refused', () => {
  assert.equal(rel('models/x.pt'), 'models/x.pt');
  assert.equal(rel('models/./sub/../x.pt'), 'models/x.pt');
  assert.equal(rel('../outside.pt'), null);
  assert.equal(rel('models/../../outside.pt'), null);
  assert.equal(rel('..'), null);
});

test('absolute paths must be under the root, not merely share its prefix', () => {
  assert.equal(rel('/home/ada/proj/models/x.pt'), 'models/x.pt');
  assert.equal(rel('/home/ada/proj2/x.pt'), null);
  assert.equal(rel('/home/ada/proj/../other/x.pt'), null);
  assert.equal(rel('/etc/passwd'), null);
});

test('the root itself only when asked; the store never unless asked', () => {
  assert.equal(rel('.'), null);
  assert.equal(rel('/home/ada/proj'), null);
  assert.equal(rel('.', { allowRoot: true }), '');
  assert.equal(rel('.mlsnap/store.db'), null);
  assert.equal(rel('/home/ada/proj/.mlsnap/blobs/ab'), null);
  assert.equal(rel('.mlsnap/store.db', { allowStore: true }), '.mlsnap/store.db');
  // Only the top-level store folder is the store.
  assert.equal(rel('sub/.mlsnap/x.pt'), 'sub/.mlsnap/x.pt');
});

test('NUL bytes and empty paths are refused with a reason', () => {
  const nul = insideProject(root, 'models/x.pt\0.txt');
  assert.equal(nul.ok, false);
  assert.match(nul.ok ? '' : nul.reason, /NUL/);
  assert.equal(insideProject(root, '').ok, false);
});
