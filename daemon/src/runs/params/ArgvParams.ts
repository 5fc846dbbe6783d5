/**
 * The parameters of a command line, read without the script's argparse spec: what follows the
 * script is split into options (`--lr 0.01`, `--lr=0.01`, `-b 64`, `--amp`), Hydra overrides
 * (`optimizer.lr=1e-3`, `+seed=1`) and positional arguments. Wrappers that run the script in an
 * environment (`uv run`, `conda run`, `env`, `torchrun`, `python -m torch.distributed.run`) are
 * looked through, so the parameters are always the script's.
 */
import path from 'node:path';
import type { ParamValue, RunParam } from '../../../../shared/src/runs';
import { parseOverride, scalarValue } from './Overrides';

const PYTHON_NAME = /^python[w]?(\d+(\.\d+)*)?(\.exe)?$/i;
const CONDA_LIKE = new Set(['conda', 'mamba', 'micromamba']);
/** Project runners whose `run` runs the rest of the line as it is. */
const RUNNERS = new Set(['poetry', 'pipenv', 'pdm', 'hatch', 'rye']);
/** Launchers whose options come before a training script, which gets the rest of the line. */
const LAUNCHERS = new Set(['torchrun', 'deepspeed']);
const LAUNCHER_MODULES = new Set(['torch.distributed.run', 'torch.distributed.launch', 'accelerate.commands.launch']);
/** Bound on wrappers within wrappers (`env A=1 uv run python -m torch.distributed.run …`). */
const MAX_DEPTH = 6;
/** Options of the wrappers that take a value, so the value is not taken for the command. */
const ENV_VALUE_OPTIONS = new Set(['-u', '--unset', '-C', '--chdir']);
const CONDA_VALUE_OPTIONS = new Set(['-n', '--name', '-p', '--prefix', '--cwd']);
const UV_RUN_VALUE_OPTIONS = new Set([
  '--with',
  '--with-editable',
  '--with-requirements',
  '--python',
  '-p',
  '--project',
  '--directory',
  '--extra',
  '--group',
  '--only-group',
  '--no-group',
  '--package',
  '--env-file',
  '--index',
  '--default-index',
  '--index-url',
  '-i',
  '--extra-index-url',
  '--find-links',
  '-f',
  '--config-file',
  '--cache-dir',
]);
/** The interpreter's own options that take a value (`-W ignore`, `-X dev`); `-m` and `-c` end its options. */
const PYTHON_VALUE_OPTIONS = 'WX';
const PYTHON_LONG_VALUE_OPTIONS = new Set(['--check-hash-based-pycs']);
/**
 * Options that are switches in the scripts that use them (`--amp data/` is a switch and a
 * positional): they take only a following true/false, as HF's `--fp16 True` does.
 */
const SWITCHES = new Set(
  (
    'amp fp16 bf16 tf32 half cpu cuda debug verbose quiet dry-run deterministic benchmark compile resume-latest ' +
    'do-train do-eval do-predict overwrite-output-dir push-to-hub gradient-checkpointing pin-memory ' +
    'channels-last sync-bn distributed wandb tensorboard help version force eval-only test-only'
  ).split(' '),
);
const BOOLEAN_WORD = /^(true|false|yes|no|1|0)$/i;
const CONFIG_EXTENSION = /\.(ya?ml|json)$/i;
/** Option and override names whose value is a config file. */
const CONFIG_NAMES = new Set(['config', 'c', 'cfg', 'conf', 'config-file', 'configfile', 'config-yaml']);

function basename(command: string): string {
  return command.split(/[\\/]/).at(-1) ?? command;
}

/** Skips a wrapper's options: the first argument that is not one is the command it runs. */
function skipOptions(args: readonly string[], valueOptions: ReadonlySet<string>): string[] {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') return args.slice(i + 1);
    if (!arg.startsWith('-') || arg === '-') return args.slice(i);
    if (valueOptions.has(arg)) i++;
  }
  return [];
}

/** `uv run [options] target …`; with `-m`/`--module` the target is a module, and the rest is its. */
function uvRunArgs(args: readonly string[], depth: number): string[] {
  const rest = skipOptions(args, UV_RUN_VALUE_OPTIONS);
  const options = args.slice(0, args.length - rest.length);
  if (options.includes('-m') || options.includes('--module')) return rest.slice(1);
  return commandArgs(rest, depth + 1);
}

