import type { EnvironmentInfo, GitState, VersionInfo } from '../../../shared/src/domain';
import { age as sharedAge } from '../../../shared/src/age';
import { formatBytes } from '../../../shared/src/bytes';
import { normalizeName } from '../../../shared/src/environmentFormat';
import { foundByWords, interpreterLine } from './environment';

/** Text shown in the editor for versions and environments. Pure: unit tested without vscode. */

/** Compact age for tree rows and the status bar: "2m ago". */
export function age(ms: number, now = Date.now()): string {
  return sharedAge(ms, now, 'compact');
}

/** Byte sizes, one formatter everywhere. */
export const size = formatBytes;

export interface PackageChange {
  name: string;
  from: string | null;
  to: string | null;
}

/** Packages added, removed or changed between two environments, sorted by name. */
export function packageChanges(prev: EnvironmentInfo | null, cur: EnvironmentInfo | null): PackageChange[] {
  if (!prev || !cur) return [];
  const a = new Map(prev.packages.map((p) => [normalizeName(p.name), p]));
  const b = new Map(cur.packages.map((p) => [normalizeName(p.name), p]));
  const out: PackageChange[] = [];
  for (const [k, p] of b) {
    const old = a.get(k);
    if (!old) out.push({ name: p.name, from: null, to: p.version });
    else if (old.version !== p.version) out.push({ name: p.name, from: old.version, to: p.version });
  }
  for (const [k, p] of a) if (!b.has(k)) out.push({ name: p.name, from: p.version, to: null });
  return out.sort((x, y) => x.name.localeCompare(y.name));
}

export function changeText(c: PackageChange): string {
  if (c.from === null) return `+${c.name} ${c.to}`;
  if (c.to === null) return `-${c.name}`;
  return `${c.name} ${c.from}→${c.to}`;
}

/** One line: "py 3.11.2 /usr/bin/python3 · torch 1.13→2.0" (key package changes, at most 2). */
export function environmentSummary(env: EnvironmentInfo | null, prev: EnvironmentInfo | null): string {
  if (!env) return 'no environment';
  const i = env.interpreter;
  const head = i ? `py ${i.version || '?'} ${i.executable}` : 'no interpreter';
  const changes = packageChanges(prev, env);
  const tail =
    changes.length === 0
      ? ''
      : ` · ${changes.slice(0, 2).map(changeText).join(', ')}${changes.length > 2 ? ` +${changes.length - 2} more` : ''}`;
  return `${head}${tail}${env.complete ? '' : ' · incomplete'}`;
}

export function versionLabel(v: VersionInfo, now = Date.now()): string {
  return `@${v.seq} · ${age(v.createdAt, now)}`;
}

/** Who records versions here: versions by anyone else, or from another machine, say so. */
export interface Identity {
  author: string;
  host: string;
}

/**
 * "by alice" for a teammate's version, "from gpu-box" for one of this user's recorded on
 * another machine; null for a version recorded here (or before versions had authors).
 */
export function recordedBy(v: VersionInfo, here: Identity | undefined): string | null {
  if (v.author === undefined) return null;
  if (here === undefined || v.author !== here.author) return `by ${v.author}`;
  return v.host !== undefined && v.host !== here.host ? `from ${v.host}` : null;
}

/**
 * "save · 4.6 KiB · 1 cell modified · py 3.11.2 /usr/bin/python3 [best] · on origin"; a
 * teammate's version (pulled from a remote) starts with its author: "by alice · …".
 */
export function versionDescription(v: VersionInfo, envSummary: string, diffSummary?: string, here?: Identity): string {
  const by = recordedBy(v, here);
  const author = by ? `${by} · ` : '';
  const tags = v.tags.length > 0 ? ` [${v.tags.join(', ')}]` : '';
  const diff = diffSummary ? ` · ${diffSummary}` : '';
  return `${author}${v.trigger} · ${size(v.size)}${diff} · ${envSummary}${tags}${onRemotes(v)}`;
}

/** " · on origin, backup", or nothing for a version no remote holds. */
export function onRemotes(v: VersionInfo): string {
  return v.remotes.length > 0 ? ` · on ${v.remotes.join(', ')}` : '';
}

/** The icon of a version row: tagged, a teammate's, on a remote, or only here. */
export function versionIcon(v: VersionInfo, here?: Identity): 'tag' | 'account' | 'cloud' | 'git-commit' {
  if (v.tags.length > 0) return 'tag';
  if (recordedBy(v, here) !== null) return 'account';
  return v.remotes.length > 0 ? 'cloud' : 'git-commit';
}

