import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickleSafetyLine } from './format';

test("show's pickle line: every verdict, what blocks push and promote, the suspicious classes listed", () => {
  assert.equal(
    pickleSafetyLine({ verdict: 'safe', suspicious: [] }),
    'pickle: safe (only data: tensors, arrays, plain containers)',
  );
  const classes = ['a.A', 'b.B', 'c.C', 'd.D', 'e.E', 'f.F', 'g.G'];
  assert.equal(
    pickleSafetyLine({ verdict: 'suspicious', suspicious: classes }),
    'pickle: suspicious: rebuilds a.A, b.B, c.C, d.D, e.E +2 more (classes whose own code runs when loaded)',
  );
  assert.equal(
    pickleSafetyLine({
      verdict: 'dangerous',
      suspicious: [],
      detail: 'dangerous pickle: unsafe globals: posix.system',
    }),
    'pickle: dangerous (push and promote block it): dangerous pickle: unsafe globals: posix.system',
  );
  assert.equal(
    pickleSafetyLine({ verdict: 'unknown', suspicious: ['m.C'], detail: 'not readable as a pickle' }),
    'pickle: unknown, treat it as unsafe (push and promote block it): not readable as a pickle',
  );
});
