import type { VersionInfo } from '../../../../shared/src/domain';
import { MlsnapError } from '../../../../shared/src/errors';
import { fileKindSpec } from '../../../../shared/src/fileKinds';
import type { Project } from '../../project/Project';
import { resolveVersion } from '../resolveRef';
import type { HandlerContext, HandlersOf } from './HandlerContext';

export function diffHandlers(ctx: HandlerContext): HandlersOf<'diff/versions'> {
  return {
    'diff/versions': async (p) => {
      const project = await ctx.project(p.root);
      const after = resolveVersion(project.store, p.after ?? p.before);
      const before = p.after === undefined ? previousOf(project, after) : resolveVersion(project.store, p.before);
      assertSameKind(before, after);
      await ctx.remotes.ensureHere(project, [before.blob, after.blob]);
      // Loaded on first use: the format parsers (protobufjs, yaml) cost ~16 MB of memory
      // that an idle daemon should not carry.
      const { diffVersions } = await import('../../diff/VersionDiffer.js');
      return diffVersions(project.store, project.blobs, before, after, {
        showMetadata: p.showMetadata === true,
        showExecutionCounts: p.showExecutionCounts === true,
        compareBytes: p.compareBytes === true,
      });
    },
  };
}

/** Two files of different kinds have no typed diff; say so rather than fail parsing one. */
function assertSameKind(a: VersionInfo, b: VersionInfo): void {
  const ka = fileKindSpec(a.path);
  const kb = fileKindSpec(b.path);
  if (ka.diff === kb.diff) return;
  throw new MlsnapError(
    'bad-request',
    `${a.path}@${a.seq} is a ${ka.label} and ${b.path}@${b.seq} is a ${kb.label}: only versions of the same kind can be compared (\`mlsnap show\` describes each)`,
    b.path,
  );
}

/** The version recorded before `v` of the same file. */
function previousOf(project: Project, v: VersionInfo): VersionInfo {
  const prev = project.store.previousVersion(v.path, v.seq);
  if (!prev)
    throw new MlsnapError('not-found', `${v.path}@${v.seq} is the first version; name two versions to compare`, v.path);
  return prev;
}
