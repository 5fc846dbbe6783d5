import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrayOf, asRecord, bool, int, obj, oneOf, optional, str } from './check';
import { MlsnapError } from './errors';
import { METHODS } from './protocol';

function refusal(fn: () => unknown): MlsnapError {
  try {
    fn();
  } catch (e) {
    if (e instanceof MlsnapError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

test('obj checks declared fields, drops undeclared ones and names the field it refuses', () => {
  const check = obj({
    root: str,
    limit: optional(int(1)),
    paths: optional(arrayOf(str)),
    trigger: optional(oneOf('manual', 'save')),
    dry: optional(bool),
  });
  assert.deepEqual(check({ root: '/p', limit: 3, extra: 'x' }, 'params'), { root: '/p', limit: 3 });
  const e = refusal(() => check({ root: '' }, 'params'));
  assert.equal(e.kind, 'bad-request');
  assert.match(e.message, /"root" must be a non-empty string/);
  assert.match(
    refusal(() => check({ root: '/p', limit: 0 }, 'params')).message,
    /"limit" must be an integer of at least 1/,
  );
  assert.match(refusal(() => check({ root: '/p', limit: 1.5 }, 'params')).message, /"limit"/);
  assert.match(refusal(() => check({ root: '/p', paths: ['a', 3] }, 'params')).message, /"paths\[1\]"/);
  assert.match(refusal(() => check({ root: '/p', trigger: 'watch' }, 'params')).message, /"manual" or "save"/);
  assert.match(refusal(() => check([], 'params')).message, /JSON object/);
  // null is treated as absent, the way JSON clients send "no value".
  assert.deepEqual(check({ root: '/p', limit: null }, 'params'), { root: '/p' });
});

test('every protocol method declares a params checker that refuses a non-object', () => {
  for (const [name, spec] of Object.entries(METHODS)) {
    assert.equal(typeof spec.params, 'function', name);
    assert.equal(refusal(() => spec.params('nope', 'params')).kind, 'bad-request', name);
  }
  assert.deepEqual(METHODS['store/gc'].params({ root: '/p', keepLast: 2 }, 'params'), { root: '/p', keepLast: 2 });
  assert.match(
    refusal(() => METHODS['store/gc'].params({ root: '/p', keepLast: null }, 'params')).message,
    /"keepLast" must be an integer of at least 1/,
  );
});

test('asRecord accepts plain objects only', () => {
  assert.deepEqual(asRecord({ a: 1 }), { a: 1 });
  assert.equal(asRecord([]), null);
  assert.equal(asRecord(null), null);
  assert.equal(asRecord('x'), null);
});
