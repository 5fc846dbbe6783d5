import type { AuditRecord, GateResult, StageInfo } from '../../../../shared/src/release';
import { estimateLine } from '../../../../shared/src/estimateText';
import { operand, type CommandDef } from '../command';
import { withCredentials } from '../credentials';
import { CLI_EXIT } from '../exitCodes';
import * as fmt from '../format';
import { callWithProgress } from '../transferProgress';

interface RemoteOption {
  remote?: string;
}

const REMOTE_OPTION = {
  flags: '--remote <name>',
  description: 'the remote holding the stages (default: the default remote)',
};

function remoteParams(opts: RemoteOption): { remote?: string } {
  return opts.remote === undefined ? {} : { remote: opts.remote };
}

interface PromoteOptions extends RemoteOption {
  message?: string;
  reason?: string;
  force?: boolean;
}

export const promote: CommandDef<PromoteOptions> = {
  name: 'promote',
  summary:
    'point a stage (staging, production, …) on the remote at a model version, after its gates (exit 14 when one fails)',
  arguments: [
    { name: '<ref>', description: 'the model version (models/mlp.pt@3, @latest, a tag or a version id)' },
    { name: '<stage>', description: 'the stage: lower-case letters, digits, ".", "_", "-"' },
  ],
  options: [
    { flags: '-m, --message <reason>', description: 'why (kept in the audit record)' },
    { flags: '--force', description: 'promote although gates failed; needs --reason, and both are audited' },
    { flags: '--reason <reason>', description: 'the same as -m' },
    REMOTE_OPTION,
  ],
  json: true,
  project: true,
  async run({ args, opts, ctx, project, client, print }) {
    const p = project();
    const reason = opts.reason ?? opts.message;
    const r = await callWithProgress(ctx, await client(), 'release/promote', {
      root: p.root,
      ref: p.ref(operand(args, 0, 'a <ref>')),
      stage: operand(args, 1, 'a <stage>'),
      ...(reason !== undefined ? { reason } : {}),
      ...(opts.force === true ? { force: true } : {}),
      ...remoteParams(opts),
      ...withCredentials(),
    });
    const head = `${r.stage.model}: ${r.stage.stage} is now ${versionName(r.stage)}${r.previous === null ? '' : ` (was ${r.previous})`}${r.forced ? ', FORCED past failing gates' : ''}`;
    print([head, ...r.gates.map(gateLine)].join('\n'), r);
    return CLI_EXIT.ok;
  },
};

interface DemoteOptions extends RemoteOption {
  message?: string;
}

export const demote: CommandDef<DemoteOptions> = {
  name: 'demote',
  summary: 'empty a stage of a model on the remote (audited)',
  arguments: [
    { name: '<model>', description: 'the model file path' },
    { name: '<stage>', description: 'the stage to empty' },
  ],
  options: [{ flags: '-m, --message <reason>', description: 'why (kept in the audit record)' }, REMOTE_OPTION],
  json: true,
  project: true,
  async run({ args, opts, project, client, print }) {
    const p = project();
    const r = await (
      await client()
    ).call('release/demote', {
      root: p.root,
      model: p.path(operand(args, 0, 'a <model>')),
      stage: operand(args, 1, 'a <stage>'),
      ...(opts.message !== undefined ? { reason: opts.message } : {}),
      ...remoteParams(opts),
      ...withCredentials(),
    });
    print(`${r.model}: ${r.stage} holds no version now`, r);
    return CLI_EXIT.ok;
  },
};

interface StagesOptions extends RemoteOption {
  history?: boolean;
  stage?: string;
}

export const stages: CommandDef<StagesOptions> = {
  name: 'stages',
  summary: 'the stages on the remote: each with its version, who moved it, when and why (--history: every move)',
  arguments: [{ name: '[model]', description: 'only the stages of this model file' }],
  options: [
    { flags: '--history', description: 'the audit trail: every move with its author, gates and reason' },
    { flags: '--stage <stage>', description: 'with --history: only this stage' },
    REMOTE_OPTION,
  ],
  json: true,
  project: true,
  async run({ args, opts, project, client, print }) {
    const p = project();
    const daemon = await client();
    const model = args[0] === undefined ? {} : { model: p.path(args[0]) };
    const common = { root: p.root, ...model, ...remoteParams(opts), ...withCredentials() };
    if (opts.history === true) {
      const trail = await daemon.call('release/history', {
        ...common,
        ...(opts.stage !== undefined ? { stage: opts.stage } : {}),
      });
      print(trail.length === 0 ? 'no stage has been moved yet' : trail.map(auditLine).join('\n'), trail);
      return CLI_EXIT.ok;
    }
    const list = await daemon.call('release/stages', common);
    print(
      list.length === 0
        ? 'no stages yet; promote a model version with `mlsnap promote <ref> <stage>`'
        : list.map(stageBlock).join('\n'),
      list,
    );
    return CLI_EXIT.ok;
  },
};

export const protect: CommandDef<RemoteOption> = {
  name: 'protect',
  summary: 'limit who may move a stage on the remote (no authors: lift the limit)',
  arguments: [
    { name: '<stage>', description: 'the stage' },
    { name: '[authors...]', description: 'the authors (MLSNAP_AUTHOR or the user name) who may move it' },
  ],
  options: [REMOTE_OPTION],
  json: true,
  project: true,
  async run({ args, opts, project, client, print }) {
    const p = project();
    const stage = operand(args, 0, 'a <stage>');
    const authors = args.slice(1);
    const policy = await (
      await client()
    ).call('release/protect', { root: p.root, stage, authors, ...remoteParams(opts), ...withCredentials() });
    print(
      authors.length === 0 ? `anyone may move ${stage} now` : `only ${authors.join(', ')} may move ${stage}`,
      policy,
    );
    return CLI_EXIT.ok;
  },
};

function versionName(s: StageInfo): string {
  const t = s.pointer.target;
  if (t === null) return 'nothing';
  return s.local === null ? t.versionId : `${s.model}@${s.local.seq} (${t.versionId})`;
}

function gateLine(g: GateResult): string {
  return `  ${g.passed ? 'pass' : 'FAIL'} ${g.gate}: ${g.message}`;
}

function stageBlock(s: StageInfo): string {
  const p = s.pointer;
  const why = p.reason === null ? '' : ` — "${p.reason}"`;
  const lines = [
    `${s.model}  ${s.stage}: ${versionName(s)}`,
    `  moved by ${p.movedBy} on ${p.host}, ${fmt.when(p.movedAt)}${why}`,
  ];
  const t = p.target;
  if (t !== null) {
    lines.push(`  object: ${t.object.url} (sha256 ${t.object.sha256})`);
    if (t.estimate !== null) lines.push(`  ${estimateLine(t.estimate)}`);
  }
  return lines.join('\n');
}

function auditLine(a: AuditRecord): string {
  const move =
    a.action === 'demote' ? `demoted ${a.from ?? 'nothing'}` : `${a.from ?? 'nothing'} → ${a.to ?? 'nothing'}`;
  const failed = a.gates.filter((g) => !g.passed).map((g) => g.gate);
  const forced = a.forced ? ` FORCED past ${failed.join(', ')}` : '';
  const why = a.reason === null ? '' : ` — "${a.reason}"`;
  return `${fmt.when(a.at)}  ${a.model} ${a.stage}: ${move} by ${a.author} on ${a.host}${forced}${why}`;
}
