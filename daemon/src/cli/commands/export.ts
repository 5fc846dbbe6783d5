import * as path from 'node:path';
import { BUNDLE_FORMATS, type BundleFormat } from '../../../../shared/src/release';
import { estimateLine } from '../../../../shared/src/estimateText';
import { MlsnapError } from '../../../../shared/src/errors';
import { operand, type CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';

interface ExportOptions {
  to?: string;
  format?: BundleFormat;
  force?: boolean;
}

export const exportBundle: CommandDef<ExportOptions> = {
  name: 'export',
  summary: 'a deployment bundle of a model version: its bytes, a Dockerfile and a KServe, Kubernetes or Docker config',
  arguments: [{ name: '<ref>', description: 'the model version (models/mlp.pt@3, @latest, a tag or a version id)' }],
  options: [
    { flags: '--to <dir>', description: 'the folder to write the bundle into (made if missing)', required: true },
    {
      flags: '--format <format>',
      description: `${BUNDLE_FORMATS.join(', ')} (default: kserve)`,
      choices: BUNDLE_FORMATS,
    },
    { flags: '--force', description: 'overwrite the files of an earlier bundle there' },
  ],
  json: true,
  project: true,
  async run({ args, opts, ctx, project, client, print }) {
    const p = project();
    if (opts.to === undefined) throw new MlsnapError('bad-request', 'export needs --to <dir>');
    const r = await (
      await client()
    ).call('release/bundle', {
      root: p.root,
      ref: p.ref(operand(args, 0, 'a <ref>')),
      dir: path.resolve(ctx.cwd, opts.to),
      format: opts.format ?? 'kserve',
      ...(opts.force === true ? { force: true } : {}),
    });
    const lines = [
      `wrote a ${r.format} bundle to ${r.dir}: ${r.files.join(', ')}`,
      r.estimate === null
        ? 'no resource estimate (the file did not parse); the config uses stated defaults'
        : estimateLine(r.estimate),
      ...(r.unsatisfiable.length > 0
        ? [`left out of the Dockerfile (no package index has them): ${r.unsatisfiable.join(', ')}`]
        : []),
    ];
    print(lines.join('\n'), r);
    return CLI_EXIT.ok;
  },
};
