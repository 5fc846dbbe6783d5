import type { HandlerContext, HandlersOf } from './HandlerContext';

export function projectHandlers(
  ctx: HandlerContext,
): HandlersOf<'project/init' | 'project/status' | 'project/files' | 'project/configure'> {
  return {
    'project/init': async (p) => (await ctx.registry.init(p.root)).info(),
    'project/status': async (p) => (await ctx.project(p.root)).info(),
    'project/files': async (p) => (await ctx.project(p.root)).store.files(),
    'project/configure': async (p) => (await ctx.registry.configure(p.root, p.settings ?? {})).info(),
  };
}
