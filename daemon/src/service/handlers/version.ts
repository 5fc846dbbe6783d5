import type { VersionInfo } from '../../../../shared/src/domain';
import { MlsnapError } from '../../../../shared/src/errors';
import { MAX_READ_BYTES } from '../../../../shared/src/protocol';
import { validateTagName } from '../../../../shared/src/refs';
import type { Project } from '../../project/Project';
import { resolveInside } from '../../project/ProjectPaths';
import { resolveRef, resolveVersion } from '../resolveRef';
import { restoreVersion } from '../restoreVersion';
import type { HandlerContext, HandlersOf } from './HandlerContext';

/** `log models/`: the versions of every file recorded under a folder, newest first. */
function logUnder(project: Project, relDir: string, limit: number): VersionInfo[] {
  const prefix = `${relDir.replace(/\/$/, '')}/`;
  const files = project.store.trackedPaths().filter((f) => f.startsWith(prefix));
  return files
    .flatMap((f) => project.store.log(f, limit))
    .sort((a, b) => b.id - a.id)
    .slice(0, limit);
}

type VersionMethods =
  'version/log' | 'ref/show' | 'version/restore' | 'version/read' | 'version/tag' | 'environment/get';

export function versionHandlers(ctx: HandlerContext): HandlersOf<VersionMethods> {
  return {
    'version/log': async (p) => {
      const project = await ctx.project(p.root);
      const limit = p.limit ?? 50;
      if (p.path === undefined) return project.store.log(undefined, limit);
      const rel = resolveInside(project.root, p.path, { allowRoot: true });
      if (rel === '') return project.store.log(undefined, limit);
      const own = project.store.log(rel, limit);
      if (own.length > 0) return own;
      return logUnder(project, rel, limit);
    },
    'ref/show': async (p) => {
      const project = await ctx.project(p.root);
      const r = resolveRef(project.store, p.ref);
      const envId = r.version?.environmentId ?? null;
      return {
        version: r.version,
        snapshot: r.snapshot,
        environment: envId === null ? null : project.store.environment(envId),
        git: r.snapshot.git,
        ...(p.estimate === true
          ? r.version === null
            ? { estimate: null, pickle: null }
            : await ctx.release.showModel(project, r.version)
          : {}),
      };
    },
    'version/restore': async (p) => {
      const project = await ctx.project(p.root);
      // A teammate's version is fetched (and checked) before anything on disk is touched.
      await ctx.remotes.ensureHere(project, [resolveVersion(project.store, p.ref).blob]);
      return restoreVersion(project, p);
    },
    'version/read': async (p) => {
      const project = await ctx.project(p.root);
      const v = resolveVersion(project.store, p.ref);
      if (v.size > MAX_READ_BYTES) {
        throw new MlsnapError(
          'conflict',
          `${v.path}@${v.seq} is ${v.size} bytes, too large to open in the editor; use \`mlsnap cat\``,
          v.path,
        );
      }
      await ctx.remotes.ensureHere(project, [v.blob]);
      const bytes = await project.blobs.readBuffer(v.blob, { size: v.size, label: `${v.path}@${v.seq}` });
      return { base64: bytes.toString('base64'), size: v.size };
    },
    'version/tag': async (p) => {
      const project = await ctx.project(p.root);
      const problem = validateTagName(p.name);
      if (problem) throw new MlsnapError('bad-request', problem);
      const version = await project.exclusive(() => project.store.addTag(resolveVersion(project.store, p.ref), p.name));
      ctx.didTag.fire({ root: project.root, version });
      return version;
    },
    'environment/get': async (p) => {
      const project = await ctx.project(p.root);
      const v = resolveVersion(project.store, p.ref);
      const env = v.environmentId === null ? null : project.store.environment(v.environmentId);
      if (!env) throw new MlsnapError('not-found', `${p.ref} was recorded without an environment`, v.path);
      return env;
    },
  };
}
