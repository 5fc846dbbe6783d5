import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlsnapError } from '../../../shared/src/errors';
import { parseRef } from '../../../shared/src/refs';
import { realOfExistingPrefix, resolveInside } from '../project/ProjectPaths';

/** The project a command works on, and how to turn what the user typed into project terms. */
export interface ProjectScope {
  root: string;
  /** A path typed relative to the current folder, as a project-relative posix path. */
  path(p: string): string;
  /** A ref typed relative to the current folder, with its path made project-relative. */
  ref(r: string): string;
}

/** `--project DIR` when given, else the nearest initialized folder at or above `cwd`. */
export function openProject(cwd: string, project: string | undefined): ProjectScope {
  const root = findProjectRoot(project === undefined ? cwd : path.resolve(cwd, project));
  return { root, path: (p) => toProjectPath(root, cwd, p), ref: (r) => toProjectRef(root, cwd, r) };
}

/** The nearest folder at or above `start` that holds an mlsnap store. */
export function findProjectRoot(start: string): string {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, '.mlsnap', 'config.json'))) return fs.realpathSync(dir);
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new MlsnapError(
        'not-initialized',
        `no mlsnap project in ${start} or above it; run \`mlsnap init\` in the project folder`,
        start,
      );
    dir = parent;
  }
}

/**
 * A path typed by the user (relative to cwd) as a project-relative posix path, through the
 * one inside-the-project check (symbolic links out of the project refused).
 */
export function toProjectPath(root: string, cwd: string, p: string): string {
  // cwd may be spelled through a link (/tmp → /private/tmp); the root is real.
  const rel = resolveInside(root, p, { cwd: realOfExistingPrefix(cwd), allowRoot: true });
  // The project folder itself travels as "." (an empty path is refused on the wire).
  return rel === '' ? '.' : rel;
}

export function toProjectRef(root: string, cwd: string, r: string): string {
  const parsed = parseRef(r);
  if (parsed.kind === 'snapshot' || parsed.kind === 'uid') return r;
  const at = r.lastIndexOf('@');
  return `${toProjectPath(root, cwd, r.slice(0, at))}${r.slice(at)}`;
}
