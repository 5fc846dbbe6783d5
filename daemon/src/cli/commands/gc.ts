import type { CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';
import * as fmt from '../format';

interface GcOptions {
  keepLast: string;
  dryRun?: boolean;
}

export const gc: CommandDef<GcOptions> = {
  name: 'gc',
  summary: 'drop all but the last N versions of each file (never tagged ones) and say what it frees',
  options: [
    { flags: '--keep-last <N>', description: 'versions to keep per file', required: true },
    { flags: '--dry-run', description: 'only say what would be dropped' },
  ],
  json: true,
  project: true,
  async run({ opts, project, client, print }) {
    const { root } = project();
    // The daemon validates N (a bad one is its bad-request), as it does for the extension.
    const r = await (
      await client()
    ).call('store/gc', { root, keepLast: Number(opts.keepLast), dryRun: opts.dryRun === true });
    print(fmt.gcBlock(r), r);
    return CLI_EXIT.ok;
  },
};
