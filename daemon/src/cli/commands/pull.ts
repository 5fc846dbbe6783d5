import type { CommandDef } from '../command';
import { withCredentials } from '../credentials';
import { CLI_EXIT } from '../exitCodes';
import * as fmt from '../format';
import { callWithProgress } from '../transferProgress';

export const pull: CommandDef<{ remote?: string; blobs?: boolean }> = {
  name: 'pull',
  summary: "record teammates' versions from the remote (working files are not changed)",
  options: [
    { flags: '--remote <name>', description: 'the remote (default: the default remote)' },
    { flags: '--blobs', description: 'fetch every version\u2019s bytes now, not when first read' },
  ],
  json: true,
  project: true,
  async run({ opts, ctx, project, client, print }) {
    const r = await callWithProgress(ctx, await client(), 'remote/pull', {
      root: project().root,
      ...(opts.remote !== undefined ? { remote: opts.remote } : {}),
      ...(opts.blobs === true ? { blobs: true } : {}),
      ...withCredentials(),
    });
    const blobs = r.blobsFetched > 0 ? `, ${r.blobsFetched} blob(s) fetched (${fmt.bytes(r.bytes)})` : '';
    print(
      r.versions === 0
        ? `nothing new on ${r.remote}${blobs}`
        : `pulled ${r.versions} version(s) from ${r.remote}${blobs}`,
      r,
    );
    return CLI_EXIT.ok;
  },
};
