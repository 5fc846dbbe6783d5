/**
 * Whether a path is inside a project, declared once. This is a security check: versions are
 * read, written and restored inside the project only, never through `..`, never in the store
 * itself, and one file never gets two histories under two spellings. This is the pure half
 * (posix strings only); the daemon's `ProjectPaths` adds the file-system half (symlinks).
 */

/** The store folder at the top of every project. */
export const STORE_DIR_NAME = '.mlsnap';

export type PathVerdict = { ok: true; rel: string } | { ok: false; reason: string };

export interface InsideOptions {
  /** Accept the project root itself (rel ''): a folder argument such as `log .`. */
  allowRoot?: boolean;
  /** Accept paths inside `.mlsnap/` (never for user paths; the watcher filters them itself). */
  allowStore?: boolean;
}

/** `a//b/./c/../d` → `a/b/d`; keeps a leading `/` and leading `..` segments. */
export function normalizePosix(p: string): string {
  const absolute = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const body = out.join('/');
  return absolute ? `/${body}` : body;
}

/**
 * The project-relative posix path of `given` (absolute, or relative to the root), or why it
 * is refused. `root` must be absolute and normalised.
 */
export function insideProject(root: string, given: string, opts: InsideOptions = {}): PathVerdict {
  if (given.includes('\0')) return { ok: false, reason: 'a path contains a NUL byte' };
  if (given === '') return { ok: false, reason: 'the path is empty' };
  const base = normalizePosix(root);
  let rel: string;
  if (given.startsWith('/')) {
    const abs = normalizePosix(given);
    if (abs === base) rel = '';
    else if (abs.startsWith(base === '/' ? '/' : `${base}/`)) rel = abs.slice(base === '/' ? 1 : base.length + 1);
    else return { ok: false, reason: `${given} is outside the project ${root}` };
  } else {
    rel = normalizePosix(given);
    if (rel === '..' || rel.startsWith('../')) return { ok: false, reason: `${given} is outside the project ${root}` };
  }
  if (rel === '' && !opts.allowRoot)
    return { ok: false, reason: `${given} is the project folder itself, not a file in it` };
  if (!opts.allowStore && rel.split('/')[0] === STORE_DIR_NAME)
    return { ok: false, reason: `${given} is inside the mlsnap store` };
  return { ok: true, rel };
}
