import type { EnvironmentDiff } from '../../../../shared/src/diff';
import type { EnvironmentInfo, GitState, GpuInfo, MachineInfo } from '../../../../shared/src/domain';
import { normalizeName } from '../../../../shared/src/environmentFormat';
import { compareVersions } from './versions';

/**
 * What changed between the environments (and git states) of two versions.
 *
 * Packages are keyed by their PEP 503 normalised name; the first entry of a name wins (the
 * metadata found first on sys.path is the one Python imports). Conda packages without a pip
 * counterpart are compared too (CUDA toolkits, MKL...), `python` excepted. A package whose
 * version compares equal but whose spelling, PEP 610 direct URL (another commit of an editable
 * or VCS install) or conda build differs is `changed`.
 * An environment missing on one side (not recorded) counts as empty: its packages are all added
 * or removed, and machine fields are not compared.
 */

type PackageChange = EnvironmentDiff['packages'][number];

interface PackageEntry {
  name: string;
  version: string;
  /** Compared for `changed` when versions are equal: direct URL, conda build. */
  extra: string;
}

export function diffEnvironments(
  before: EnvironmentInfo | null,
  after: EnvironmentInfo | null,
  gitBefore: GitState | null,
  gitAfter: GitState | null,
): EnvironmentDiff | null {
  if (before === null && after === null) return null;
  const pyA = before?.interpreter?.version ?? null;
  const pyB = after?.interpreter?.version ?? null;
  const exeA = before?.interpreter?.executable ?? null;
  const exeB = after?.interpreter?.executable ?? null;
  return {
    type: 'environment',
    python: pyA !== pyB ? [pyA, pyB] : null,
    interpreter: exeA !== exeB ? [exeA, exeB] : null,
    packages: diffPackages(packagesOf(before), packagesOf(after)),
    machine: before && after ? diffMachine(before.machine, after.machine) : {},
    gpu: before && after ? diffGpu(before, after) : null,
    git: diffGit(gitBefore, gitAfter),
  };
}

/** "torch 1.13.1→2.0.0, +pandas; python 3.11.2→3.11.7" or "no environment change". */
export function environmentSummaryLine(d: EnvironmentDiff | null): string {
  if (d === null) return 'no environment recorded';
  const parts: string[] = [];
  if (d.packages.length > 0) {
    const shown = d.packages.slice(0, MAX_PACKAGES_IN_SUMMARY).map(packageText);
    if (d.packages.length > MAX_PACKAGES_IN_SUMMARY)
      shown.push(`${d.packages.length - MAX_PACKAGES_IN_SUMMARY} more packages`);
    parts.push(shown.join(', '));
  }
  if (d.python) parts.push(`python ${d.python[0] ?? '?'}→${d.python[1] ?? '?'}`);
  if (d.interpreter) parts.push(`interpreter ${d.interpreter[0] ?? '?'}→${d.interpreter[1] ?? '?'}`);
  if (d.gpu) parts.push(`GPU ${d.gpu[0]}→${d.gpu[1]}`);
  const machine = Object.keys(d.machine);
  if (machine.length > 0) parts.push(`machine changed (${machine.join(', ')})`);
  if (d.git?.commit) parts.push(`git ${shortCommit(d.git.commit[0])}→${shortCommit(d.git.commit[1])}`);
  if (d.git?.dirty) {
    const [a, b] = d.git.dirty;
    parts.push(a && b ? 'uncommitted changes differ' : `git ${a ? 'dirty' : 'clean'}→${b ? 'dirty' : 'clean'}`);
  }
  return parts.length === 0 ? 'no environment change' : parts.join('; ');
}

const MAX_PACKAGES_IN_SUMMARY = 5;
const CHANGE_ORDER: Record<PackageChange['change'], number> = {
  upgraded: 0,
  downgraded: 1,
  changed: 2,
  added: 3,
  removed: 4,
};

function packageText(p: PackageChange): string {
  if (p.change === 'added') return `+${p.name}`;
  if (p.change === 'removed') return `-${p.name}`;
  return `${p.name} ${p.before ?? '?'}→${p.after ?? '?'}`;
}

function shortCommit(c: string | null): string {
  return c === null ? 'none' : c.slice(0, 7);
}

function packagesOf(env: EnvironmentInfo | null): Map<string, PackageEntry> {
  const out = new Map<string, PackageEntry>();
  if (!env) return out;
  for (const p of env.packages) {
    const key = normalizeName(p.name);
    if (out.has(key)) continue;
    out.set(key, {
      name: p.name,
      version: p.version,
      extra: p.directUrl === undefined ? '' : JSON.stringify(p.directUrl),
    });
  }
  for (const c of env.conda?.packages ?? []) {
    const key = normalizeName(c.name);
    if (key === 'python' || out.has(key)) continue;
    out.set(key, { name: c.name, version: c.version, extra: c.build ?? '' });
  }
  return out;
}

