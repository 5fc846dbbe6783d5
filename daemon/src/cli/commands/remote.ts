import { MlsnapError } from '../../../../shared/src/errors';
import type { RemoteCheckResult, RemoteInfo } from '../../../../shared/src/protocol';
import { operand, type CommandDef, type CommandGroup } from '../command';
import { withCredentials } from '../credentials';
import { CLI_EXIT } from '../exitCodes';
import { callWithProgress } from '../transferProgress';

interface AddOptions {
  endpoint?: string;
  region?: string;
  profile?: string;
  pathStyle?: boolean;
  create?: boolean;
  default?: boolean;
}

export const SETTINGS_OPTIONS = [
  { flags: '--endpoint <url>', description: 'an S3-compatible endpoint (MinIO, R2, GCS) or an Azure blob endpoint' },
  { flags: '--region <region>', description: 'the S3 region' },
  { flags: '--profile <name>', description: 'a profile of ~/.aws/config' },
  { flags: '--path-style', description: 'S3 path-style addressing (default with --endpoint)' },
] as const;

export function settingsOf(o: AddOptions): {
  endpoint?: string;
  region?: string;
  profile?: string;
  pathStyle?: boolean;
} {
  return {
    ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
    ...(o.region !== undefined ? { region: o.region } : {}),
    ...(o.profile !== undefined ? { profile: o.profile } : {}),
    ...(o.pathStyle === true ? { pathStyle: true } : {}),
  };
}

function remoteLine(r: RemoteInfo): string {
  const unpushed = r.unpushed === 0 ? 'up to date' : `${r.unpushed} version(s) not pushed`;
  return `${r.isDefault ? '* ' : '  '}${r.name}  ${r.url}  (${unpushed})`;
}

const add: CommandDef<AddOptions> = {
  name: 'add',
  summary: 'add a team remote (checked reachable and writable); the first one added is the default',
  arguments: [
    { name: '<name>', description: 'what to call it (e.g. origin)' },
    { name: '<url>', description: 's3://bucket/prefix, azure://account/container/prefix, file:///path or a path' },
  ],
  options: [
    ...SETTINGS_OPTIONS,
    { flags: '--create', description: 'make the bucket, container or folder when it does not exist' },
    { flags: '--default', description: 'make it the default remote' },
  ],
  json: true,
  project: true,
  async run({ args, opts, project, client, print }) {
    const r = await (
      await client()
    ).call('remote/add', {
      root: project().root,
      name: operand(args, 0, 'a <name>'),
      url: operand(args, 1, 'a <url>'),
      ...settingsOf(opts),
      ...(opts.create === true ? { create: true } : {}),
      ...(opts.default === true ? { default: true } : {}),
      ...withCredentials(),
    });
    print(`added remote ${r.name} (${r.url})${r.isDefault ? ', the default' : ''}`, r);
    return CLI_EXIT.ok;
  },
};

const list: CommandDef = {
  name: 'list',
  summary: 'the remotes; * marks the default',
  json: true,
  project: true,
  async run({ project, client, print }) {
    const remotes = await (await client()).call('remote/list', { root: project().root });
    print(
      remotes.length === 0
        ? 'no remotes; add one with `mlsnap remote add <name> <url>`'
        : remotes.map(remoteLine).join('\n'),
      remotes,
    );
    return CLI_EXIT.ok;
  },
};

const remove: CommandDef = {
  name: 'remove',
  summary: 'forget a remote (nothing on it is deleted)',
  arguments: [{ name: '<name>', description: 'the remote' }],
  json: true,
  project: true,
  async run({ args, project, client, print }) {
    const r = await (
      await client()
    ).call('remote/remove', { root: project().root, name: operand(args, 0, 'a <name>') });
    print(`removed remote ${r.removed}; its objects stay where they are`, r);
    return CLI_EXIT.ok;
  },
};

const check: CommandDef<{ readDataSubset?: string }> = {
  name: 'check',
  summary: 'check that every version on a remote has its bytes there (exit 10 on problems)',
  arguments: [{ name: '[name]', description: 'the remote (default: the default remote)' }],
  options: [{ flags: '--read-data-subset <pct>', description: 'also download and hash this percent of the data' }],
  json: true,
  project: true,
  async run({ args: [name], opts, ctx, project, client, print }) {
    const pct = parsePercent(opts.readDataSubset);
    const r = await callWithProgress(ctx, await client(), 'remote/check', {
      root: project().root,
      ...(name !== undefined ? { name } : {}),
      ...(pct !== undefined ? { readDataSubset: pct } : {}),
      ...withCredentials(),
    });
    print(checkReport(r), r);
    return r.ok ? CLI_EXIT.ok : CLI_EXIT['check-failed'];
  },
};

function parsePercent(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw.replace(/%$/, ''));
  if (!Number.isFinite(n) || n < 0 || n > 100)
    throw new MlsnapError('bad-request', `--read-data-subset takes a percentage from 0 to 100, not ${raw}`);
  return n;
}

function checkReport(r: RemoteCheckResult): string {
  const head = `remote ${r.remote}: ${r.historyObjects} history object(s), ${r.versions} version(s), ${r.dataObjects} data object(s), ${r.dataChecked} hashed`;
  const lines = [
    head,
    ...r.missing.map((h) => `  missing: blob ${h}`),
    ...r.corrupt.map((c) => `  corrupt: ${c.key}: ${c.reason}`),
    r.ok ? 'no problems found' : `${r.missing.length + r.corrupt.length} problem(s) found`,
  ];
  return lines.join('\n');
}

export const remote: CommandGroup = {
  name: 'remote',
  summary: 'team remotes: add, list, remove, check',
  subcommands: [add, list, remove, check] as readonly CommandDef[],
};
