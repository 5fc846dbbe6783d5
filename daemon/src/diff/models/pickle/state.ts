/**
 * What the walks of one file add to: every pickle in a stream, nested ones, archive members
 * share one state, so the globals, calls and issues are the file's, and so are the caps.
 */
import type { PickleGlobal, PickleIssue } from '../../../../../shared/src/diff';
import type { PickleVerdict } from './safety';

/** A global the pickle imports, with its safety level. */
export type GlobalRef = PickleGlobal;

/** Something the walk saw that raises the verdict beyond its globals' levels. */
export type Issue = PickleIssue;

/** What every walk of one file adds to: all pickles in a stream, nested ones, archive members. */
export interface ScanState {
  ops: number;
  /** String bytes kept so far (capped by pickleRetainedBytes). */
  retained: number;
  globals: Map<string, GlobalRef>;
  /** Calls of dangerous globals, rendered: what loading would run. */
  calls: string[];
  issues: Issue[];
  joblibArrays: number;
  warnings: string[];
}

export function newScanState(): ScanState {
  return { ops: 0, retained: 0, globals: new Map(), calls: [], issues: [], joblibArrays: 0, warnings: [] };
}

export function addIssue(shared: ScanState, level: PickleVerdict, text: string): void {
  if (shared.issues.length < 50 && !shared.issues.some((i) => i.text === text)) shared.issues.push({ level, text });
}
