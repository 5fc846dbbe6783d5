import type { HandlerContext, HandlersOf } from './HandlerContext';

type ReleaseMethods =
  | 'release/gates'
  | 'release/promote'
  | 'release/demote'
  | 'release/stages'
  | 'release/history'
  | 'release/protect'
  | 'release/estimate'
  | 'release/bundle';

export function releaseHandlers(ctx: HandlerContext): HandlersOf<ReleaseMethods> {
  const r = ctx.release;
  return {
    'release/gates': async (p) => r.gates(await ctx.project(p.root), p),
    'release/promote': async (p, call) => r.promote(await ctx.project(p.root), p, call),
    'release/demote': async (p) => r.demote(await ctx.project(p.root), p),
    'release/stages': async (p) => r.stages(await ctx.project(p.root), p),
    'release/history': async (p) => r.history(await ctx.project(p.root), p),
    'release/protect': async (p) => r.protect(await ctx.project(p.root), p),
    'release/estimate': async (p) => r.estimate(await ctx.project(p.root), p.ref),
    'release/bundle': async (p) => r.bundle(await ctx.project(p.root), p),
  };
}
