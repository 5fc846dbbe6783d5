/**
 * Python-like text of the walker's values, for warnings ("loading would call posix.system('…')"),
 * facts and estimator parameters. Depth and length are capped: a 100,000-deep nest renders as
 * `[[[[[…]]]]]` in constant time.
 */
import type { PV } from './values';

/** Python-like repr of a value, capped at `max` characters. */
export function render(v: PV, max = 200): string {
  const s = renderInner(v, 0, max);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function renderList(items: readonly PV[], depth: number, max: number): string {
  const parts: string[] = [];
  let len = 0;
  for (const x of items) {
    const r = renderInner(x, depth + 1, max);
    parts.push(r);
    len += r.length + 2;
    if (len > max) {
      parts.push('…');
      break;
    }
  }
  return parts.join(', ');
}

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

function renderInner(v: PV, depth: number, max: number): string {
  if (depth > 4) return '…';
  switch (v.t) {
    case 'none':
      return 'None';
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'int':
      return String(v.v);
    case 'float':
      return pyFloat(v.v);
    case 'str':
      return `${quote(v.v)}${v.truncated ? `…(${v.truncated} bytes)` : ''}`;
    case 'bytes':
      return `<${v.len} bytes>`;
    case 'tuple':
      return v.items.length === 1 ? `(${renderList(v.items, depth, max)},)` : `(${renderList(v.items, depth, max)})`;
    case 'list':
      return `[${renderList(v.items, depth, max)}]`;
    case 'set':
      return `{${renderList(v.items, depth, max)}}`;
    case 'dict':
      return `{${v.entries
        .slice(0, 20)
        .map(([k, x]) => `${renderInner(k, depth + 1, max)}: ${renderInner(x, depth + 1, max)}`)
        .join(', ')}${v.entries.length > 20 ? ', …' : ''}}`;
    case 'global':
      return `${v.module}.${v.name}`;
    case 'obj': {
      const args =
        v.args.t === 'tuple' ? renderInner(v.args, depth + 1, max) : `(*${renderInner(v.args, depth + 1, max)})`;
      return `${renderInner(v.func, depth + 1, max)}${args}`;
    }
    case 'pid':
      return `persistent_load(${renderInner(v.pid, depth + 1, max)})`;
    case 'ext':
      return `<extension ${v.code}>`;
    case 'buffer':
      return '<out-of-band buffer>';
  }
}

/** Python's float repr: shortest round-trip digits, exponent below 1e-4 and from 1e16. */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Object.is(v, -0)) return '-0.0';
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mant, exp] = v.toExponential().split('e') as [string, string];
    const e = Number(exp);
    return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return Number.isInteger(v) ? `${v}.0` : String(v);
}
