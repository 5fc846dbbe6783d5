import * as path from 'node:path';
import type { RestoreResult } from '../../../../shared/src/protocol';
import { operand, type CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';

interface RestoreOptions {
  to?: string;
}

export const restore: CommandDef<RestoreOptions> = {
  name: 'restore',
  summary: 'write a version back; work that was never snapshotted is snapshotted first',
  arguments: [{ name: '<ref>', description: 'the version to write back' }],
  options: [{ flags: '--to <path>', description: 'write it there instead of over the file' }],
  json: true,
  project: true,
  async run({ args, opts, ctx, project, client, print }) {
    const p = project();
    const to = opts.to === undefined ? undefined : path.resolve(ctx.cwd, opts.to);
    const r = await (
      await client()
    ).call('version/restore', { root: p.root, ref: p.ref(operand(args, 0, 'a <ref>')), ...(to ? { to } : {}) });
    const recorded = r.recorded
      ? `\nrecorded as ${r.recorded.path}@${r.recorded.seq} (trigger restore, with the environment of ${r.restored.path}@${r.restored.seq})`
      : '';
    print(`restored ${r.restored.path}@${r.restored.seq} to ${r.path}${whatHappenedFirst(r)}${recorded}`, r);
    return CLI_EXIT.ok;
  },
};

/** What became of the file's unsnapshotted contents, so the user knows where their work went. */
function whatHappenedFirst(r: RestoreResult): string {
  if (r.savedFirst) return `\nsaved the current contents first as ${r.savedFirst.path}@${r.savedFirst.seq}`;
  if (r.movedAside) return `\nthe current contents could not be recorded, so they were moved to ${r.movedAside}`;
  return '';
}
