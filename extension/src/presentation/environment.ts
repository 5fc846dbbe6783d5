import type { InterpreterInfo, InterpreterSource } from '../../../shared/src/domain';
import { EXPORT_FORMATS, type ExportFormat, type ExportedFile, type Pin } from '../../../shared/src/environmentExport';
import type { TransferProgress } from '../../../shared/src/protocol';
import type { ReproduceDifference, ReproduceResult } from '../../../shared/src/reproduce';
import { progressMessage } from './remotes';

/**
 * Text shown for a version's environment: how its interpreter was found, exporting it and
 * reproducing it. Pure: unit tested without vscode.
 */

/** How the daemon found a version's interpreter, in the words the Environment view shows. */
export const FOUND_BY_WORDS: Readonly<Record<InterpreterSource, string>> = {
  configured: 'the project setting',
  run: 'mlsnap run',
  editor: "the editor's kernel",
  'live-kernel': 'a running Jupyter kernel',
  'notebook-metadata': "the notebook's metadata",
  kernelspec: "the notebook's kernelspec",
  lineage: 'the notebook/script that wrote it',
  virtualenv: 'the project venv',
  VIRTUAL_ENV: 'the VIRTUAL_ENV variable',
  conda: 'the conda environment',
  path: 'python3 on PATH',
};

/** Words for a source; one this build does not know yet (a newer daemon) is shown as it is. */
export function foundByWords(source: InterpreterSource | string): string {
  return Object.prototype.hasOwnProperty.call(FOUND_BY_WORDS, source)
    ? FOUND_BY_WORDS[source as InterpreterSource]
    : source;
}

/** "/usr/bin/python3 — found by the notebook's kernelspec" */
export function interpreterLine(i: Pick<InterpreterInfo, 'executable' | 'foundBy'>): string {
  return `${i.executable} — found by ${foundByWords(i.foundBy)}`;
}

// --- export ------------------------------------------------------------------------------------

/** A row of the format picker. */
export interface FormatPickItem {
  label: string;
  description: string;
  detail: string;
  format: ExportFormat;
}

const FORMAT_ITEMS: Readonly<Record<ExportFormat, Omit<FormatPickItem, 'format'>>> = {
  requirements: {
    label: 'requirements.txt',
    description: 'pip',
    detail: 'Every package pinned to its recorded version, for pip install -r.',
  },
  conda: {
    label: 'environment.yml',
    description: 'conda',
    detail: 'The Python version and the packages, for conda env create.',
  },
  uv: {
    label: 'pyproject.toml',
    description: 'uv',
    detail: 'A project that pins the Python version and the packages, for uv sync.',
  },
  dockerfile: {
    label: 'Dockerfile',
    description: 'Docker',
    detail: 'An image with the recorded Python and packages (and the lockfiles recorded with the version).',
  },
  devcontainer: {
    label: '.devcontainer/',
    description: 'Dev Containers',
    detail: 'devcontainer.json and its Dockerfile, to open the project in that environment.',
  },
};

/** The five formats, in the order the daemon lists them. */
export function formatPickItems(): FormatPickItem[] {
  return EXPORT_FORMATS.map((format) => ({ ...FORMAT_ITEMS[format], format }));
}

/** A file of an export, where it goes. */
export interface ExportTarget {
  /** Absolute path. */
  file: string;
  /** Its path relative to the folder exported to, as the daemon named it. */
  rel: string;
  content: string;
}

/**
 * Where each exported file goes under `dir`. The daemon names relative paths; one that would
 * land outside `dir` (absolute, or with `..`) is refused before anything is written.
 */
export function exportTargets(dir: string, files: readonly ExportedFile[]): ExportTarget[] {
  const base = dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
  return files.map((f) => {
    const parts = f.path.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
    if (f.path.startsWith('/') || /^[A-Za-z]:/.test(f.path) || parts.length === 0 || parts.includes('..'))
      throw new Error(`refusing to write ${f.path} outside ${dir}`);
    const rel = parts.join('/');
    return { file: `${base === '/' ? '' : base}/${rel}`, rel, content: f.content };
  });
}

/** The question before overwriting: "requirements.txt already exists in /x. Overwrite it?" */
export function overwriteQuestion(existing: readonly string[], dir: string): string {
  const shown =
    existing.length <= 3 ? listWords(existing) : `${existing.slice(0, 3).join(', ')} and ${existing.length - 3} more`;
  return existing.length === 1
    ? `${shown} already exists in ${dir}. Overwrite it?`
    : `${shown} already exist in ${dir}. Overwrite them?`;
}

/** "Exported requirements.txt (the environment of train.ipynb@2) to /x" */
export function exportedMessage(ref: string, dir: string, written: readonly string[]): string {
  return `Exported ${listWords(written.length <= 3 ? written : [...written.slice(0, 2), `${written.length - 2} more files`])} (the environment of ${ref}) to ${dir}`;
}

/** The warning under an export that left pins out. */
export function flaggedSentence(count: number): string {
  return count === 1
    ? '1 pin no package index can give was left out (commented in the file)'
    : `${count} pins no package index can give were left out (commented in the file)`;
}

/** For the output channel: each pin left out, why, and what to use instead. */
export function flaggedDetails(ref: string, pins: readonly Pin[]): string {
  const lines = pins.map((p) => {
    const why = p.problem ? `${p.problem.reason} Instead: ${p.problem.instead}` : '';
    return `  ${p.name}==${p.version}: ${why}`.trimEnd();
  });
  return `pins of ${ref} no package index can give (left out, commented in the exported file):\n${lines.join('\n')}`;
}

// --- reproduce ---------------------------------------------------------------------------------

export type ReproduceSourceKind = 'default' | 'setting' | 'wheels' | 'index';

