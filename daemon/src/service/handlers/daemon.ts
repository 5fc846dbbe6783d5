import type { HandlerContext, HandlersOf } from './HandlerContext';

export function daemonHandlers(ctx: HandlerContext): HandlersOf<'daemon/status' | 'daemon/shutdown'> {
  return {
    'daemon/status': async () => ({
      pid: process.pid,
      ...ctx.identity,
      projects: ctx.registry.all().map((p) => p.info()),
    }),
    'daemon/shutdown': async () => {
      // Answer first, then stop.
      setImmediate(() => ctx.requestShutdown());
      return { stopping: true };
    },
  };
}
