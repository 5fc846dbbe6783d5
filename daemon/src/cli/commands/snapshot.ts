import type { CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';
import * as fmt from '../format';

interface SnapshotOptions {
  message?: string;
}

export const snapshot: CommandDef<SnapshotOptions> = {
  name: 'snapshot',
  summary: 'record new versions now (every tracked file when no path is given)',
  arguments: [{ name: '[paths...]', description: 'files to record (default: every tracked file)' }],
  options: [{ flags: '-m, --message <msg>', description: 'a message kept with the snapshot' }],
  json: true,
  project: true,
  async run({ args, opts, project, client, print }) {
    const p = project();
    const paths = args.map(p.path);
    const r = await (
      await client()
    ).call('snapshot/create', {
      root: p.root,
      paths,
      ...(opts.message ? { message: opts.message } : {}),
      trigger: 'manual',
    });
    print(r.snapshot ? fmt.snapshotBlock(r.snapshot) : `nothing changed (${r.skipped.length} files looked at)`, r);
    return CLI_EXIT.ok;
  },
};
