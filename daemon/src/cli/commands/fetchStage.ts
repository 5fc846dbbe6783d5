import * as path from 'node:path';
import { parseRemoteUrl } from '../../remote/RemoteLocation';
import { RemoteSession } from '../../remote/sync/RemoteSession';
import { fetchStage as fetchVerified } from '../../release/fetch/StageFetch';
import { operand, type CommandDef } from '../command';
import { credentialsFromEnv } from '../credentials';
import { CLI_EXIT } from '../exitCodes';
import * as fmt from '../format';
import { SETTINGS_OPTIONS, settingsOf } from './remote';

interface FetchStageOptions {
  endpoint?: string;
  region?: string;
  profile?: string;
  pathStyle?: boolean;
  unlessEtag?: string;
}

/**
 * For deployment hosts: no project and no daemon, only the remote. Credentials come from the
 * environment (the SDKs' default chains), as for the AWS CLI or az.
 */
export const fetchStage: CommandDef<FetchStageOptions> = {
  name: 'fetch-stage',
  summary: 'fetch the model version a stage points at, verified (size, sha256, BLAKE3) before it is written',
  arguments: [
    { name: '<remote>', description: 's3://bucket/prefix, azure://account/container/prefix or a folder' },
    { name: '<model>', description: 'the model path as the project names it (models/mlp.pt)' },
    { name: '<stage>', description: 'the stage (production)' },
    { name: '<dest>', description: 'the file to write, or a folder to write it into' },
  ],
  options: [
    ...SETTINGS_OPTIONS,
    { flags: '--unless-etag <etag>', description: 'write nothing when the pointer still has this etag (for polling)' },
  ],
  json: true,
  async run({ args, opts, ctx, print }) {
    const loc = parseRemoteUrl(operand(args, 0, 'a <remote>'), settingsOf(opts), ctx.cwd);
    const session = RemoteSession.fromLocation('remote', loc, credentialsFromEnv() ?? {});
    const dest = operand(args, 3, 'a <dest>');
    const r = await fetchVerified(
      session,
      { model: operand(args, 1, 'a <model>'), stage: operand(args, 2, 'a <stage>') },
      // `dest/` stays a folder: resolve would drop the slash that says so.
      path.resolve(ctx.cwd, dest) + (/[/\\]$/.test(dest) ? path.sep : ''),
      opts.unlessEtag === undefined ? {} : { unlessEtag: opts.unlessEtag },
    );
    const t = r.pointer.target;
    const human =
      r.file === null
        ? `unchanged: ${r.pointer.model} ${r.pointer.stage} is still ${t?.versionId ?? 'nothing'} (etag ${r.etag})`
        : `wrote ${r.file}: ${r.pointer.model} ${r.pointer.stage} = ${t?.versionId ?? ''}, ${fmt.bytes(r.bytes)}, sha256 ${t?.object.sha256 ?? ''} (verified)`;
    print(human, r);
    return CLI_EXIT.ok;
  },
};
