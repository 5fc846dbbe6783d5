import path from 'node:path';
import type { EnvironmentInfo } from '../../../../shared/src/domain';
import { exportEnvironment, type ExportResult } from '../../../../shared/src/environmentExport';
import { MlsnapError } from '../../../../shared/src/errors';
import type { ExportParams } from '../../../../shared/src/protocol';
import type { Project } from '../../project/Project';
import { resolveInside } from '../../project/ProjectPaths';
import { reproduce } from '../../reproduce/Reproducer';
import { resolveVersion } from '../resolveRef';
import type { HandlerContext, HandlersOf } from './HandlerContext';

type EnvironmentMethods = 'environment/export' | 'environment/reproduce' | 'notebook/kernel';

/** The environment a ref was recorded with, or a typed not-found naming it. */
function recordedEnvironment(project: Project, ref: string): EnvironmentInfo {
  const v = resolveVersion(project.store, ref);
  const env = v.environmentId === null ? null : project.store.environment(v.environmentId);
  if (!env) throw new MlsnapError('not-found', `${ref} was recorded without an environment`, v.path);
  return env;
}

/**
 * The export's files plus the lockfiles recorded with the version (read from the store, as
 * they were then, not as they are now), placed where the Dockerfile's build context is.
 */
async function exportWithLockfiles(ctx: HandlerContext, project: Project, p: ExportParams): Promise<ExportResult> {
  const env = recordedEnvironment(project, p.ref);
  const usesLockfiles = p.format === 'dockerfile' || p.format === 'devcontainer';
  const lockfiles = usesLockfiles ? env.lockfiles : [];
  const result = exportEnvironment(env, p.format, { lockfiles: lockfiles.map((l) => l.path) });
  await ctx.remotes.ensureHere(
    project,
    lockfiles.map((l) => l.blob),
  );
  for (const lockfile of lockfiles) {
    const row = project.store.blob(lockfile.blob);
    if (row === null)
      throw new MlsnapError('not-found', `the recorded ${lockfile.path} is no longer stored`, lockfile.path);
    const bytes = await project.blobs.readBuffer(lockfile.blob, {
      size: row.size,
      label: `${lockfile.path} (lockfile)`,
    });
    result.files.push({ path: path.posix.join(result.lockfileDir, lockfile.path), content: bytes.toString('utf8') });
  }
  return result;
}

export function environmentHandlers(ctx: HandlerContext): HandlersOf<EnvironmentMethods> {
  return {
    'environment/export': async (p) => exportWithLockfiles(ctx, await ctx.project(p.root), p),
    'environment/reproduce': async (p, call) => {
      const project = await ctx.project(p.root);
      const env = recordedEnvironment(project, p.ref);
      return reproduce(env, {
        dir: path.resolve(p.dir),
        ...(p.findLinks !== undefined ? { findLinks: path.resolve(p.findLinks) } : {}),
        ...(p.indexUrl !== undefined ? { indexUrl: p.indexUrl } : {}),
        ...(p.pipEnvironment !== undefined ? { pipEnvironment: p.pipEnvironment } : {}),
        // The caller going away (closed connection, a cancel in the editor) stops pip and cleans up.
        signal: call.signal ?? new AbortController().signal,
        ...(call.progress !== undefined ? { onProgress: call.progress } : {}),
        processEnv: process.env,
        log: project.log.child('reproduce'),
      });
    },
    'notebook/kernel': async (p) => {
      const project = await ctx.project(p.root);
      const rel = resolveInside(project.root, p.path);
      if (!rel.toLowerCase().endsWith('.ipynb')) {
        throw new MlsnapError('bad-request', `${p.path} is not a notebook (.ipynb)`, p.path);
      }
      if (!path.isAbsolute(p.executable)) {
        throw new MlsnapError('bad-request', `the kernel's interpreter must be an absolute path, not ${p.executable}`);
      }
      project.hints.setKernel(rel, { executable: p.executable, how: p.how, atMs: Date.now() });
      return { kept: true };
    },
  };
}
