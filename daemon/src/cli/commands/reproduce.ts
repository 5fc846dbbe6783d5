import path from 'node:path';
import type { ReproduceResult } from '../../../../shared/src/reproduce';
import { operand, type CommandDef } from '../command';
import { CLI_EXIT } from '../exitCodes';
import { callWithProgress } from '../transferProgress';

interface ReproduceOptions {
  dir: string;
  findLinks?: string;
  indexUrl?: string;
}

export const reproduce: CommandDef<ReproduceOptions> = {
  name: 'reproduce',
  summary: "rebuild a version's environment in a new venv and compare it with the record (exit 0 only when identical)",
  arguments: [{ name: '<ref>', description: 'the version whose environment to rebuild' }],
  options: [
    { flags: '--dir <dir>', description: 'the folder for the venv (absent or empty)', required: true },
    { flags: '--find-links <dir>', description: 'install from this folder of wheels (offline unless --index-url)' },
    { flags: '--index-url <url>', description: 'the package index to install from (default: pip configuration)' },
  ],
  json: true,
  project: true,
  async run({ args, opts, ctx, project, client, print }) {
    const p = project();
    const r = await callWithProgress(ctx, await client(), 'environment/reproduce', {
      root: p.root,
      ref: p.ref(operand(args, 0, 'a <ref>')),
      dir: path.resolve(ctx.cwd, opts.dir),
      ...(opts.findLinks !== undefined ? { findLinks: path.resolve(ctx.cwd, opts.findLinks) } : {}),
      ...(opts.indexUrl !== undefined ? { indexUrl: opts.indexUrl } : {}),
      pipEnvironment: pipVariables(process.env),
    });
    print(reproduceReport(r), r);
    return r.identical ? CLI_EXIT.ok : CLI_EXIT['not-identical'];
  },
};

/** What pip reads from this shell (its index, proxies): the daemon's own environment is another. */
function pipVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && /^(PIP_[A-Z0-9_]+|(HTTPS?|ALL|NO)_PROXY)$/i.test(k)) out[k] = v;
  }
  return out;
}

/** Names and versions come from a record that may be a teammate's: no control characters reach the terminal. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
}

const STATUS_WORDS = { missing: 'missing  ', different: 'different', extra: 'extra    ' } as const;

export function reproduceReport(r: ReproduceResult): string {
  const exact = r.python.exactVersion ? '' : ` (the record has ${r.recordedPython}; no exact match here)`;
  const lines = [`venv ${r.dir} made with ${r.python.executable}, Python ${r.python.version}, ${r.python.how}${exact}`];
  if (r.identical) {
    lines.push(`identical: all ${r.matching} recorded package(s) installed at their recorded versions, nothing else`);
    return lines.join('\n');
  }
  lines.push(`not identical: ${r.matching} package(s) match, ${r.differences.length} differ`);
  for (const d of r.differences) {
    const versions =
      d.status === 'different'
        ? `recorded ${d.recorded ?? '?'}, installed ${d.installed ?? '?'}`
        : d.status === 'missing'
          ? `recorded ${d.recorded ?? '?'}, not installed`
          : `installed ${d.installed ?? '?'}, not in the record`;
    const reason = d.reason ? `\n              ${printable(d.reason)}` : '';
    lines.push(`  ${STATUS_WORDS[d.status]} ${printable(d.name)}: ${printable(versions)}${reason}`);
  }
  return lines.join('\n');
}
