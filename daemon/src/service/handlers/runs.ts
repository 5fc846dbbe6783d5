import path from 'node:path';
import type { Project } from '../../project/Project';
import { resolveInside } from '../../project/ProjectPaths';
import { RunQueries } from '../../runs/RunQueries';
import type { HandlerContext, HandlersOf } from './HandlerContext';

type RunMethods =
  'run/start' | 'run/finish' | 'runs/list' | 'runs/show' | 'runs/compare' | 'runs/series' | 'runs/trend';

/** Queries see every run the snapshots so far imply: inference after a snapshot is waited for. */
async function settled(ctx: HandlerContext, root: string): Promise<{ project: Project; runs: RunQueries }> {
  const project = await ctx.project(root);
  await project.runsSettled();
  return { project, runs: new RunQueries(project.store) };
}

/** `mlsnap run` (the CLI runs the command; the daemon binds what it writes to it) and the runs queries. */
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
    'runs/list': async (p) => {
      const { project, runs } = await settled(ctx, p.root);
      const source = p.source === undefined ? undefined : resolveInside(project.root, p.source);
      return runs.list({ ...(source !== undefined ? { source } : {}), limit: p.limit ?? 50 });
    },
    'runs/show': async (p) => (await settled(ctx, p.root)).runs.show(p.run),
    'runs/compare': async (p) => (await settled(ctx, p.root)).runs.compare(p.a, p.b),
    'runs/series': async (p) => (await settled(ctx, p.root)).runs.series(p.runs, p.metric),
    'runs/trend': async (p) => {
      const { project, runs } = await settled(ctx, p.root);
      return runs.trend(resolveInside(project.root, p.path), p.limit ?? 1000);
    },
  };
}
