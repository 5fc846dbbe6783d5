import * as path from 'node:path';
import { operand, type CommandDef } from '../command';
import { withCredentials } from '../credentials';
import { CLI_EXIT } from '../exitCodes';
import * as fmt from '../format';
import { callWithProgress } from '../transferProgress';
import { SETTINGS_OPTIONS, settingsOf } from './remote';

interface CloneOptions {
  endpoint?: string;
  region?: string;
  profile?: string;
  pathStyle?: boolean;
  name?: string;
}

export const clone: CommandDef<CloneOptions> = {
  name: 'clone',
  summary: 'a new project from a remote, with the latest version of every file written out',
  arguments: [
    { name: '<url>', description: 'the remote (s3://…, azure://…, file://… or a path)' },
    { name: '<dir>', description: 'a new or empty folder' },
  ],
  options: [
    ...SETTINGS_OPTIONS,
    { flags: '--name <name>', description: 'the remote\u2019s name in the new project (default origin)' },
  ],
  json: true,
  async run({ args, opts, ctx, client, print }) {
    const url = operand(args, 0, 'a <url>');
    // A plain path is the folder remote as seen from here, not from the daemon's folder.
    const absUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : path.resolve(ctx.cwd, url);
    const r = await callWithProgress(ctx, await client(), 'remote/clone', {
      url: absUrl,
      dir: path.resolve(ctx.cwd, operand(args, 1, 'a <dir>')),
      ...settingsOf(opts),
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      ...withCredentials(),
    });
    print(
      `cloned ${r.versions} version(s) into ${r.project.root}: ${r.files} file(s), ${fmt.bytes(r.bytes)} in ${r.seconds.toFixed(1)} s`,
      r,
    );
    return CLI_EXIT.ok;
  },
};
