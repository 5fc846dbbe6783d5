import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noNodeMessage, pickNode } from './nodeRuntime';

test('the first Node whose ABI fits the native modules runs the daemon', () => {
  const c = [
    { path: '/electron', modules: '118', source: 'extension host' },
    { path: '/usr/bin/node', modules: '115', source: 'PATH' },
  ];
  assert.equal(pickNode(c, '115')?.path, '/usr/bin/node');
  assert.equal(pickNode(c, '127'), null);
});

test('when none fits, the message says what was tried and what to install or set', () => {
  const msg = noNodeMessage([{ path: 'node', modules: null, source: 'PATH' }], '115');
  assert.match(msg, /ABI 115/);
  assert.match(msg, /node \(PATH: did not run\)/);
  assert.match(msg, /mlsnap\.nodePath/);
});