function diffPackages(a: Map<string, PackageEntry>, b: Map<string, PackageEntry>): PackageChange[] {
  const changes: PackageChange[] = [];
  for (const [key, pa] of a) {
    const pb = b.get(key);
    if (!pb) {
      changes.push({ name: pa.name, change: 'removed', before: pa.version, after: null });
      continue;
    }
    if (pa.version === pb.version && pa.extra === pb.extra) continue;
    const c = compareVersions(pa.version, pb.version);
    if (c < 0) changes.push({ name: pb.name, change: 'upgraded', before: pa.version, after: pb.version });
    else if (c > 0) changes.push({ name: pb.name, change: 'downgraded', before: pa.version, after: pb.version });
    else {
      const sameVersion = pa.version === pb.version;
      changes.push({
        name: pb.name,
        change: 'changed',
        before: sameVersion && pa.extra !== '' ? `${pa.version} (${shortExtra(pa.extra)})` : pa.version,
        after: sameVersion && pb.extra !== '' ? `${pb.version} (${shortExtra(pb.extra)})` : pb.version,
      });
    }
  }
  for (const [key, pb] of b) {
    if (!a.has(key)) changes.push({ name: pb.name, change: 'added', before: null, after: pb.version });
  }
  return changes.sort(
    (x, y) =>
      CHANGE_ORDER[x.change] - CHANGE_ORDER[y.change] || normalizeName(x.name).localeCompare(normalizeName(y.name)),
  );
}

/** A direct URL's commit or URL, or a conda build string, short enough for one line. */
function shortExtra(extra: string): string {
  if (!extra.startsWith('{')) return extra;
  try {
    const d = JSON.parse(extra) as { url?: unknown; vcs_info?: { commit_id?: unknown } };
    if (typeof d.vcs_info?.commit_id === 'string') return d.vcs_info.commit_id.slice(0, 7);
    if (typeof d.url === 'string') return d.url;
  } catch {
    // fall through
  }
  return extra.slice(0, 40);
}

/** Memory sizes in GiB always, so "15.6 GiB → 31.3 GiB" compares at a glance. */
function memoryGiB(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return 'unknown';
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}

function diffMachine(a: MachineInfo, b: MachineInfo): Record<string, [string, string]> {
  const fields: [string, string, string][] = [
    ['os', a.os, b.os],
    ['release', a.release, b.release],
    ['kernel', a.kernel, b.kernel],
    ['arch', a.arch, b.arch],
    ['cpu', a.cpu, b.cpu],
    ['cpus', String(a.cpus), String(b.cpus)],
    // Total memory jitters by a few MiB between boots on some kernels: compare what is shown.
    ['memory', memoryGiB(a.memoryBytes), memoryGiB(b.memoryBytes)],
  ];
  const out: Record<string, [string, string]> = {};
  for (const [key, x, y] of fields) if (x !== y) out[key] = [x, y];
  return out;
}

function gpuText(env: EnvironmentInfo): string {
  if (env.gpus.length === 0) return env.gpuNote ? `none (${env.gpuNote})` : 'none';
  const groups = new Map<string, number>();
  for (const g of env.gpus) {
    const key = gpuLabel(g);
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const first = env.gpus[0] as GpuInfo;
  const names = [...groups].map(([name, n]) => (n > 1 ? `${n}× ${name}` : name)).join(' + ');
  return `${names} (driver ${first.driver}${first.cuda ? `, CUDA ${first.cuda}` : ''})`;
}

function gpuLabel(g: GpuInfo): string {
  return g.memoryMiB ? `${g.name} ${Math.round(g.memoryMiB / 1024)} GiB` : g.name;
}

function diffGpu(a: EnvironmentInfo, b: EnvironmentInfo): [string, string] | null {
  // A note that only explains an empty list ("nvidia-smi not found" vs a timeout) is no GPU change.
  if (a.gpus.length === 0 && b.gpus.length === 0) return null;
  const x = gpuText(a);
  const y = gpuText(b);
  return x === y ? null : [x, y];
}

function diffGit(a: GitState | null, b: GitState | null): EnvironmentDiff['git'] {
  if (a === null && b === null) return null;
  const commitA = a?.commit ?? null;
  const commitB = b?.commit ?? null;
  const commit: [string | null, string | null] | null = commitA !== commitB ? [commitA, commitB] : null;
  let dirty: [boolean, boolean] | null = null;
  if (a && b) {
    if (a.dirty !== b.dirty) dirty = [a.dirty, b.dirty];
    else if (a.dirty && b.dirty && (a.patchBlob ?? null) !== (b.patchBlob ?? null)) dirty = [true, true];
  }
  return commit || dirty ? { commit, dirty } : null;
}
