import type { RunResult } from '../../../../shared/src/protocol';
import { commandInterpreter } from '../../runs/CommandInterpreter';
import { runCommand, shellStatus } from '../../runs/CommandRunner';
import type { CommandDef } from '../command';

/**
 * `mlsnap run -- cmd…`: the CLI runs the command itself (in the caller's terminal, PATH and
 * environment, which the daemon does not share) and tells the daemon when it starts and ends;
 * the daemon records what it wrote with its interpreter.
 */
export const run: CommandDef = {
  name: 'run',
  summary: 'run a command and record every tracked file it writes with its interpreter, argv, exit status and output',
  arguments: [{ name: '<command...>', description: 'the command and its arguments (put -- before it)' }],
  passThroughOptions: true,
  json: true,
  project: true,
  async run({ args, opts, ctx, project, client }) {
    const p = project();
    const err = ctx.err ?? process.stderr;
    const daemon = await client();
    const interpreter = await commandInterpreter(args, { cwd: ctx.cwd, env: process.env });
    const started = await daemon.call('run/start', {
      root: p.root,
      argv: [...args],
      cwd: ctx.cwd,
      pid: process.pid,
      ...(interpreter !== null ? { executable: interpreter.executable, interpreterDetail: interpreter.detail } : {}),
    });
    // Under --json stdout carries only the result, so the command's own output goes to stderr.
    const outcome = await runCommand(args, {
      cwd: ctx.cwd,
      env: process.env,
      stdout: opts.json === true ? err : ctx.out,
      stderr: err,
    });
    if (outcome.startError !== undefined) err.write(`mlsnap run: ${outcome.startError}\n`);
    let result: RunResult;
    try {
      result = await daemon.call('run/finish', {
        root: p.root,
        runId: started.id,
        ...(outcome.exitCode !== null ? { exitCode: outcome.exitCode } : {}),
        ...(outcome.signal !== null ? { signal: outcome.signal } : {}),
        outputTail: outcome.outputTail,
      });
    } catch (e) {
      // The command's status matters more than our bookkeeping (`mlsnap run train && deploy`).
      const why = e instanceof Error ? e.message : String(e);
      err.write(`mlsnap run: the command ended, but run ${started.id} could not be closed: ${why}\n`);
      return shellStatus(outcome);
    }
    if (opts.json === true) ctx.out.write(JSON.stringify(result, null, 2) + '\n');
    else err.write(runReport(result, outcome.durationMs) + '\n');
    return shellStatus(outcome);
  },
};

function runReport(r: RunResult, durationMs: number): string {
  const how = r.run.signal !== null ? `ended by ${r.run.signal}` : `exited ${r.run.exitCode ?? '?'}`;
  const interpreter = r.run.executable ?? 'no Python interpreter it could tell';
  const head = `mlsnap: run ${r.run.id} ${how} after ${(durationMs / 1000).toFixed(1)} s (${interpreter})`;
  if (r.versions.length === 0) return `${head}; it wrote no tracked file`;
  const files = r.versions.map((v) => `  ${v.path}@${v.seq}`);
  return [`${head}; recorded ${r.versions.length} version(s):`, ...files].join('\n');
}
