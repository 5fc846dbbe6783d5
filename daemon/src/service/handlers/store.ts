import { checkStore, collectGarbage } from '../StoreMaintenance';
import type { HandlerContext, HandlersOf } from './HandlerContext';

export function storeHandlers(ctx: HandlerContext): HandlersOf<'store/gc' | 'store/check'> {
  return {
    'store/gc': async (p) => {
      const project = await ctx.project(p.root);
      return project.exclusive(() => collectGarbage(project.store, project.blobs, p.keepLast, p.dryRun === true));
    },
    'store/check': async (p) => {
      const project = await ctx.project(p.root);
      return project.exclusive(() => checkStore(project.store, project.blobs));
    },
  };
}
