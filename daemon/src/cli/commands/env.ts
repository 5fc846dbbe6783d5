import * as fs from 'node:fs';
import path from 'node:path';
import type { EnvironmentInfo } from '../../../../shared/src/domain';
import { EXPORT_FORMATS, type ExportFormat, type ExportResult } from '../../../../shared/src/environmentExport';
import type { Pin } from '../../../../shared/src/environmentExport/pins';
import { MlsnapError } from '../../../../shared/src/errors';
import { operand, type CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';
import * as fmt from '../format';

const SHOWN = {
  json: (env: EnvironmentInfo) => JSON.stringify(env, null, 2) + '\n',
  text: (env: EnvironmentInfo) => fmt.environmentBlock(env) + '\n',
};
type EnvFormat = keyof typeof SHOWN | ExportFormat;
const FORMATS: readonly EnvFormat[] = ['text', 'json', ...EXPORT_FORMATS];

interface EnvOptions {
  format?: EnvFormat;
  out?: string;
  force?: boolean;
}

export const env: CommandDef<EnvOptions> = {
  name: 'env',
  summary: 'the environment of a version, or exported: requirements, conda, uv, dockerfile, devcontainer',
  arguments: [{ name: '<ref>', description: 'the version whose environment to print or export' }],
  // `text` is the default without --json; it stays accepted as it always was.
  options: [
    {
      flags: '--format <format>',
      description: `${FORMATS.join(', ')} (default: text; json with --json)`,
      choices: FORMATS,
    },
    { flags: '--out <dir>', description: 'write the export files there (lockfiles too) instead of printing' },
    { flags: '--force', description: 'with --out: overwrite files that exist' },
  ],
  json: true,
  project: true,
  async run({ args, opts, ctx, project, client }) {
    const p = project();
    const ref = p.ref(operand(args, 0, 'a <ref>'));
    const daemon = await client();
    const format: EnvFormat = opts.format ?? (opts.json ? 'json' : 'text');
    if (format === 'json' || format === 'text') {
      if (opts.out !== undefined)
        throw new MlsnapError('bad-request', '--out takes an export --format, not json or text');
      ctx.out.write(SHOWN[format](await daemon.call('environment/get', { root: p.root, ref })));
      return CLI_EXIT.ok;
    }
    const exported = await daemon.call('environment/export', { root: p.root, ref, format });
    const err = ctx.err ?? process.stderr;
    if (opts.json === true && opts.out === undefined) {
      ctx.out.write(JSON.stringify(exported, null, 2) + '\n');
      return CLI_EXIT.ok;
    }
    if (exported.flagged.length > 0) err.write(flaggedWarning(exported.flagged));
    if (opts.out !== undefined) {
      const written = writeExport(path.resolve(ctx.cwd, opts.out), exported, opts.force === true);
      err.write(`wrote ${written.map((f) => path.relative(ctx.cwd, f) || f).join(', ')}\n`);
      return CLI_EXIT.ok;
    }
    const [main, ...others] = exported.files;
    if (main !== undefined) ctx.out.write(main.content);
    if (others.length > 0) {
      err.write(`(${others.map((f) => f.path).join(', ')} not printed: write them all with --out DIR)\n`);
    }
    return CLI_EXIT.ok;
  },
};

function flaggedWarning(flagged: readonly Pin[]): string {
  const lines = flagged.map(
    (pin) => `  ${pin.name}==${pin.version}: ${pin.problem?.reason ?? ''} ${pin.problem?.instead ?? ''}`,
  );
  return `mlsnap env: ${flagged.length} pin(s) no package index can give are left out (commented in the file):\n${lines.join('\n')}\n`;
}

/** Whether anything is at `file`, a dangling symlink included (writing would follow it out of --out). */
function lexists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

function isSymlink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Writes every file under `dir`; refuses (before writing anything) to overwrite without --force. */
function writeExport(dir: string, exported: ExportResult, force: boolean): string[] {
  const targets = exported.files.map((f) => ({ file: path.resolve(dir, f.path), content: f.content }));
  for (const t of targets) {
    if (!t.file.startsWith(dir + path.sep))
      throw new MlsnapError('bad-request', `refusing to write ${t.file} outside ${dir}`);
    if (isSymlink(t.file)) {
      throw new MlsnapError('conflict', `${t.file} is a symbolic link; remove it or pick another --out`, t.file);
    }
    if (!force && lexists(t.file)) {
      throw new MlsnapError(
        'conflict',
        `${t.file} exists; pass --force to overwrite it, or pick another --out`,
        t.file,
      );
    }
  }
  for (const t of targets) {
    fs.mkdirSync(path.dirname(t.file), { recursive: true });
    fs.writeFileSync(t.file, t.content);
  }
  return targets.map((t) => t.file);
}
