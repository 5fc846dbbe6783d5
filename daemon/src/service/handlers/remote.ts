import type { HandlerContext, HandlersOf } from './HandlerContext';

type RemoteMethods =
  | 'remote/add'
  | 'remote/list'
  | 'remote/remove'
  | 'remote/check'
  | 'remote/credentials'
  | 'remote/push'
  | 'remote/pull'
  | 'remote/clone';

export function remoteHandlers(ctx: HandlerContext): HandlersOf<RemoteMethods> {
  const r = ctx.remotes;
  return {
    'remote/add': async (p) => r.add(await ctx.project(p.root), p),
    'remote/list': async (p) => r.list(await ctx.project(p.root)),
    'remote/remove': async (p) => r.remove(await ctx.project(p.root), p.name),
    'remote/check': async (p, call) => r.check(await ctx.project(p.root), p, call),
    'remote/credentials': async (p) => {
      const project = await ctx.project(p.root);
      return { kept: r.keepCredentials(project.root, p.name, p.credentials) };
    },
    'remote/push': async (p, call) => r.push(await ctx.project(p.root), p, call),
    'remote/pull': async (p, call) => r.pull(await ctx.project(p.root), p, call),
    'remote/clone': async (p, call) => r.clone(p, call),
  };
}
