import type { EnvironmentInfo } from '../../../../shared/src/domain';
import { toCondaYaml, toRequirements } from '../../../../shared/src/environmentFormat';
import { operand, type CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';
import * as fmt from '../format';

const RENDER = {
  json: (env: EnvironmentInfo) => JSON.stringify(env, null, 2) + '\n',
  requirements: toRequirements,
  conda: (env: EnvironmentInfo) => toCondaYaml(env),
  text: (env: EnvironmentInfo) => fmt.environmentBlock(env) + '\n',
};
type EnvFormat = keyof typeof RENDER;

interface EnvOptions {
  format?: EnvFormat;
}

export const env: CommandDef<EnvOptions> = {
  name: 'env',
  summary: 'the environment of a version, as text, JSON, a requirements.txt or an environment.yml',
  arguments: [{ name: '<ref>', description: 'the version whose environment to print' }],
  // `text` is the default without --json; it stays accepted as it always was.
  options: [
    {
      flags: '--format <format>',
      description: 'json, requirements or conda (default: text; json with --json)',
      choices: Object.keys(RENDER),
    },
  ],
  json: true,
  project: true,
  async run({ args, opts, ctx, project, client }) {
    const p = project();
    const environment = await (
      await client()
    ).call('environment/get', { root: p.root, ref: p.ref(operand(args, 0, 'a <ref>')) });
    const format: EnvFormat = opts.format ?? (opts.json ? 'json' : 'text');
    ctx.out.write(RENDER[format](environment));
    return CLI_EXIT.ok;
  },
};
