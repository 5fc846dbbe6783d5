import path from 'node:path';
import type { HandlerContext, HandlersOf } from './HandlerContext';

type RunMethods = 'run/start' | 'run/finish';

/** `mlsnap run`: the CLI runs the command; the daemon binds what it writes to it. */
export function runHandlers(ctx: HandlerContext): HandlersOf<RunMethods> {
  return {
    'run/start': async (p) => {
      const project = await ctx.project(p.root);
      return project.startRun({
        argv: p.argv,
        cwd: path.resolve(p.cwd),
        pid: p.pid ?? null,
        executable: p.executable ?? null,
        interpreterDetail: p.interpreterDetail ?? null,
        startedAt: Date.now(),
      });
    },
    'run/finish': async (p) => {
      const project = await ctx.project(p.root);
      return project.finishRun(p.runId, {
        finishedAt: Date.now(),
        exitCode: p.exitCode ?? null,
        signal: p.signal ?? null,
        outputTail: p.outputTail,
      });
    },
  };
}
