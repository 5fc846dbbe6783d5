import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Project } from '../../project/Project';
import { resolveInside } from '../../project/ProjectPaths';
import type { HandlerContext, HandlersOf } from './HandlerContext';

export function snapshotHandlers(ctx: HandlerContext): HandlersOf<'snapshot/create'> {
  return {
    'snapshot/create': async (p) => {
      const project = await ctx.project(p.root);
      const named = (p.paths ?? []).map((x) => resolveInside(project.root, x, { allowRoot: true }));
      const { files, emptyFolders } = expandFolders(project, named);
      if (named.length > 0 && files.length === 0) {
        // Only empty folders were named: nothing to look at, and the answer says so.
        return {
          snapshot: null,
          skipped: emptyFolders.map((f) => ({ path: f, reason: 'a folder with no tracked files' })),
        };
      }
      const r = await project.snapshot(files, p.trigger ?? 'manual', p.message ?? null);
      return {
        ...r,
        skipped: [...r.skipped, ...emptyFolders.map((f) => ({ path: f, reason: 'a folder with no tracked files' }))],
      };
    },
  };
}

/** A folder names the tracked files under it (`mlsnap snapshot models/`). */
function expandFolders(project: Project, named: string[]): { files: string[]; emptyFolders: string[] } {
  const files: string[] = [];
  const emptyFolders: string[] = [];
  for (const rel of named) {
    if (!isDirectory(path.join(project.root, rel))) {
      files.push(rel);
      continue;
    }
    const under = project.trackedFilesUnder(rel);
    if (under.length === 0) emptyFolders.push(rel === '' ? '.' : rel);
    files.push(...under);
  }
  return { files, emptyFolders };
}

function isDirectory(abs: string): boolean {
  try {
    return fs.lstatSync(abs).isDirectory();
  } catch {
    return false;
  }
}
