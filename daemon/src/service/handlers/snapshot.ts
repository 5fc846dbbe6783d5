import { resolveInside } from '../../project/ProjectPaths';
import type { HandlerContext, HandlersOf } from './HandlerContext';

export function snapshotHandlers(ctx: HandlerContext): HandlersOf<'snapshot/create'> {
  return {
    'snapshot/create': async (p) => {
      const project = await ctx.project(p.root);
      const paths = (p.paths ?? []).map((x) => resolveInside(project.root, x));
      return project.snapshot(paths, p.trigger ?? 'manual', p.message ?? null);
    },
  };
}
