import type { PushResult } from '../../../../shared/src/protocol';
import type { CommandDef } from '../command';
import { withCredentials } from '../credentials';
import { CLI_EXIT } from '../exitCodes';
import * as fmt from '../format';
import { callWithProgress } from '../transferProgress';

interface PushOptions {
  remote?: string;
  stripOutputs?: boolean;
  allow?: string[];
}

export const push: CommandDef<PushOptions> = {
  name: 'push',
  summary: 'send every version the remote lacks, after the secret gate (exit 12 when it finds a secret)',
  arguments: [{ name: '[paths...]', description: 'only the versions of these files or folders' }],
  options: [
    { flags: '--remote <name>', description: 'the remote (default: the default remote)' },
    { flags: '--strip-outputs', description: 'push notebooks with their outputs stripped (local history keeps them)' },
    { flags: '--allow <id...>', description: 'accept these findings of the secret gate (recorded with the push)' },
  ],
  json: true,
  project: true,
  async run({ args, opts, ctx, project, client, print }) {
    const p = project();
    const r = await callWithProgress(ctx, await client(), 'remote/push', {
      root: p.root,
      ...(opts.remote !== undefined ? { remote: opts.remote } : {}),
      ...(args.length > 0 ? { paths: args.map((a) => p.path(a)) } : {}),
      ...(opts.stripOutputs === true ? { stripOutputs: true } : {}),
      ...(opts.allow !== undefined ? { allow: opts.allow } : {}),
      ...withCredentials(),
    });
    print(pushReport(r), r);
    return r.pushed ? CLI_EXIT.ok : CLI_EXIT['secret-found'];
  },
};

function pushReport(r: PushResult): string {
  if (!r.pushed) {
    const lines = r.findings.map((f) => {
      const where = f.cell !== undefined ? `cell ${f.cell} ${f.where}, line ${f.line}` : `line ${f.line}`;
      return `  ${f.path}: ${where}: ${f.rule} ${f.excerpt}  [--allow ${f.id}]\n    ${f.message}`;
    });
    return [
      `push refused: the secret gate found ${r.findings.length} finding(s); nothing was sent to ${r.remote}`,
      ...lines,
      'Remove the secret and snapshot again, push with --strip-outputs (for notebook outputs), or accept a finding with --allow <id>.',
    ].join('\n');
  }
  if (r.versions === 0) return `${r.remote} is up to date`;
  return `pushed ${r.versions} version(s) to ${r.remote}: ${r.objects} object(s), ${fmt.bytes(r.bytes)} (${fmt.bytes(r.bytesSent)} sent) in ${r.seconds.toFixed(1)} s`;
}
