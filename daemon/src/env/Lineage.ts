import { constants } from 'node:fs';
import type { Dirent, Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { IGNORED_DIR_NAMES } from '../watch/FileWatcher';
import { readNotebook, type NotebookInterpreterMetadata, type NotebookSummary } from './Notebook';

/** Directories that hold no project code, or only copies of it: the ones never watched. */
export const LINEAGE_SKIP_DIRS: ReadonlySet<string> = new Set(IGNORED_DIR_NAMES);

/** Bound on directory entries looked at per search, so a huge tree cannot stall a snapshot. */
export const LINEAGE_MAX_ENTRIES = 5000;
const MAX_NOTEBOOK_BYTES = 8 * 1024 * 1024;
const MAX_SCRIPT_BYTES = 2 * 1024 * 1024;
/** Cell timestamps come from the kernel on this machine: only clock granularity to allow for. */
const CELL_TIMESTAMP_SLACK_MS = 2_000;
/**
 * A notebook's mtime (or its last cell's finish) comes after the files it wrote: nbconvert
 * --inplace writes the notebook once every cell has run.
 */
const NOTEBOOK_MTIME_SLACK_MS = 10_000;
/** A script is read (atime) just before it runs; filesystems round times. */
const SCRIPT_SLACK_MS = 2_000;

export interface LineageSource {
  /** Project-relative posix path of the notebook or script. */
  sourcePath: string;
  kind: 'notebook' | 'script';
  reason: string;
  /** For notebooks: the kernelspec they name. */
  kernelName: string | null;
  kernelLanguage: string | null;
  /** For notebooks: what else their metadata says about the interpreter. */
  notebookMetadata: NotebookInterpreterMetadata | null;
  /** For scripts: the #! line without the #!, when present. */
  shebang: string | null;
}

type Parsed =
  { kind: 'notebook'; notebook: NotebookSummary } | { kind: 'script'; code: string; shebang: string | null };

interface Candidate {
  relPath: string;
  parsed: Parsed;
  stats: Stats;
}

/** When a candidate ran, relative to the file, and how we know. */
interface RunEstimate {
  runMs: number;
  qualifies: boolean;
  basis: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Does `code` name `target` as a whole path/name (so net.pt does not match resnet.pt or net.pth)? */
export function namesTarget(code: string, target: string): boolean {
  if (target === '') return false;
  return new RegExp(`(^|[^\\w.-])${escapeRegExp(target)}($|[^\\w-])`).test(code);
}

/** Read at most maxBytes without updating atime where the OS allows, since atime tells when a script ran. */
async function readHeadPreservingAtime(file: string, maxBytes: number): Promise<string> {
  const noAtime = constants.O_NOATIME ?? 0;
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | noAtime);
  } catch {
    // O_NOATIME is refused for files we do not own (EPERM); a plain read is still useful.
    handle = await open(file, constants.O_RDONLY);
  }
  try {
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

function shebangOf(code: string): string | null {
  if (!code.startsWith('#!')) return null;
  return (code.split('\n')[0] ?? '').slice(2).trim();
}

/** Latest time in `times` at or before `limit`, if any. */
function latestAtOrBefore(times: readonly number[], limit: number): number | undefined {
  const ok = times.filter((t) => t <= limit);
  return ok.length > 0 ? Math.max(...ok) : undefined;
}

function estimate(times: readonly number[], fileMtimeMs: number, slackMs: number, basis: string): RunEstimate {
  const before = latestAtOrBefore(times, fileMtimeMs + slackMs);
  if (before !== undefined) return { runMs: before, qualifies: true, basis };
  return { runMs: Math.min(...times), qualifies: false, basis };
}

/**
 * When a notebook ran. The cells that name the file are the best witness (their start is when
 * the write happened); else the notebook's last recorded execution; else its mtime.
 */
function notebookRun(
  nb: NotebookSummary,
  target: (code: string) => boolean,
  st: Stats,
  fileMtimeMs: number,
): RunEstimate {
  const cellStarts = nb.cells
    .filter((c) => target(c.source))
    .map((c) => c.startedMs)
    .filter((t): t is number => t !== undefined);
  if (cellStarts.length > 0)
    return estimate(cellStarts, fileMtimeMs, CELL_TIMESTAMP_SLACK_MS, 'execution timestamp of the cell naming it');
  if (nb.lastRunMs !== undefined)
    return estimate([nb.lastRunMs], fileMtimeMs, NOTEBOOK_MTIME_SLACK_MS, 'last cell execution timestamp');
  return estimate([st.mtimeMs], fileMtimeMs, NOTEBOOK_MTIME_SLACK_MS, 'notebook mtime');
}

/** When a script last ran: its atime if that is not after the file (reads after it say nothing), else its mtime. */
function scriptRun(st: Stats, fileMtimeMs: number): RunEstimate {
  const limit = fileMtimeMs + SCRIPT_SLACK_MS;
  if (st.atimeMs <= limit && st.atimeMs >= st.mtimeMs)
    return { runMs: st.atimeMs, qualifies: true, basis: 'script atime' };
  return estimate([st.mtimeMs], fileMtimeMs, SCRIPT_SLACK_MS, 'script mtime');
}

function codeOf(parsed: Parsed): string[] {
  return parsed.kind === 'notebook' ? parsed.notebook.cells.map((c) => c.source) : [parsed.code];
}

function secondsBetween(a: number, b: number): string {
  return `${(Math.abs(a - b) / 1000).toFixed(1)} s`;
}

/**
 * Finds the notebook or script that most plausibly wrote a model or metrics file: one whose code
 * names the file and that ran most recently at or before the file's mtime. Parsed sources are
 * cached by mtime and size, so repeated captures only re-read what changed.
 */
/** How long one walk for notebooks and scripts is reused (a new notebook is seen after this). */
const SOURCE_WALK_REUSE_MS = 2000;

export class LineageFinder {
  private readonly cache = new Map<string, { mtimeMs: number; size: number; parsed: Parsed | null }>();
  private walked: { at: number; rels: string[] } | null = null;

  constructor(private readonly projectRoot: string) {}

  async find(relPath: string, fileMtimeMs: number, signal?: AbortSignal): Promise<LineageSource | null> {
    const baseName = path.posix.basename(relPath);
    const byPath = (code: string): boolean => namesTarget(code, relPath);
    const byName = (code: string): boolean => namesTarget(code, baseName);
    let best: { candidate: Candidate; run: RunEstimate; namedBy: string } | null = null;
    for (const candidate of await this.candidates(relPath, signal)) {
      const code = codeOf(candidate.parsed);
      const fullPath = code.some(byPath);
      if (!fullPath && !code.some(byName)) continue;
      const target = fullPath ? byPath : byName;
      const run =
        candidate.parsed.kind === 'notebook'
          ? notebookRun(candidate.parsed.notebook, target, candidate.stats, fileMtimeMs)
          : scriptRun(candidate.stats, fileMtimeMs);
      const namedBy = fullPath ? relPath : baseName;
      if (best === null || isBetter(run, fullPath, best.run, best.namedBy === relPath))
        best = { candidate, run, namedBy };
    }
    return best === null ? null : describe(best.candidate, best.run, best.namedBy, fileMtimeMs);
  }

  /** Notebooks and scripts in the project, parsed (each re-stat'ed, re-parsed when changed). */
  private async candidates(relPath: string, signal?: AbortSignal): Promise<Candidate[]> {
    const found: Candidate[] = [];
    for (const rel of await this.sourcePaths(signal)) {
      if (rel === relPath) continue;
      const candidate = await this.load(rel);
      if (candidate !== null) found.push(candidate);
    }
    return found;
  }

  /**
   * Where the project's notebooks and scripts are (breadth first, bounded). The walk is
   * reused for a moment: a burst or a reconcile asks for thousands of files at once, and
   * walking the project for each made the first snapshot of a big project quadratic.
   */
  private async sourcePaths(signal?: AbortSignal): Promise<string[]> {
    const now = Date.now();
    if (this.walked !== null && now - this.walked.at < SOURCE_WALK_REUSE_MS) return this.walked.rels;
    const rels: string[] = [];
    const queue: string[] = [''];
    let entries = 0;
    while (queue.length > 0 && entries < LINEAGE_MAX_ENTRIES) {
      if (signal?.aborted) break;
      const dirRel = queue.shift() ?? '';
      let dirents: Dirent[];
      try {
        dirents = await readdir(path.join(this.projectRoot, dirRel), { withFileTypes: true });
      } catch {
        continue;
      }
      dirents.sort((a, b) => a.name.localeCompare(b.name));
      for (const d of dirents) {
        if (++entries > LINEAGE_MAX_ENTRIES || signal?.aborted) break;
        const rel = dirRel === '' ? d.name : `${dirRel}/${d.name}`;
        // Symlinks are not followed: they can loop or lead out of the project.
        if (d.isDirectory() && !LINEAGE_SKIP_DIRS.has(d.name)) queue.push(rel);
        if (d.isFile() && /\.(ipynb|py)$/.test(d.name)) rels.push(rel);
      }
    }
    if (!signal?.aborted) {
      this.walked = { at: Date.now(), rels };
      const seen = new Set(rels);
      for (const key of this.cache.keys()) if (!seen.has(key)) this.cache.delete(key);
    }
    return rels;
  }

  private async load(rel: string): Promise<Candidate | null> {
    const abs = path.join(this.projectRoot, rel);
    let st: Stats;
    try {
      st = await stat(abs);
    } catch {
      return null;
    }
    const cached = this.cache.get(rel);
    if (cached !== undefined && cached.mtimeMs === st.mtimeMs && cached.size === st.size) {
      return cached.parsed === null ? null : { relPath: rel, parsed: cached.parsed, stats: st };
    }
    const parsed = await parseSource(abs, rel).catch(() => null);
    this.cache.set(rel, { mtimeMs: st.mtimeMs, size: st.size, parsed });
    return parsed === null ? null : { relPath: rel, parsed, stats: st };
  }
}

async function parseSource(abs: string, rel: string): Promise<Parsed | null> {
  if (rel.endsWith('.ipynb')) {
    const notebook = await readNotebook(abs, MAX_NOTEBOOK_BYTES);
    return notebook === null ? null : { kind: 'notebook', notebook };
  }
  const code = await readHeadPreservingAtime(abs, MAX_SCRIPT_BYTES);
  return { kind: 'script', code, shebang: shebangOf(code) };
}

/** Ran at or before the file beats ran after it; then the latest run; then naming the full path. */
function isBetter(run: RunEstimate, fullPath: boolean, other: RunEstimate, otherFullPath: boolean): boolean {
  if (run.qualifies !== other.qualifies) return run.qualifies;
  if (run.runMs !== other.runMs) return run.qualifies ? run.runMs > other.runMs : run.runMs < other.runMs;
  return fullPath && !otherFullPath;
}

function describe(candidate: Candidate, run: RunEstimate, namedBy: string, fileMtimeMs: number): LineageSource {
  const when = new Date(run.runMs).toISOString();
  const relation = run.qualifies
    ? `${secondsBetween(run.runMs, fileMtimeMs)} ${run.runMs <= fileMtimeMs ? 'before' : 'after (within slack)'} the file was written`
    : `${secondsBetween(run.runMs, fileMtimeMs)} after the file was written; no source that names it ran earlier, so this is a weak guess`;
  const kind = candidate.parsed.kind;
  const reason = `${kind} ${candidate.relPath} names '${namedBy}' and last ran at ${when} (${run.basis}), ${relation}`;
  const nb = kind === 'notebook' && candidate.parsed.kind === 'notebook' ? candidate.parsed.notebook : null;
  return {
    sourcePath: candidate.relPath,
    kind,
    reason,
    kernelName: nb?.kernelName ?? null,
    kernelLanguage: nb?.kernelLanguage ?? null,
    notebookMetadata:
      nb === null
        ? null
        : {
            kernelDisplayName: nb.kernelDisplayName,
            interpreterHash: nb.interpreterHash,
            languageVersion: nb.languageVersion,
          },
    shebang: candidate.parsed.kind === 'script' ? candidate.parsed.shebang : null,
  };
}
