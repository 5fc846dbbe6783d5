import { EXIT_CODE } from '../../../../shared/src/errors';
import type { SnapshotResult } from '../../../../shared/src/protocol';
import type { CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';
import * as fmt from '../format';

interface SnapshotOptions {
  message?: string;
}

/** What happened, and for files that were named, why each one was not recorded. */
function snapshotText(r: SnapshotResult, named: boolean): string {
  const head = r.snapshot
    ? fmt.snapshotBlock(r.snapshot)
    : `nothing recorded (${r.skipped.length} file${r.skipped.length === 1 ? '' : 's'} looked at)`;
  if (!named) return head;
  const why = r.skipped.map((s) => `  ${s.path}: ${s.reason === 'missing' ? 'does not exist' : s.reason}`);
  return [head, ...why].join('\n');
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
    print(snapshotText(r, paths.length > 0), r);
    // A named file that does not exist is an error a script must see (exit 3), after saying so.
    const missing = r.skipped.filter((s) => s.reason === 'missing' && paths.includes(s.path));
    return missing.length > 0 && !r.snapshot ? EXIT_CODE['not-found'] : CLI_EXIT.ok;
  },
};
