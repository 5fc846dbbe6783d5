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
    const limit = fmt.parseLimit(opts.limit);
    const c = await client();
    const versions = await c.call('version/log', {
      root: p.root,
      ...(file ? { path: p.path(file) } : {}),
      ...(limit === undefined ? {} : { limit }),
    });
    // Files gone from the working folder are marked; their versions stay restorable.
    const deleted = new Set(
      (await c.call('project/files', { root: p.root })).filter((f) => f.deletedAt !== undefined).map((f) => f.path),
    );
    const text = versions.map((v) => fmt.versionLine(v, deleted.has(v.path))).join('\n');
    print(versions.length === 0 ? 'no versions yet' : text, versions);
    return CLI_EXIT.ok;
  },
};
