import type { LineChange } from '../../../../shared/src/diff';

/**
 * Line diffs for cell sources and text outputs: common prefix/suffix trimmed, then Myers' O(ND)
 * algorithm on interned lines. Work is bounded: when the edit distance would exceed what
 * `MAX_WORK` allows for the sizes at hand, the differing middle is reported as removed then added
 * (correct, just not minimal), so a pathological input never takes more than a few ms.
 */

/** Upper bound on (N + M) × D steps for the Myers search (about 10-20 ms). */
const MAX_WORK = 8_000_000;
/** Upper bound on the edit distance searched at all (the trace is O(D²) memory). */
const MAX_D = 2_000;

/** Lines of a text, without their line terminators; a final newline does not add an empty line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
  }
  return lines;
}

export function diffText(before: string, after: string): LineChange[] {
  return diffLines(splitLines(before), splitLines(after));
}

export function diffLines(a: string[], b: string[]): LineChange[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const out: LineChange[] = [];
  for (let i = 0; i < start; i++) out.push({ op: 'equal', text: a[i] as string });
  middle(a, start, endA, b, start, endB, out);
  for (let i = endA; i < a.length; i++) out.push({ op: 'equal', text: a[i] as string });
  return out;
}

function middle(a: string[], a0: number, a1: number, b: string[], b0: number, b1: number, out: LineChange[]): void {
  const n = a1 - a0;
  const m = b1 - b0;
  if (n === 0 || m === 0) {
    for (let i = a0; i < a1; i++) out.push({ op: 'remove', text: a[i] as string });
    for (let j = b0; j < b1; j++) out.push({ op: 'add', text: b[j] as string });
    return;
  }
  // Intern lines so the inner loop compares integers.
  const ids = new Map<string, number>();
  const intern = (s: string): number => {
    let id = ids.get(s);
    if (id === undefined) {
      id = ids.size;
      ids.set(s, id);
    }
    return id;
  };
  const xa = new Int32Array(n);
  const xb = new Int32Array(m);
  for (let i = 0; i < n; i++) xa[i] = intern(a[a0 + i] as string);
  for (let j = 0; j < m; j++) xb[j] = intern(b[b0 + j] as string);

  const maxD = Math.min(n + m, MAX_D, Math.max(16, Math.floor(MAX_WORK / (n + m))));
  const script = myers(xa, xb, maxD);
  if (script === null) {
    for (let i = a0; i < a1; i++) out.push({ op: 'remove', text: a[i] as string });
    for (let j = b0; j < b1; j++) out.push({ op: 'add', text: b[j] as string });
    return;
  }
  for (const [op, i] of script) {
    out.push({ op, text: (op === 'add' ? b[b0 + i] : a[a0 + i]) as string });
  }
}

type Step = ['equal' | 'remove' | 'add', number];

/** Myers' greedy forward search; the edit script (index into a for equal/remove, b for add), or null past maxD. */
function myers(a: Int32Array, b: Int32Array, maxD: number): Step[] | null {
  const n = a.length;
  const m = b.length;
  const offset = maxD + 1;
  const v = new Int32Array(2 * maxD + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= maxD && found < 0; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number))) {
        x = v[offset + k + 1] as number;
      } else {
        x = (v[offset + k - 1] as number) + 1;
      }
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    trace.push(v.slice(offset - d - 1, offset + d + 2));
  }
  if (found < 0) return null;

  // Backtrack: trace[d] holds v[-d-1 .. d+1] after step d.
  const steps: Step[] = [];
  let x = n;
  let y = m;
  const at = (d: number, k: number): number => (trace[d] as Int32Array)[k + d + 1] as number;
  for (let d = found; d > 0; d--) {
    const k = x - y;
    const prevK = k === -d || (k !== d && at(d - 1, k - 1) < at(d - 1, k + 1)) ? k + 1 : k - 1;
    const prevX = at(d - 1, prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      steps.push(['equal', x]);
    }
    if (x === prevX) {
      y--;
      steps.push(['add', y]);
    } else {
      x--;
      steps.push(['remove', x]);
    }
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    steps.push(['equal', x]);
  }
  steps.reverse();
  return steps;
}
