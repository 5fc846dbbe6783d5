import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LineChange } from '../../../../shared/src/diff';
import { diffLines, diffText, splitLines } from './lineDiff';

function sides(d: LineChange[]): { a: string[]; b: string[] } {
  return {
    a: d.filter((l) => l.op !== 'add').map((l) => l.text),
    b: d.filter((l) => l.op !== 'remove').map((l) => l.text),
  };
}

function lcsLength(a: string[], b: string[]): number {
  const dp: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = dp[i] as number[];
      const up = dp[i - 1] as number[];
      row[j] = a[i - 1] === b[j - 1] ? (up[j - 1] as number) + 1 : Math.max(up[j] as number, row[j - 1] as number);
    }
  }
  return (dp[a.length] as number[])[b.length] as number;
}

describe('line diff', () => {
  test('splitLines: final newline, CRLF, empty text', () => {
    assert.deepEqual(splitLines(''), []);
    assert.deepEqual(splitLines('a\nb\n'), ['a', 'b']);
    assert.deepEqual(splitLines('a\r\nb'), ['a', 'b']);
    assert.deepEqual(splitLines('\n'), ['']);
  });

  test('a small edit', () => {
    assert.deepEqual(diffText('a\nb\nc\n', 'a\nB\nc\nd\n'), [
      { op: 'equal', text: 'a' },
      { op: 'remove', text: 'b' },
      { op: 'add', text: 'B' },
      { op: 'equal', text: 'c' },
      { op: 'add', text: 'd' },
    ]);
    assert.deepEqual(diffText('same', 'same'), [{ op: 'equal', text: 'same' }]);
    assert.deepEqual(diffText('', 'x'), [{ op: 'add', text: 'x' }]);
  });

  test('random inputs: the script rebuilds both sides and is minimal', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const a = Array.from({ length: rand(30) }, () => String.fromCharCode(97 + rand(5)));
      const b = Array.from({ length: rand(30) }, () => String.fromCharCode(97 + rand(5)));
      const d = diffLines(a, b);
      assert.deepEqual(sides(d), { a, b });
      assert.equal(d.filter((l) => l.op === 'equal').length, lcsLength(a, b), `${a.join('')} / ${b.join('')}`);
    }
  });

  test('pathological sizes stay fast and still correct', () => {
    const a = Array.from({ length: 50_000 }, (_, i) => `line ${i}`);
    const b = Array.from({ length: 50_000 }, (_, i) => `other ${i}`);
    const t0 = performance.now();
    const d = diffLines(a, b);
    const ms = performance.now() - t0;
    // Generous (loaded CI machines); a quadratic diff of 50,000 lines would take far longer.
    assert.ok(ms < 10_000, `${ms} ms`);
    assert.deepEqual(sides(d), { a, b });

    // Many scattered edits in a long text: bounded work, still a valid script.
    const c = a.map((l, i) => (i % 7 === 0 ? `${l}!` : l));
    const t1 = performance.now();
    const e = diffLines(a, c);
    assert.ok(performance.now() - t1 < 10_000);
    assert.deepEqual(sides(e), { a, b: c });
  });
});
