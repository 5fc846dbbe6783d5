import { MlsnapError } from '../../../shared/src/errors';
import type { EnvironmentInfo, GitState, ProjectInfo, SnapshotInfo, VersionInfo } from '../../../shared/src/domain';
import type { PickleSafety } from '../../../shared/src/diff';
import type { CheckResult, GcResult, ShowResult } from '../../../shared/src/protocol';
import { formatBytes } from '../../../shared/src/bytes';
import { estimateLine } from '../../../shared/src/estimateText';
import { listNames } from '../../../shared/src/listNames';

/** Human-readable output of the CLI. `--json` bypasses all of it. */

/** Byte sizes, one formatter everywhere. */
export const bytes = formatBytes;

export function when(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

/** One line a version; `deleted` marks versions of files gone from the working folder. */
export function versionLine(v: VersionInfo, deleted = false): string {
  const tags = v.tags.length > 0 ? ` [${v.tags.join(', ')}]` : '';
  const msg = `${v.message ? `  "${v.message}"` : ''}${v.runId ? `  run ${v.runId}` : ''}`;
  const state = `${deleted ? '  (deleted)' : ''}${v.renamedFrom ? `  (renamed from ${v.renamedFrom})` : ''}`;
  return `${v.path}@${v.seq}${state}  ${when(v.createdAt)}  ${v.trigger.padEnd(9)} ${bytes(v.size).padStart(10)}  ${v.blob.slice(0, 12)}  snap ${v.snapshotId.slice(0, 8)}${tags}${msg}`;
}

export function snapshotBlock(s: SnapshotInfo): string {
  const head = `snapshot ${s.id}  ${when(s.createdAt)}  ${s.trigger}${s.message ? `  "${s.message}"` : ''}`;
  const more =
    s.versionCount > s.versions.length
      ? [`  … and ${s.versionCount - s.versions.length} more (mlsnap log lists them)`]
      : [];
  return [head, ...s.versions.map((v) => `  ${versionLine(v)}`), ...more].join('\n');
}

export function gitLine(g: GitState | null): string {
  if (!g) return 'git: not a repository';
  const patch = g.patchBlob ? `, patch ${g.patchBlob.slice(0, 12)}${g.patchTruncated ? ' (truncated)' : ''}` : '';
  return `git: ${g.commit?.slice(0, 12) ?? '(no commit)'} on ${g.branch ?? '(detached)'}${g.dirty ? ', dirty' : ', clean'}${patch}`;
}

export function environmentBlock(env: EnvironmentInfo): string {
  const lines: string[] = [];
  const i = env.interpreter;
  lines.push(
    i
      ? `interpreter: ${i.executable} (Python ${i.version}), found by ${i.foundBy}: ${i.detail}`
      : 'interpreter: not found',
  );
  lines.push(`packages: ${env.packages.length}`);
  for (const p of [...env.packages].sort((a, b) => a.name.localeCompare(b.name)))
    lines.push(`  ${p.name}==${p.version}`);
  if (env.conda) lines.push(`conda: ${env.conda.prefix} (${env.conda.packages.length} packages)`);
  const m = env.machine;
  lines.push(`machine: ${m.os}, kernel ${m.kernel}, ${m.arch}, ${m.cpu} x${m.cpus}, ${bytes(m.memoryBytes)} RAM`);
  lines.push(
    env.gpus.length > 0
      ? `gpu: ${env.gpus.map((g) => `${g.name} (driver ${g.driver}${g.cuda ? `, CUDA ${g.cuda}` : ''})`).join('; ')}`
      : `gpu: none (${env.gpuNote ?? 'none found'})`,
  );
  if (env.lockfiles.length > 0) lines.push(`lockfiles: ${env.lockfiles.map((l) => l.path).join(', ')}`);
  lines.push(`environment variables: ${env.envVarNames.length} names recorded (values never)`);
  if (!env.complete) lines.push(`INCOMPLETE: ${env.incompleteReason ?? 'unknown reason'}`);
  return lines.join('\n');
}

export function showBlock(r: ShowResult): string {
  const out: string[] = [];
  if (r.version) {
    out.push(versionLine(r.version));
    if (r.version.lineage) out.push(`written by: ${r.version.lineage.sourcePath} (${r.version.lineage.reason})`);
    if (r.version.renamedFrom) out.push(`renamed from: ${r.version.renamedFrom} (the same bytes)`);
    if (r.version.runId) out.push(`run: ${r.version.runId} (mlsnap runs show ${r.version.runId})`);
  } else {
    out.push(snapshotBlock(r.snapshot));
  }
  if (r.estimate) out.push(`estimate: ${estimateLine(r.estimate)}`);
  if (r.pickle) out.push(pickleSafetyLine(r.pickle));
  out.push(gitLine(r.git));
  if (r.environment) out.push(environmentBlock(r.environment));
  return out.join('\n');
}

/** `pickle: dangerous (push and promote block it): …`: the pickle scanner's verdict for `show`. */
export function pickleSafetyLine(p: PickleSafety): string {
  const rebuilds = p.suspicious.length > 0 ? `rebuilds ${listNames(p.suspicious, 5)}` : '';
  switch (p.verdict) {
    case 'dangerous':
    case 'unknown': {
      const why = p.verdict === 'unknown' ? 'unknown, treat it as unsafe' : 'dangerous';
      return `pickle: ${why} (push and promote block it)${p.detail ? `: ${p.detail}` : ''}`;
    }
    case 'suspicious':
      return `pickle: suspicious${rebuilds ? `: ${rebuilds}` : ''} (classes whose own code runs when loaded)`;
    case 'safe':
      return 'pickle: safe (only data: tensors, arrays, plain containers)';
  }
}

export function projectBlock(p: ProjectInfo): string {
  const note = p.watcher.note ? ` (${p.watcher.note})` : '';
  return [
    `project ${p.root}`,
    `  store: ${p.storeDir}`,
    `  ${p.trackedFiles} tracked files${p.deletedFiles ? ` (${p.deletedFiles} deleted, history kept)` : ''}, ${p.versions} versions, ${p.blobs} blobs, ${bytes(p.storedBytes)} stored`,
    `  watcher: ${p.watcher.backend}${note}`,
    ...(p.configProblem ? [`  config: ${p.configProblem}`] : []),
  ].join('\n');
}

export function gcBlock(r: GcResult): string {
  const [drop, free] = r.dryRun ? ['would drop', 'would free'] : ['dropped', 'freed'];
  return `${drop} ${r.versionsDropped} versions and ${free} ${r.blobsFreed} blobs (${bytes(r.bytesFreed)}); kept ${r.keptTagged} tagged versions`;
}

export function checkBlock(r: CheckResult): string {
  const head = `${r.ok ? 'ok' : 'PROBLEMS FOUND'}: ${r.blobsChecked} blobs rehashed (${bytes(r.bytesChecked)}), SQLite integrity checked`;
  return [head, ...r.problems.map((p) => `  ${p.kind}: ${p.message}`)].join('\n');
}

/** `--limit N`: a positive integer, or a usage error naming what was given. */
export function parseLimit(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1)
    throw new MlsnapError('bad-request', `--limit must be a positive integer, not ${raw}`);
  return limit;
}