/** Markdown for a version's hover and for the summary document of a binary model file. */
export function versionMarkdown(v: VersionInfo, env: EnvironmentInfo | null, git: GitState | null): string {
  const lines = [
    `### ${v.path} @${v.seq}`,
    '',
    `| | |`,
    `|---|---|`,
    `| recorded | ${new Date(v.createdAt).toISOString()} (${v.trigger}) |`,
    `| size | ${v.size.toLocaleString('en-US')} bytes |`,
    `| blake3 | \`${v.blob}\` |`,
    `| snapshot | \`${v.snapshotId}\` |`,
  ];
  if (v.author) lines.push(`| author | ${v.author}${v.host ? ` on ${v.host}` : ''} |`);
  lines.push(`| on remotes | ${v.remotes.length > 0 ? v.remotes.join(', ') : 'none (not pushed)'} |`);
  if (v.message) lines.push(`| message | ${v.message} |`);
  if (v.tags.length > 0) lines.push(`| tags | ${v.tags.join(', ')} |`);
  if (v.lineage) lines.push(`| written by | ${v.lineage.sourcePath} |`);
  if (v.renamedFrom) lines.push(`| renamed from | ${v.renamedFrom} (the same bytes) |`);
  if (git)
    lines.push(
      `| git | ${git.commit?.slice(0, 12) ?? '(no commit)'} on ${git.branch ?? '(detached)'}${git.dirty ? ', dirty' : ''} |`,
    );
  if (env) {
    const i = env.interpreter;
    lines.push(
      `| interpreter | ${i ? `${i.executable} (Python ${i.version}, found by ${foundByWords(i.foundBy)})` : 'not found'} |`,
    );
    lines.push(`| packages | ${env.packages.length} |`);
    lines.push(`| machine | ${env.machine.os}, ${env.machine.arch}, ${env.machine.cpus} CPUs |`);
    lines.push(
      `| GPU | ${env.gpus.length > 0 ? env.gpus.map((g) => `${g.name} (driver ${g.driver})`).join('; ') : (env.gpuNote ?? 'none')} |`,
    );
  }
  return lines.join('\n') + '\n';
}

/** A node of the Environment view: a group with children, or a leaf. */
export interface EnvRow {
  label: string;
  description?: string;
  /** The hover, when it says more than the label and description. */
  tooltip?: string;
  children?: EnvRow[];
}

/** The Environment view's rows, filtered by a case-insensitive substring when given. */
export function environmentRows(env: EnvironmentInfo, git: GitState | null, filter = ''): EnvRow[] {
  const f = filter.toLowerCase();
  const keep = (r: EnvRow): boolean => f === '' || `${r.label} ${r.description ?? ''}`.toLowerCase().includes(f);
  const i = env.interpreter;
  const groups: EnvRow[] = [
    {
      label: 'Interpreter',
      // How it was found is on the row itself: a wrong guess must be seen at a glance.
      description: i ? interpreterLine(i) : 'not found',
      ...(i && i.detail !== '' ? { tooltip: i.detail } : {}),
      children: i
        ? [
            { label: 'version', description: i.version },
            { label: 'found by', description: foundByWords(i.foundBy) },
            { label: 'why', description: i.detail },
            { label: 'prefix', description: i.prefix },
          ]
        : [],
    },
    {
      label: 'Packages',
      description: String(env.packages.length),
      children: [...env.packages]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((p) => ({ label: p.name, description: p.version })),
    },
    {
      label: 'Machine',
      description: env.machine.os,
      children: [
        { label: 'kernel', description: env.machine.kernel },
        { label: 'arch', description: env.machine.arch },
        { label: 'cpu', description: `${env.machine.cpu} ×${env.machine.cpus}` },
        { label: 'memory', description: size(env.machine.memoryBytes) },
      ],
    },
    {
      label: 'GPU',
      description: env.gpus.length > 0 ? String(env.gpus.length) : (env.gpuNote ?? 'none'),
      children: env.gpus.map((g) => ({
        label: g.name,
        description: `driver ${g.driver}${g.cuda ? `, CUDA ${g.cuda}` : ''}`,
      })),
    },
    {
      label: 'Git',
      description: git
        ? `${git.commit?.slice(0, 12) ?? '(no commit)'}${git.dirty ? ' dirty' : ''}`
        : 'not a repository',
      children: git
        ? [
            { label: 'branch', description: git.branch ?? '(detached)' },
            { label: 'dirty', description: String(git.dirty) },
          ]
        : [],
    },
  ];
  if (env.conda)
    groups.push({
      label: 'Conda',
      description: env.conda.prefix,
      children: env.conda.packages.map((p) => ({ label: p.name, description: p.version })),
    });
  if (env.lockfiles.length > 0)
    groups.push({
      label: 'Lockfiles',
      description: String(env.lockfiles.length),
      children: env.lockfiles.map((l) => ({ label: l.path, description: l.blob.slice(0, 12) })),
    });
  groups.push({
    label: 'Environment variables',
    description: `${env.envVarNames.length} names`,
    children: env.envVarNames.map((n) => ({ label: n })),
  });
  if (!env.complete) groups.unshift({ label: 'Incomplete', description: env.incompleteReason ?? '' });
  if (f === '') return groups;
  return groups
    .map((g) => ({ ...g, children: (g.children ?? []).filter(keep) }))
    .filter((g) => keep(g) || (g.children ?? []).length > 0);
}
