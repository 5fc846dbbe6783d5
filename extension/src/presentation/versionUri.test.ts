import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isNotebook,
  isTextLike,
  opensInEditorDiff,
  parseVersionQuery,
  projectOf,
  refOf,
  versionUriParts,
} from './versionUri';

test('a version address survives the round trip through a URI, and its path ends with the file name', () => {
  const a = { root: '/home/u/proj', path: 'nb/train.ipynb', seq: 3 };
  const parts = versionUriParts(a);
  assert.equal(parts.path, '/home/u/proj/nb/train.ipynb');
  assert.deepEqual(parseVersionQuery(parts.query), a);
  assert.equal(refOf(a), 'nb/train.ipynb@3');
});

test('malformed addresses are refused', () => {
  assert.throws(() => parseVersionQuery('root=/p&path=x&seq=0'));
  assert.throws(() => parseVersionQuery('path=x&seq=1'));
});

test('the deepest project holds a file; the store itself is in none', () => {
  const roots = ['/w', '/w/sub'];
  assert.deepEqual(projectOf('/w/sub/m.pt', roots), { root: '/w/sub', rel: 'm.pt' });
  assert.deepEqual(projectOf('/w/a/b.ipynb', roots), { root: '/w', rel: 'a/b.ipynb' });
  assert.equal(projectOf('/other/x.pt', roots), null);
  assert.equal(projectOf('/w/.mlsnap/store.db', roots), null);
  assert.equal(projectOf('/wx/y.pt', ['/w']), null, 'a prefix that is not a folder boundary');
});

test('notebooks and text open as themselves, binaries as a summary', () => {
  assert.ok(isTextLike('a/b.ipynb'));
  assert.ok(isTextLike('metrics.json'));
  assert.ok(!isTextLike('models/x.pt'));
  assert.ok(!isTextLike('w.safetensors'));
});

test('notebooks and plain text compare in the editor, models and metrics in the typed diff', () => {
  assert.ok(opensInEditorDiff('a/b.ipynb'));
  assert.ok(opensInEditorDiff('notes.md'));
  assert.ok(!opensInEditorDiff('metrics.json'));
  assert.ok(!opensInEditorDiff('models/x.pt'));
  assert.ok(!opensInEditorDiff('blob.bin'));
  assert.ok(isNotebook('A/B.IPYNB'));
  assert.ok(!isNotebook('x.json'));
});