/** A launcher's own options run up to the training script; without a `.py` all of it is kept. */
function launcherArgs(args: readonly string[]): string[] {
  const script = args.findIndex((a) => a.endsWith('.py') && !a.startsWith('-'));
  return script < 0 ? [...args] : args.slice(script + 1);
}

/** After `python`: its options, then a script, `-m module` or `-c code`, then the script's arguments. */
function pythonArgs(args: readonly string[]): string[] {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') return args.slice(i + 2);
    if (!arg.startsWith('-') || arg === '-') return args.slice(i + 1);
    if (arg.startsWith('--')) {
      if (PYTHON_LONG_VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    // A cluster such as `-uB`, `-OO`, `-Wignore` or `-um module`.
    for (let j = 1; j < arg.length; j++) {
      const c = arg[j] ?? '';
      if (c !== 'm' && c !== 'c' && !PYTHON_VALUE_OPTIONS.includes(c)) continue;
      const attached = arg.slice(j + 1);
      const value = attached !== '' ? attached : args[++i];
      if (c === 'm') return LAUNCHER_MODULES.has(value ?? '') ? launcherArgs(args.slice(i + 1)) : args.slice(i + 1);
      if (c === 'c') return args.slice(i + 1);
      break;
    }
  }
  return [];
}

/** The arguments the script itself receives, with every wrapper and the interpreter looked through. */
function commandArgs(argv: readonly string[], depth: number): string[] {
  const [head, ...rest] = argv;
  if (head === undefined || depth > MAX_DEPTH) return [];
  // `VAR=1 python …`, as `env` or a shell prefix passes it.
  if (/^[A-Za-z_]\w*=/.test(head)) return commandArgs(rest, depth + 1);
  const name = basename(head);
  const sub = rest[0];
  if (name === 'env') return commandArgs(skipOptions(rest, ENV_VALUE_OPTIONS), depth + 1);
  if (PYTHON_NAME.test(name)) return pythonArgs(rest);
  if (name === 'uv' && sub === 'run') return uvRunArgs(rest.slice(1), depth);
  if (CONDA_LIKE.has(name) && sub === 'run')
    return commandArgs(skipOptions(rest.slice(1), CONDA_VALUE_OPTIONS), depth + 1);
  if (RUNNERS.has(name) && sub === 'run') return commandArgs(rest.slice(1), depth + 1);
  if (name === 'accelerate' && sub === 'launch') return launcherArgs(rest.slice(1));
  if (LAUNCHERS.has(name)) return launcherArgs(rest);
  return rest; // a script run directly (`./train.py`) or a console script (`trainer`)
}

/** What the script itself receives: argv without the program, the wrappers and the script. */
export function scriptArguments(argv: readonly string[]): string[] {
  return commandArgs(argv, 0);
}

/** A command-line argument as read: an option, a Hydra override or a positional. */
export type ArgItem =
  | { kind: 'option'; name: string; raw: string | string[] | null }
  | { kind: 'override'; name: string; value: ParamValue }
  | { kind: 'positional'; raw: string };

const NUMERIC = /^[+-]?(\d[\d_]*\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** `-0.5` is a value, not an option: argparse reads it so when no option looks like a number. */
function isOption(arg: string): boolean {
  return arg.length > 1 && arg.startsWith('-') && arg !== '--' && !NUMERIC.test(arg);
}

/** `--lr=0.01`, `--lr`, `-b64`, `-b`, `-lr` (one dash, a long name, as some scripts spell them). */
function optionParts(arg: string): { name: string; inline: string | undefined } {
  const bare = arg.replace(/^--?/, '');
  const eq = bare.indexOf('=');
  if (eq > 0) return { name: bare.slice(0, eq), inline: bare.slice(eq + 1) };
  if (!arg.startsWith('--') && /^[A-Za-z]/.test(bare) && NUMERIC.test(bare.slice(1))) {
    return { name: bare.slice(0, 1), inline: bare.slice(1) };
  }
  return { name: bare, inline: undefined };
}

function takesNoValue(name: string, next: string | undefined): boolean {
  if (next === undefined || isOption(next) || next === '--' || parseOverride(next) !== null) return true;
  const normalized = name.toLowerCase().replace(/_/g, '-');
  if (normalized.startsWith('no-')) return true; // argparse's BooleanOptionalAction negation
  return SWITCHES.has(normalized) && !BOOLEAN_WORD.test(next);
}

/** Options, overrides and positionals of a script's arguments, in order; `~key` deletions dropped. */
export function argItems(args: readonly string[]): ArgItem[] {
  const items: ArgItem[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') {
      items.push(...args.slice(i + 1).map((raw): ArgItem => ({ kind: 'positional', raw })));
      break;
    }
    if (isOption(arg)) {
      const { name, inline } = optionParts(arg);
      if (inline !== undefined) items.push({ kind: 'option', name, raw: inline });
      else if (takesNoValue(name, args[i + 1])) items.push({ kind: 'option', name, raw: null });
      else {
        // `--milestones 30 60 90` (nargs): a run of numbers is one list; one value is just that.
        let end = i + 2;
        while (end < args.length && NUMERIC.test(args[end] ?? '') && NUMERIC.test(args[i + 1] ?? '')) end++;
        const values = args.slice(i + 1, end);
        items.push({ kind: 'option', name, raw: values.length === 1 ? (values[0] ?? '') : values });
        i = end - 1;
      }
      continue;
    }
    const override = parseOverride(arg);
    if (override === null) items.push({ kind: 'positional', raw: arg });
    else if (!override.deletion) items.push({ kind: 'override', name: override.name, value: override.value });
  }
  return items;
}

function itemParam(item: ArgItem, positional: number): { name: string; value: ParamValue } {
  if (item.kind === 'override') return { name: item.name, value: item.value };
  if (item.kind === 'positional') return { name: `arg${positional}`, value: scalarValue(item.raw) };
  const { raw } = item;
  return { name: item.name, value: raw === null ? true : Array.isArray(raw) ? raw.map(scalarValue) : scalarValue(raw) };
}

/**
 * A command line's parameters (source `argv`): options typed (ints, floats, true/false,
 * null/None, else strings), `--flag` true, Hydra overrides by their key, positionals as `arg1`,
 * `arg2`…; the program, wrappers and script are not parameters. A repeated name keeps its last value.
 */
export function argvParams(argv: readonly string[]): RunParam[] {
  const byName = new Map<string, RunParam>();
  let positional = 0;
  for (const item of argItems(scriptArguments(argv))) {
    if (item.kind === 'positional') positional++;
    const { name, value } = itemParam(item, positional);
    if (name === '') continue;
    const known = byName.get(name);
    if (known === undefined) byName.set(name, { name, value, source: 'argv' });
    else known.value = value;
  }
  return [...byName.values()];
}

function configNamed(name: string): boolean {
  return CONFIG_NAMES.has(name.toLowerCase().replace(/_/g, '-'));
}

/** Hydra's `--config-path conf --config-name train`: conf/train.yaml. */
function hydraConfig(items: readonly ArgItem[]): string | null {
  const option = (...names: string[]): string | undefined => {
    const found = [...items].reverse().find((i) => i.kind === 'option' && names.includes(i.name));
    return found?.kind === 'option' && typeof found.raw === 'string' ? found.raw : undefined;
  };
  const dir = option('config-path', 'cp');
  const name = option('config-name', 'cn');
  if (dir === undefined || name === undefined) return null;
  return path.join(dir, CONFIG_EXTENSION.test(name) ? name : `${name}.yaml`);
}

function namedFile(item: ArgItem): string | null {
  if (item.kind === 'positional') return item.raw;
  if (item.kind === 'option' && configNamed(item.name) && typeof item.raw === 'string') return item.raw;
  if (item.kind === 'override' && configNamed(item.name) && typeof item.value === 'string') return item.value;
  return null;
}

/**
 * YAML and JSON config files a command line names (`--config conf/train.yaml`, `-c x.yml`,
 * `config=…`, a positional `*.yaml`, Hydra's `--config-path`/`--config-name`), as absolute
 * paths resolved against cwd, in order, once each. Other options' files (`--out r.json`) are
 * outputs as often as inputs, so they are not named.
 */
export function configFilesNamed(argv: readonly string[], cwd: string): string[] {
  const items = argItems(scriptArguments(argv));
  const files = items.map(namedFile).concat(hydraConfig(items));
  const found = files.filter((f): f is string => f !== null && f !== '' && CONFIG_EXTENSION.test(f));
  return [...new Set(found.map((f) => path.resolve(cwd, f)))];
}
