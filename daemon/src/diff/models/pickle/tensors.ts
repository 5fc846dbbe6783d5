/**
 * What the value tree holds for the diff: named tensors and arrays (torch rebuilds, numpy and
 * joblib arrays) and the first scikit-learn-like estimator with its scalar parameters.
 */
import { arrayOf } from './numpy';
import { render } from './render';
import { torchTensorOf, type TorchTensorRef } from './torch';
import { isScalar, pushAll, type ArrayInfo, type PV } from './values';

export interface FoundTensor {
  name: string;
  torch?: TorchTensorRef;
  array?: ArrayInfo;
}

/** Where a value's named children are: dict keys, object attributes (BUILD state), list indices. */
function children(v: PV): [string, PV][] {
  const out: [string, PV][] = [];
  if (v.t === 'dict' || (v.t === 'obj' && v.entries)) {
    for (const [k, x] of v.t === 'dict' ? v.entries : (v.entries ?? []))
      if (k.t === 'str' || k.t === 'int') out.push([String(k.v), x]);
  }
  if (v.t === 'obj') {
    // A BUILD state of (dict, slotstate) names the attributes in its dict.
    const st = v.state?.t === 'tuple' && v.state.items.length === 2 ? v.state.items[0] : v.state;
    if (st && st.t === 'dict') out.push(['', st]);
    if (v.items) v.items.forEach((x, i) => out.push([String(i), x]));
  }
  if (v.t === 'list' || v.t === 'tuple') v.items.forEach((x, i) => out.push([String(i), x]));
  return out;
}

/** Named tensors and arrays in the tree, breadth-bounded by `cap` and 12 levels deep. */
export function collectTensors(root: PV, cap: number): FoundTensor[] {
  const out: FoundTensor[] = [];
  const seen = new Set<PV>();
  const visit = (v: PV, name: string, depth: number): void => {
    if (out.length >= cap || depth > 12 || seen.has(v)) return;
    seen.add(v);
    const t = torchTensorOf(v);
    if (t) return void out.push({ name: name || 'tensor', torch: t });
    const a = arrayOf(v);
    if (a) return void out.push({ name: name || 'array', array: a });
    for (const [k, x] of children(v)) visit(x, k === '' ? name : name ? `${name}.${k}` : k, depth + 1);
  };
  visit(root, '', 0);
  return out;
}

const NOT_ESTIMATORS = /^(?:collections|builtins|__builtin__|copyreg|copy_reg|numpy|torch|joblib)(?:\.|$)/;

/** The first sklearn-like estimator in the tree (root, or inside a dict/list at depth 1). */
export function findEstimator(
  root: PV,
): { cls: string; params: Record<string, string>; version: string | null } | null {
  const candidates: PV[] = [root];
  if (root.t === 'dict') for (const [, v] of root.entries) candidates.push(v);
  if (root.t === 'list' || root.t === 'tuple') pushAll(candidates, root.items);
  for (const v of candidates) {
    if (v.t !== 'obj' || v.func.t !== 'global' || !v.state) continue;
    if (NOT_ESTIMATORS.test(v.func.module) || arrayOf(v) || torchTensorOf(v)) continue;
    const state =
      v.state.t === 'tuple' && v.state.items.length === 2 && v.state.items[0]?.t === 'dict'
        ? v.state.items[0]
        : v.state;
    if (state.t !== 'dict') continue;
    const params: Record<string, string> = {};
    let version: string | null = null;
    for (const [k, x] of state.entries) {
      if (k.t !== 'str') continue;
      if (k.v === '_sklearn_version' && x.t === 'str') version = x.v;
      if (isScalar(x) && Object.keys(params).length < 500) params[k.v] = render(x, 200);
    }
    return { cls: `${v.func.module}.${v.func.name}`, params, version };
  }
  return null;
}
