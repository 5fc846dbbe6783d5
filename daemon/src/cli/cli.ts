import { CommanderError } from 'commander';
import { EXIT_CODE, MlsnapError } from '../../../shared/src/errors';
import type { CliContext } from './command';
import { CLI_EXIT } from './exitCodes';
import { buildProgram, type Outcome } from './program';

export { findProjectRoot, toProjectPath, toProjectRef } from './projectPaths';
export type { CliContext } from './command';

/** Runs one CLI invocation and returns its exit code; never exits the process itself. */
export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const outcome: Outcome = { code: CLI_EXIT.ok, json: false };
  const program = buildProgram(ctx, outcome);
  if (argv.length === 0) {
    // A bare `mlsnap` shows what it can do, but is still not a command a script meant to run.
    program.outputHelp();
    return CLI_EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return outcome.code;
  } catch (e) {
    return reportError(e, outcome.json, ctx.err ?? process.stderr);
  }
}

function reportError(e: unknown, json: boolean, err: NodeJS.WritableStream): number {
  if (e instanceof CommanderError) return commanderExit(e);
  if (e instanceof MlsnapError) {
    err.write(json ? JSON.stringify(e.toPayload()) + '\n' : `mlsnap: ${e.message}\n`);
    return EXIT_CODE[e.kind];
  }
  err.write(`mlsnap: ${(e as Error).message}\n`);
  return CLI_EXIT.internal;
}

/**
 * Commander has printed the help, version or usage error already. `--help` and `--version`
 * succeed; `mlsnap help` throws 'commander.help' with exit code 0, and so does a missing
 * subcommand (`mlsnap daemon`), but with 1, as help shown in place of an error.
 */
function commanderExit(e: CommanderError): number {
  if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return CLI_EXIT.ok;
  if (e.code === 'commander.help' && e.exitCode === 0) return CLI_EXIT.ok;
  return CLI_EXIT.usage;
}
