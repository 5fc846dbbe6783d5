/**
 * Addresses of versions inside the editor, kept free of `vscode` so they can be unit tested.
 * The URI path ends with the file's own path so VS Code picks the right editor (the notebook
 * editor for .ipynb); the query names the project and the version.
 */
import { extensionOf, fileKindSpec, type FileKind } from '../../../shared/src/fileKinds';

export interface VersionAddress {
  root: string;
  /** Project-relative posix path. */
  path: string;
  seq: number;
}

export function versionUriParts(a: VersionAddress): { path: string; query: string } {
  const q = new URLSearchParams({ root: a.root, path: a.path, seq: String(a.seq) });
  return { path: `${trimSlash(a.root)}/${a.path}`, query: q.toString() };
}

export function parseVersionQuery(query: string): VersionAddress {
  const q = new URLSearchParams(query);
  const root = q.get('root');
  const path = q.get('path');
  const seq = Number(q.get('seq'));
  if (!root || !path || !Number.isInteger(seq) || seq < 1) throw new Error(`not an mlsnap version address: ${query}`);
  return { root, path, seq };
}

export function refOf(a: { path: string; seq: number }): string {
  return `${a.path}@${a.seq}`;
}

/** The project holding `file` among `roots` (the deepest one wins for nested projects). */
export function projectOf(file: string, roots: readonly string[]): { root: string; rel: string } | null {
  let best: string | null = null;
  for (const r of roots) {
    const prefix = trimSlash(r) + '/';
    if (file.startsWith(prefix) && (best === null || r.length > best.length)) best = r;
  }
  if (best === null) return null;
  const rel = file.slice(trimSlash(best).length + 1);
  if (rel.split('/')[0] === '.mlsnap') return null;
  return { root: best, rel };
}

function trimSlash(p: string): string {
  return p.endsWith('/') ? p.slice(0, -1) : p;
}

/** Kinds whose versions VS Code opens as documents: the notebook editor, the text editor. */
const DOCUMENT_KINDS: ReadonlySet<FileKind> = new Set<FileKind>(['notebook', 'metrics']);
/** Text formats the kind table files under 'other' (it knows only ML kinds) that VS Code still shows as text. */
const PLAIN_TEXT_EXTENSIONS: ReadonlySet<string> = new Set(['txt', 'md', 'py', 'toml', 'cfg', 'ini']);

/** Files VS Code can show as text or notebooks; the rest get a rendered summary. */
export function isTextLike(path: string): boolean {
  return DOCUMENT_KINDS.has(fileKindSpec(path).kind) || PLAIN_TEXT_EXTENSIONS.has(extensionOf(path));
}

/**
 * Whether two versions are compared in VS Code's own diff editors (the notebook diff, the text
 * diff). Models and metrics get the rendered typed diff instead, the same as `mlsnap diff`.
 */
export function opensInEditorDiff(path: string): boolean {
  const spec = fileKindSpec(path);
  return spec.diff === 'notebook' || (spec.diff === 'binary' && isTextLike(path));
}

/** Notebooks open in the notebook editor, whatever editor VS Code would guess. */
export function isNotebook(path: string): boolean {
  return fileKindSpec(path).kind === 'notebook';
}
