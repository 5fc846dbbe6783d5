/**
 * A pickle stream: the first pickle, then whatever follows its STOP read as further pickles,
 * as loaders that call `pickle.load` in a loop would. The verdict is the worst level of every
 * global and issue seen. A first pickle that does not parse is an `invalid-file` error that
 * still carries (and names) every global seen before the failure; a later one that does not
 * parse makes the verdict unknown when it starts like a pickle, and is a warning otherwise.
 */
import { MlsnapError } from '../../../../../shared/src/errors';
import type { Cursor, ModelCaps } from '../FileSource';
import { HIGHEST_PROTOCOL, OP } from './opcodes';
import { worse, type PickleVerdict } from './safety';
import type { PV } from './values';
import { addIssue, newScanState, type GlobalRef, type Issue, type ScanState } from './state';
import { Walker } from './walker';

export interface PickleScan {
  /** The first pickle's value: what `pickle.load` returns. */
  root: PV;
  /** The first pickle's protocol. */
  protocol: number;
  /** Pickles walked in the stream. */
  pickles: number;
  ops: number;
  /** Every distinct global, in first-reference order. */
  globals: GlobalRef[];
  /** Calls of dangerous globals, rendered. */
  calls: string[];
  issues: Issue[];
  /** Where the last pickle that parsed ended. */
  end: number;
  /** NumpyArrayWrapper arrays were skipped: this is a joblib stream. */
  joblibArrays: number;
  warnings: string[];
  verdict: PickleVerdict;
}

/** What a walk that failed had seen. */
export interface PartialScan {
  globals: GlobalRef[];
  calls: string[];
  issues: Issue[];
  verdict: PickleVerdict;
}

/** An `invalid-file` error for a pickle that stops parsing, with what was seen before it stopped. */
export class PickleParseError extends MlsnapError {
  constructor(
    message: string,
    path: string,
    readonly partial: PartialScan,
  ) {
    super('invalid-file', message, path);
  }
}

export function verdictOf(globals: readonly GlobalRef[], issues: readonly Issue[]): PickleVerdict {
  let v: PickleVerdict = 'safe';
  for (const g of globals) v = worse<PickleVerdict>(v, g.level);
  for (const i of issues) v = worse(v, i.level);
  return v;
}

/** What the walks of one file saw, and the verdict it comes to (a partial scan, a report, a scan). */
export function seenIn(shared: ScanState): PartialScan {
  const globals = [...shared.globals.values()];
  return { globals, calls: shared.calls, issues: shared.issues, verdict: verdictOf(globals, shared.issues) };
}

function partialOf(shared: ScanState): PartialScan {
  const seen = seenIn(shared);
  return { ...seen, verdict: worse(seen.verdict, 'unknown') };
}

/** `posix.system (dangerous), collections.OrderedDict (safe) and 3 more`. */
function namesWithLevels(globals: readonly GlobalRef[], max = 8): string {
  const shown = globals.slice(0, max).map((g) => `${g.module}.${g.name} (${g.level})`);
  return globals.length > max ? `${shown.join(', ')} and ${globals.length - max} more` : shown.join(', ');
}

/** The error for a walk that failed: its message, plus every global it saw before. */
function parseError(file: string, err: unknown, shared: ScanState): PickleParseError {
  const base = err instanceof MlsnapError ? err.message : `${file}: pickle: ${(err as Error).message}`;
  const partial = partialOf(shared);
  const seen =
    partial.globals.length > 0 ? `; globals seen before it stopped: ${namesWithLevels(partial.globals)}` : '';
  return new PickleParseError(`${base}${seen}`, file, partial);
}

/** One pickle, from the cursor to its STOP, adding to `shared`. */
async function walkOne(
  c: Cursor,
  caps: ModelCaps,
  shared: ScanState,
): Promise<{ root: PV; protocol: number; end: number }> {
  const w = new Walker(c, caps, shared, 0);
  try {
    const root = await w.run();
    return { root, protocol: w.protocol, end: c.pos };
  } finally {
    for (const p of w.frames.problems) addIssue(shared, 'unknown', `frame lengths disagree with their content: ${p}`);
  }
}

function scanOf(first: { root: PV; protocol: number }, shared: ScanState, pickles: number, end: number): PickleScan {
  return {
    ...seenIn(shared),
    root: first.root,
    protocol: first.protocol,
    pickles,
    ops: shared.ops,
    end,
    joblibArrays: shared.joblibArrays,
    warnings: shared.warnings,
  };
}

/** Whether bytes begin as a pickle of a protocol this reader knows (PROTO first). */
export function startsLikePickle(head: Buffer): boolean {
  return head[0] === OP.PROTO && (head[1] ?? 0xff) <= HIGHEST_PROTOCOL;
}

/**
 * Every pickle in the stream from the cursor to `c.end` (or the first only, with
 * `only: true`: formats whose STOP is followed by raw data, like legacy torch storages).
 */
export async function walkStream(
  c: Cursor,
  caps: ModelCaps,
  opts: { shared?: ScanState; only?: boolean } = {},
): Promise<PickleScan> {
  const shared = opts.shared ?? newScanState();
  let first: Awaited<ReturnType<typeof walkOne>>;
  try {
    first = await walkOne(c, caps, shared);
  } catch (err) {
    throw parseError(c.file, err, shared);
  }
  let pickles = 1;
  let end = first.end;
  while (!opts.only && end < c.end) {
    const head = await c.bytesAt(end, Math.min(2, c.end - end), 'pickle header');
    const before = shared.globals.size;
    try {
      end = (await walkOne(c, caps, shared)).end;
      pickles++;
    } catch (err) {
      const why = err instanceof Error ? err.message.replace(/^.*?: pickle: /, '') : String(err);
      if (startsLikePickle(head) || shared.globals.size > before)
        addIssue(shared, 'unknown', `the pickle at offset ${end} stops parsing (${why}): what follows was not checked`);
      else shared.warnings.push(`${c.end - end} bytes after the last pickle's STOP are not a pickle (not read)`);
      break;
    }
  }
  return scanOf(first, shared, pickles, end);
}

/** Walks one pickle at the cursor (a fresh state): for callers that read pickles one by one. */
export async function walkPickle(c: Cursor, caps: ModelCaps, shared = newScanState()): Promise<PickleScan> {
  return walkStream(c, caps, { shared, only: true });
}
