import { MlsnapError } from '../../../../shared/src/errors';
import type { CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';
import * as fmt from '../format';

interface LogOptions {
  limit?: string;
}

export const log: CommandDef<LogOptions> = {
  name: 'log',
  summary: 'versions, newest first',
  arguments: [{ name: '[path]', description: 'only the versions of this file' }],
  options: [{ flags: '--limit <N>', description: 'at most N versions' }],
  json: true,
  project: true,
  async run({ args: [file], opts, project, client, print }) {
    const p = project();
    const limit = parseLimit(opts.limit);
    const versions = await (
      await client()
    ).call('version/log', {
      root: p.root,
      ...(file ? { path: p.path(file) } : {}),
      ...(limit === undefined ? {} : { limit }),
    });
    print(versions.length === 0 ? 'no versions yet' : versions.map(fmt.versionLine).join('\n'), versions);
    return CLI_EXIT.ok;
  },
};

function parseLimit(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1)
    throw new MlsnapError('bad-request', `--limit must be a positive integer, not ${raw}`);
  return limit;
}
