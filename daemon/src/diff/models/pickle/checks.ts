/**
 * What a call or a BUILD does beyond the globals it names: safe functions that call one of
 * their arguments must be given a global, `_codecs.encode` only the codecs the pickler
 * writes, and a BUILD must not change a global or set an object's dunders (a `__setstate__`
 * set by one BUILD is what the next BUILD calls).
 */
import { render } from './render';
import { addIssue, type ScanState } from './state';
import type { PV } from './values';
import { ownEntry } from '../../../../../shared/src/ownEntry';

/** The codecs CPython's pickler writes bytes with (protocols 0–2, `_codecs.encode(str, 'latin1')`). */
const PLAIN_CODECS = new Set(['latin1', 'latin-1', 'iso-8859-1', 'iso8859-1', 'l1', 'ascii', 'utf-8', 'utf8']);

/**
 * Safe functions that call one of their arguments: that argument must be a global (its own
 * level then applies) or None; anything built at load time could be anything.
 */
const CALLS_ARGUMENT: Record<string, number[]> = {
  'copyreg._reconstructor': [0, 1],
  'copyreg.__newobj__': [0],
  'copyreg.__newobj_ex__': [0],
  'copy_reg._reconstructor': [0, 1],
  'torch._tensor._rebuild_from_type_v2': [0, 1],
  'collections.defaultdict': [0],
  'numpy.core.multiarray._reconstruct': [0],
  'numpy._core.multiarray._reconstruct': [0],
  'numpy.random._pickle.__randomstate_ctor': [1],
  'numpy.random._pickle.__generator_ctor': [1],
};

function isDunder(s: string): boolean {
  return s.length > 4 && s.startsWith('__') && s.endsWith('__');
}

export function checkArguments(shared: ScanState, func: PV & { t: 'global' }, args: PV): void {
  const name = `${func.module}.${func.name}`;
  const items = args.t === 'tuple' ? args.items : null;
  if (name === '_codecs.encode') {
    const codec = items?.[1];
    if (codec !== undefined && (codec.t !== 'str' || !PLAIN_CODECS.has(codec.v.toLowerCase())))
      addIssue(
        shared,
        'dangerous',
        `_codecs.encode with codec ${render(codec, 60)}: codec lookup imports modules by name`,
      );
  }
  for (const i of ownEntry(CALLS_ARGUMENT, name) ?? []) {
    const a = items ? items[i] : undefined;
    if (items === null || (a !== undefined && a.t !== 'global' && a.t !== 'none'))
      addIssue(shared, 'dangerous', `${name} is given a callable built while loading (${render(args, 80)})`);
  }
}

export function checkBuild(shared: ScanState, target: PV, state: PV): void {
  if (target.t === 'global') {
    addIssue(shared, 'dangerous', `BUILD changes the global ${target.module}.${target.name}`);
    return;
  }
  const dicts = state.t === 'tuple' && state.items.length === 2 ? state.items : [state];
  for (const d of dicts) {
    if (!d || d.t !== 'dict') continue;
    for (const [k] of d.entries)
      if (k.t === 'str' && isDunder(k.v)) addIssue(shared, 'dangerous', `BUILD sets ${k.v} on an object`);
  }
}
