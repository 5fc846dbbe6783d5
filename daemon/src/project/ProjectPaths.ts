import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlsnapError } from '../../../shared/src/errors';
import { insideProject, type InsideOptions } from '../../../shared/src/projectPath';

/**
 * The file-system half of the one "is this path inside the project" check (the pure half is
 * shared/src/projectPath.ts). Every path a client names goes through `resolveInside`; the
 * watcher's own paths, already absolute and real, through `lexicalInside`.
 */

/** Project-relative posix path of `given` without touching the disk, or null when outside. */
export function lexicalInside(root: string, given: string, opts: InsideOptions = {}): string | null {
  const v = insideProject(root, toPosix(given), opts);
  return v.ok ? v.rel : null;
}

/**
 * Project-relative posix path of a path a client named (absolute, or relative to `cwd`,
 * default the root), following symbolic links in the part of it that exists: a link inside
 * the project that points out of it is outside. Throws `bad-request` naming the path.
 */
export function resolveInside(root: string, given: string, opts: InsideOptions & { cwd?: string } = {}): string {
  if (given.includes('\0')) throw new MlsnapError('bad-request', 'a path contains a NUL byte');
  const lexical = insideProject(root, toPosix(path.resolve(opts.cwd ?? root, given)), opts);
  if (!lexical.ok)
    throw new MlsnapError('bad-request', lexical.reason.replace(path.resolve(opts.cwd ?? root, given), given), given);
  const real = realOfExistingPrefix(path.join(root, lexical.rel));
  const checked = insideProject(realRoot(root), toPosix(real), opts);
  if (!checked.ok)
    throw new MlsnapError('bad-request', `${given} leads out of the project ${root} through a symbolic link`, given);
  // The lexical spelling is kept: it is the name the history is recorded under.
  return lexical.rel;
}

function realRoot(root: string): string {
  try {
    return fs.realpathSync(root);
  } catch {
    return root;
  }
}

/** realpath of the longest existing prefix of `abs`, with the rest appended as written. */
export function realOfExistingPrefix(abs: string): string {
  let head = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(head), ...tail);
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return abs;
      tail.unshift(path.basename(head));
      head = parent;
    }
  }
}

function toPosix(p: string): string {
  return path.sep === '/' ? p : p.split(path.sep).join('/');
}
