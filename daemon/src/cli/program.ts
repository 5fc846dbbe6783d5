import { Command, Option } from 'commander';
import { VERSION } from '../../../shared/src/version';
import type { CliCommand, CliContext, CommandDef, CommandGroup, CommonOptions, Invocation, OptionDef } from './command';
import { cat } from './commands/cat';
import { check } from './commands/check';
import { clone } from './commands/clone';
import { pull } from './commands/pull';
import { push } from './commands/push';
import { remote } from './commands/remote';
import { daemon } from './commands/daemon';
import { diff } from './commands/diff';
import { env } from './commands/env';
import { exportBundle } from './commands/export';
import { fetchStage } from './commands/fetchStage';
import { demote, promote, protect, stages } from './commands/release';
import { gc } from './commands/gc';
import { init } from './commands/init';
import { log } from './commands/log';
import { reproduce } from './commands/reproduce';
import { restore } from './commands/restore';
import { run } from './commands/run';
import { runs } from './commands/runs';
import { show } from './commands/show';
import { snapshot } from './commands/snapshot';
import { status } from './commands/status';
import { tag } from './commands/tag';
import { DaemonClient } from './DaemonClient';
import { openProject } from './projectPaths';

/** Every command, in the order `mlsnap --help` lists them. */
export const COMMANDS: readonly CliCommand[] = [
  init,
  status,
  snapshot,
  log,
  show,
  cat,
  restore,
  env,
  reproduce,
  run,
  runs,
  diff,
  tag,
  gc,
  check,
  remote,
  push,
  pull,
  clone,
  promote,
  demote,
  stages,
  protect,
  fetchStage,
  exportBundle,
  daemon,
];

const DESCRIPTION = 'mlsnap — history of notebooks and model files, with the environment that produced them';

const NOTES = `
A <ref> is path@N (N-th version, from 1), path@latest, path@<tag>, a version id (v + 16 hex
digits, the same on every machine), or a snapshot id prefix.
Paths are relative to the current folder.
--project DIR picks the project (default: the folder holding .mlsnap, searching upward).
Environment: MLSNAP_HOME (default ~/.mlsnap) holds daemon.json, daemon.log and projects.json.`;

/** What the parse left behind for main(): the command's exit code, and how to print an error. */
export interface Outcome {
  code: number;
  json: boolean;
}

/**
 * A fresh commander program for one main() call (commander keeps parse state on the objects).
 * It never exits the process: errors and help become CommanderErrors that main() maps to codes.
 */
export function buildProgram(ctx: CliContext, outcome: Outcome): Command {
  const err = ctx.err ?? process.stderr;
  const program = new Command('mlsnap')
    .description(DESCRIPTION)
    .version(VERSION)
    // Options before the command name belong to mlsnap (`mlsnap --project DIR log`); after
    // it, to the command, so each command refuses the flags it does not take.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (s) => void ctx.out.write(s), writeErr: (s) => void err.write(s) })
    .addHelpText('after', NOTES);
  addCommonOptions(program, { json: true, project: true });
  withUsageErrors(program);
  for (const def of COMMANDS) {
    if ('subcommands' in def) addGroup(program, def, ctx, outcome);
    else addCommand(program, def, ctx, outcome);
  }
  return program;
}

function addGroup(parent: Command, def: CommandGroup, ctx: CliContext, outcome: Outcome): void {
  const group = parent.command(def.name).description(def.summary);
  withUsageErrors(group);
  for (const sub of def.subcommands) addCommand(group, sub, ctx, outcome, sub.name === def.defaultSubcommand);
}

function addCommand(parent: Command, def: CommandDef, ctx: CliContext, outcome: Outcome, isDefault = false): void {
  // `.command()` (not addCommand) so the child inherits output, exitOverride and help settings.
  const cmd = parent.command(def.name, { isDefault }).description(def.summary);
  for (const a of def.arguments ?? []) cmd.argument(a.name, a.description);
  for (const o of def.options ?? []) cmd.addOption(toOption(o));
  addCommonOptions(cmd, def);
  if (def.passThroughOptions === true) cmd.passThroughOptions();
  withUsageErrors(cmd);
  cmd.action(async () => {
    const opts = mergedOptions(cmd);
    outcome.json = opts.json === true;
    outcome.code = await def.run(invocation(cmd.args, opts, ctx));
  });
}

function toOption(o: OptionDef): Option {
  const option = new Option(o.flags, o.description);
  if (o.choices) option.choices(o.choices);
  if (o.required) option.makeOptionMandatory();
  return option;
}

function addCommonOptions(cmd: Command, takes: { json?: boolean; project?: boolean }): void {
  if (takes.json) cmd.option('--json', 'print JSON (errors too, on stderr)');
  if (takes.project)
    cmd.option('--project <dir>', 'the project folder (default: the one holding .mlsnap, searching upward)');
}

/**
 * Commander's own errors (unknown option, missing argument) as `mlsnap <cmd>: <message>` and
 * the command's usage line, not the whole help: the line says what to fix, --help says more.
 */
function withUsageErrors(cmd: Command): void {
  cmd.configureOutput({
    outputError: (message, write) => {
      const name = cmd.parent ? `mlsnap ${commandPath(cmd)}` : 'mlsnap';
      write(`${name}: ${message.replace(/^error: /, '')}usage: ${cmd.createHelp().commandUsage(cmd)}\n`);
    },
  });
}

/** `daemon status` for a subcommand of `daemon`: the names below the program. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Options from the program down to the command; the later (closer to the command) wins. */
function mergedOptions(cmd: Command): Record<string, unknown> & CommonOptions {
  const chain: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) chain.unshift(c);
  return Object.assign({}, ...chain.map((c) => c.opts())) as Record<string, unknown> & CommonOptions;
}

function invocation(
  args: readonly string[],
  opts: Record<string, unknown> & CommonOptions,
  ctx: CliContext,
): Invocation<Record<string, unknown>> {
  return {
    args,
    opts,
    ctx,
    print: (human, json) => void ctx.out.write(opts.json ? JSON.stringify(json, null, 2) + '\n' : human + '\n'),
    client: () => DaemonClient.ensureRunning(ctx.home, ctx.daemonScript),
    project: () => openProject(ctx.cwd, opts.project),
  };
}
