import * as fs from 'node:fs';
import * as path from 'node:path';
import type { VersionInfo } from '../../../shared/src/domain';
import { MlsnapError } from '../../../shared/src/errors';
import type { RestoreParams, RestoreResult } from '../../../shared/src/protocol';
import { Project } from '../project/Project';
import { lexicalInside } from '../project/ProjectPaths';
import { resolveVersion } from './resolveRef';
import { writeVersionTo } from './Restorer';

/**
 * `version/restore`: write a version back to its path or to `to`. Unsnapshotted work in the
 * target is recorded first; a target outside the project must not exist (its contents
 * could not be saved); nothing is ever written into the store.
 */
export async function restoreVersion(project: Project, p: RestoreParams): Promise<RestoreResult> {
  const version = resolveVersion(project.store, p.ref);
  const target = p.to === undefined ? path.join(project.root, version.path) : absoluteTarget(p.to);
  if (lexicalInside(Project.storeDirOf(project.root), target, { allowRoot: true, allowStore: true }) !== null) {
    throw new MlsnapError('bad-request', `${target} is inside the mlsnap store; choose another --to`, target);
  }
  // Refused before anything is saved or moved aside: a folder or a link is never replaced.
  const existing = lstatOrNull(target);
  if (existing?.isDirectory())
    throw new MlsnapError('conflict', `${target} is a directory; give a file path with --to`, target);
  if (existing?.isSymbolicLink())
    throw new MlsnapError('conflict', `${target} is a symbolic link; not followed`, target);
  const rel = project.pathsRelative(target);
  if (rel === null && existing !== null) {
    throw new MlsnapError(
      'conflict',
      `${target} exists outside the project, so its contents could not be saved first; move it or choose another --to`,
      target,
    );
  }
  const { savedFirst, movedAside } =
    rel === null ? { savedFirst: null, movedAside: null } : await saveBeforeRestore(project, rel, target, version);
  const recorded = await project.exclusive(async () => {
    await writeVersionTo(project.blobs, version, target);
    // Inside the project the written bytes are a version of their own, with the restored
    // version's environment; outside it nothing is recorded.
    return rel === null ? null : project.recordRestored(rel, version);
  });
  return {
    path: target,
    restored: version,
    savedFirst,
    ...(recorded ? { recorded } : {}),
    ...(movedAside ? { movedAside } : {}),
  };
}

/**
 * Unsnapshotted work in the file about to be overwritten is recorded first. When it cannot
 * be recorded (a notebook with merge conflict markers is not JSON; a file that keeps
 * changing), it is moved aside instead of being lost.
 */
async function saveBeforeRestore(
  project: Project,
  rel: string,
  target: string,
  version: VersionInfo,
): Promise<{ savedFirst: VersionInfo | null; movedAside: string | null }> {
  let reason: string;
  try {
    const pre = await project.snapshot([rel], 'manual', `before restoring ${version.path}@${version.seq}`);
    const saved = pre.snapshot?.versions.find((v) => v.path === rel) ?? null;
    if (saved) return { savedFirst: saved, movedAside: null };
    reason = pre.skipped.find((s) => s.path === rel)?.reason ?? 'unchanged';
    if (reason === 'missing') return { savedFirst: null, movedAside: null };
    // Already recorded (the watcher may have got there first): that version holds the work.
    if (reason.startsWith('unchanged')) return { savedFirst: project.store.currentVersion(rel), movedAside: null };
  } catch (e) {
    reason = e instanceof Error ? e.message : String(e);
  }
  const aside = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  fs.renameSync(target, aside);
  return { savedFirst: null, movedAside: aside };
}

function absoluteTarget(to: string): string {
  if (!path.isAbsolute(to)) throw new MlsnapError('bad-request', `--to must be an absolute path, got ${to}`);
  return path.resolve(to);
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch {
    return null;
  }
}