export interface SourcePickItem {
  label: string;
  description?: string;
  detail: string;
  source: ReproduceSourceKind;
}

/** Where pip installs from. `findLinks`: the mlsnap.reproduce.findLinks setting, when set. */
export function sourcePickItems(findLinks?: string): SourcePickItem[] {
  const items: SourcePickItem[] = [
    {
      label: 'The default package index',
      description: 'pip',
      detail: "PyPI, or the index pip's own configuration names.",
      source: 'default',
    },
    {
      label: 'A folder of wheels… (offline)',
      detail: 'pip --no-index --find-links: nothing is downloaded.',
      source: 'wheels',
    },
    {
      label: 'Another index URL…',
      detail: 'pip --index-url: a private index or a mirror.',
      source: 'index',
    },
  ];
  if (findLinks !== undefined && findLinks.trim() !== '')
    items.splice(1, 0, {
      label: 'The wheels in the configured folder (offline)',
      description: findLinks,
      detail: 'The mlsnap.reproduce.findLinks setting.',
      source: 'setting',
    });
  return items;
}

/** Why a typed index URL will not do, or null. */
export function indexUrlProblem(url: string): string | null {
  try {
    const u = new URL(url.trim());
    return u.protocol === 'http:' || u.protocol === 'https:'
      ? null
      : 'an index URL is http:// or https://, such as https://pypi.example.com/simple';
  } catch {
    return 'an index URL such as https://pypi.example.com/simple';
  }
}

/** Why a typed folder path will not do, or null (the daemon checks the rest). */
export function folderPathProblem(p: string): string | null {
  const t = p.trim();
  if (t === '') return 'type the absolute path of a folder';
  return t.startsWith('/') || /^[A-Za-z]:[\\/]/.test(t) ? null : 'an absolute path, such as /home/me/envs/train';
}

/**
 * A new folder to reproduce into, beside the project (inside it, the watcher would see the
 * venv): "/work/demo-train-2-env" for train.ipynb@2 of /work/demo.
 */
export function defaultReproduceDir(root: string, rel: string, seq: number): string {
  const trimmed = root.length > 1 && root.endsWith('/') ? root.slice(0, -1) : root;
  const cut = trimmed.lastIndexOf('/');
  const parent = cut <= 0 ? '/' : trimmed.slice(0, cut);
  const project = trimmed.slice(cut + 1) || 'project';
  const file = rel.split('/').pop() ?? rel;
  const stem = file.includes('.') ? file.slice(0, file.lastIndexOf('.')) || file : file;
  const name = `${project}-${stem}-${seq}-env`.replace(/[^\w.-]+/g, '-');
  return `${parent === '/' ? '' : parent}/${name}`;
}

/** The sentence shown when a reproduction ends. */
export function reproduceSentence(r: ReproduceResult): string {
  const python = r.python.exactVersion
    ? ''
    : ` (Python ${r.python.version}: the recorded ${r.recordedPython} was not found)`;
  if (r.identical) return `Reproduced: ${plural(r.matching, 'package')} identical to the record${python}`;
  const counts = (['missing', 'different', 'extra'] as const)
    .map((s) => [s, r.differences.filter((d) => d.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  const n = r.differences.length;
  return `Reproduced with ${plural(n, 'difference')}${counts.length > 0 ? ` (${counts.join(', ')})` : ''}${python}`;
}

/** For the output channel: the differences as a table (status, name, recorded, installed, reason). */
export function differenceLines(ref: string, r: ReproduceResult): string {
  const header = `differences between ${ref}'s record and ${r.dir}:`;
  if (r.differences.length === 0) return `${header} none`;
  const rows = [
    ['status', 'name', 'recorded', 'installed', 'reason'],
    ...r.differences.map((d: ReproduceDifference) => [
      d.status,
      d.name,
      d.recorded ?? '—',
      d.installed ?? '—',
      d.reason ?? '',
    ]),
  ];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  const lines = rows.map((row) =>
    row
      .map((cell, c) => (c < 4 ? cell.padEnd(widths[c] ?? 0) : cell))
      .join('  ')
      .trimEnd(),
  );
  return `${header}\n  ${lines.join('\n  ')}`;
}

/** For the output channel: where the venv is, which Python made it, the pip commands run. */
export function reproduceLog(ref: string, r: ReproduceResult): string {
  return [
    `reproduced ${ref} in ${r.dir}: ${reproduceSentence(r)}`,
    `  python: ${r.python.executable} (${r.python.version}, ${r.python.how}); recorded ${r.recordedPython}`,
    ...r.commands.map((c) => `  ran: ${c.map(shellWord).join(' ')}`),
  ].join('\n');
}

/** Where each phase of a reproduction sits on the progress bar, in percent. */
const PHASE_SPAN: Partial<Record<TransferProgress['phase'], readonly [number, number]>> = {
  python: [0, 5],
  venv: [5, 15],
  install: [15, 90],
  verify: [90, 100],
};

/**
 * Turns the daemon's reproduce progress into a notification's message and increment: each
 * phase owns a span of the bar, and within it the packages done move it. Never goes back.
 */
export class ReproduceProgress {
  private shown = 0;

  next(p: TransferProgress): { message: string; increment?: number } {
    const message = progressMessage(p);
    const span = PHASE_SPAN[p.phase];
    if (!span) return { message };
    const fraction = p.objectsTotal > 0 ? Math.min(1, Math.max(0, p.objectsDone / p.objectsTotal)) : 0;
    const target = Math.floor(span[0] + fraction * (span[1] - span[0]));
    if (target <= this.shown) return { message };
    const increment = target - this.shown;
    this.shown = target;
    return { message, increment };
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "a", "a and b", "a, b and c" */
function listWords(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
