import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPreOrDevRelease, isValidVersion, localLabel, parseVersion, publicVersion, releaseTuple } from './pep440';

test('accepts the spellings pip accepts and refuses what no index can serve', () => {
  for (const v of [
    '1.24.2',
    '1!2.0',
    'v1.0',
    '1.0rc1',
    '1.0.post2',
    '1.0-1',
    '2.2.0.dev20231010+cu121',
    ' 1.0 ',
    '0.0.0',
  ]) {
    assert.ok(isValidVersion(v), v);
  }
  for (const v of ['', '1.0-custom-build', 'unknown', '1.0+', '1.0+a..b', '1.3.2 (debian)', '.1']) {
    assert.ok(!isValidVersion(v), v);
  }
});

test('parses and normalises every segment', () => {
  assert.deepEqual(parseVersion('1!2.3.4-alpha.5.post-6.DEV7+Ubuntu_1'), {
    epoch: 1,
    release: [2, 3, 4],
    pre: { label: 'a', number: 5 },
    post: 6,
    dev: 7,
    local: 'ubuntu.1',
  });
  assert.deepEqual(parseVersion('1.0c')?.pre, { label: 'rc', number: 0 });
  assert.equal(parseVersion('1.0-3')?.post, 3);
});

test('public part, local label, pre/dev and release tuple', () => {
  assert.equal(publicVersion('1.13.0a0+gitunknown'), '1.13.0a0');
  assert.equal(publicVersion('2.1.0+cu121'), '2.1.0');
  assert.equal(publicVersion('1.0-post1.dev2'), '1.0.post1.dev2');
  assert.equal(publicVersion('nope'), null);
  assert.equal(localLabel('1.13.0a0+gitunknown'), 'gitunknown');
  assert.equal(localLabel('2.0.0+rocm5.6'), 'rocm5.6');
  assert.equal(localLabel('1.24.2'), null);
  assert.ok(isPreOrDevRelease('1.13.0a0+gitunknown'));
  assert.ok(isPreOrDevRelease('2.2.0.dev20231010'));
  assert.ok(!isPreOrDevRelease('1.0.post1'));
  assert.ok(!isPreOrDevRelease('not a version'));
  assert.deepEqual(releaseTuple('1.13.0a0+gitunknown'), [1, 13, 0]);
  assert.equal(releaseTuple('x'), null);
});
