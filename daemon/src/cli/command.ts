import { MlsnapError } from '../../../shared/src/errors';
import type { DaemonClient } from './DaemonClient';
import type { ProjectScope } from './projectPaths';

/** What main() runs with; out/err are streams so tests can run the CLI in-process. */
export interface CliContext {
  home: string;
  cwd: string;
  daemonScript: string;
  out: NodeJS.WritableStream;
  /** Errors and usage messages; process.stderr when absent. */
  err?: NodeJS.WritableStream;
}

/** The options shared by many commands; each command says which of them it takes. */
export interface CommonOptions {
  json?: boolean;
  project?: string;
}

/** A positional argument in commander syntax: `<ref>` required, `[dir]` optional, `[paths...]` variadic. */
export interface ArgumentDef {
  name: string;
  description: string;
}

/** An option in commander syntax (`--limit <N>`, `-m, --message <msg>`, `--dry-run`). */
export interface OptionDef {
  flags: string;
  description: string;
  choices?: readonly string[];
  required?: boolean;
}

/** What a command's run() gets: parsed input and lazily opened resources. */
export interface Invocation<O> {
  /** Operands in order; commander has already checked required ones and the count. */
  args: readonly string[];
  opts: O & CommonOptions;
  ctx: CliContext;
  /** Human text, or `json` pretty-printed under --json. */
  print(human: string, json: unknown): void;
  /** The daemon, started when it is not running. */
  client(): Promise<DaemonClient>;
  /** The project (from --project or the current folder); throws not-initialized outside one. */
  project(): ProjectScope;
}

export interface CommandDef<O extends object = object> {
  name: string;
  /** One line, shown in `mlsnap --help` and atop the command's own help. */
  summary: string;
  arguments?: readonly ArgumentDef[];
  options?: readonly OptionDef[];
  /** Takes --json (output as JSON, errors as JSON on stderr). */
  json?: boolean;
  /** Takes --project DIR. */
  project?: boolean;
  /** Everything from the first operand on is an operand (`mlsnap run python x.py --lr 1`). */
  passThroughOptions?: boolean;
  run(inv: Invocation<O>): Promise<number>;
}

/** A command that only holds subcommands (`mlsnap daemon start|stop|status|run`). */
export interface CommandGroup {
  name: string;
  summary: string;
  subcommands: readonly CommandDef[];
  /** The subcommand run when none is named (`mlsnap runs train.ipynb` is `runs list train.ipynb`). */
  defaultSubcommand?: string;
}

export type CliCommand = CommandDef | CommandGroup;

/**
 * A required operand. Commander refuses a missing one before run() is called, so this only
 * guards the types (and an empty string typed on purpose).
 */
export function operand(args: readonly string[], index: number, what: string): string {
  const v = args[index];
  if (v === undefined || v === '') throw new MlsnapError('bad-request', `missing ${what}; see \`mlsnap --help\``);
  return v;
}
