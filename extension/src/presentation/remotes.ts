import { formatBytes } from '../../../shared/src/bytes';
import {
  METHODS,
  type PullResult,
  type PushResult,
  type RemoteInfo,
  type SecretFinding,
  type TransferProgress,
} from '../../../shared/src/protocol';

/** Text shown for team remotes: progress, secret-gate findings, results. Pure: unit tested without vscode. */

const PHASE_WORDS: Record<TransferProgress['phase'], string> = {
  scan: 'Scanning',
  upload: 'Uploading',
  download: 'Downloading',
  history: 'Writing history',
  checkout: 'Writing files',
  check: 'Checking',
  python: 'Finding Python',
  venv: 'Creating the venv',
  install: 'Installing',
  verify: 'Comparing with the record',
};

/** Reproduce counts packages, transfers count objects. */
const PACKAGE_PHASES: ReadonlySet<TransferProgress['phase']> = new Set(['python', 'venv', 'install', 'verify']);

/** "Uploading 12/40 objects · 3.1 MiB of 10.0 MiB · 1.2 MiB/s · 5 s left" */
export function progressMessage(p: TransferProgress): string {
  const unit = PACKAGE_PHASES.has(p.phase) ? 'package' : 'object';
  const parts = [
    `${PHASE_WORDS[p.phase]} ${p.objectsDone}/${p.objectsTotal} ${unit}${p.objectsTotal === 1 ? '' : 's'}`,
  ];
  if (p.message !== undefined && p.message !== '') parts.push(p.message);
  if (p.bytesTotal > 0) parts.push(`${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}`);
  if (p.bytesPerSecond > 0) parts.push(`${formatBytes(Math.round(p.bytesPerSecond))}/s`);
  if (p.secondsLeft > 0) parts.push(`${duration(p.secondsLeft)} left`);
  return parts.join(' · ');
}

/** How far a phase is, 0..1: by bytes when it moves bytes, else by objects. */
export function progressFraction(p: TransferProgress): number {
  const [done, total] = p.bytesTotal > 0 ? [p.bytesDone, p.bytesTotal] : [p.objectsDone, p.objectsTotal];
  if (total <= 0) return 0;
  return Math.min(1, Math.max(0, done / total));
}

/**
 * Turns the daemon's progress into what a VS Code progress notification takes: a message and
 * an increment (percent, summed by VS Code, so it never goes back). The bar follows the phases
 * that move bytes (upload, download, check); scanning and writing history only change the text.
 */
export class ProgressTracker {
  private shown = 0;

  next(p: TransferProgress): { message: string; increment?: number } {
    const message = progressMessage(p);
    if (p.phase !== 'upload' && p.phase !== 'download' && p.phase !== 'check') return { message };
    const target = Math.floor(progressFraction(p) * 100);
    if (target <= this.shown) return { message };
    const increment = target - this.shown;
    this.shown = target;
    return { message, increment };
  }
}

function duration(s: number): string {
  const secs = Math.round(s);
  if (secs < 60) return `${secs} s`;
  if (secs < 3600) return `${Math.floor(secs / 60)} min ${secs % 60} s`;
  return `${Math.floor(secs / 3600)} h ${Math.floor((secs % 3600) / 60)} min`;
}

/** Where a finding is: "train.ipynb, cell 3 output, line 2" or "config.py, line 7". */
export function findingLocation(f: SecretFinding): string {
  const inCell = f.cell !== undefined ? `cell ${f.cell}${f.where === 'source' ? '' : ` ${f.where}`}, ` : '';
  const inMetadata = f.cell === undefined && f.where === 'metadata' ? 'metadata, ' : '';
  return `${f.path}, ${inCell}${inMetadata}line ${f.line}`;
}

/** One line per finding, for the message's detail and the log: location, rule, redacted excerpt. */
export function findingLine(f: SecretFinding): string {
  return `${findingLocation(f)}: ${f.rule} (${f.excerpt})`;
}

/** Findings with the same id are one secret seen twice (a source line and its printed output). */
export function distinctFindings(findings: readonly SecretFinding[]): SecretFinding[] {
  const byId = new Map<string, SecretFinding>();
  for (const f of findings) if (!byId.has(f.id)) byId.set(f.id, f);
  return [...byId.values()];
}

/** Stripping outputs helps only when some finding is in a notebook output. */
export function strippingHelps(findings: readonly SecretFinding[]): boolean {
  return findings.some((f) => f.where === 'output');
}

/** The sentence of a refused push; the findings themselves go in the detail under it. */
export function refusalSentence(r: PushResult): string {
  const n = distinctFindings(r.findings).length;
  return `Nothing was pushed to ${r.remote}: the secret gate found ${n} possible secret${n === 1 ? '' : 's'}.`;
}

/** The detail under a refusal: each finding on its own line, at most `max` of them. */
export function refusalDetail(findings: readonly SecretFinding[], max = 10): string {
  const distinct = distinctFindings(findings);
  const lines = distinct.slice(0, max).map(findingLine);
  if (distinct.length > max) lines.push(`… and ${distinct.length - max} more (see the mlsnap log)`);
  return lines.join('\n');
}

/** A quick pick row for "Allow…": what the user accepts by picking it. */
export function findingPickItem(f: SecretFinding): { label: string; description: string; detail: string; id: string } {
  return {
    label: findingLocation(f),
    description: f.rule,
    detail: `${f.excerpt} · ${f.message}`,
    id: f.id,
  };
}

export function pushSummary(r: PushResult): string {
  if (r.versions === 0) return `${r.remote} is up to date`;
  return `pushed ${plural(r.versions, 'version')} to ${r.remote} (${plural(r.objects, 'object')}, ${formatBytes(r.bytes)}, ${formatBytes(r.bytesSent)} sent) in ${r.seconds.toFixed(1)} s`;
}

export function pullSummary(r: PullResult): string {
  const blobs = r.blobsFetched > 0 ? `; fetched ${plural(r.blobsFetched, 'blob')} (${formatBytes(r.bytes)})` : '';
  return r.versions === 0
    ? `nothing new on ${r.remote}${blobs}`
    : `pulled ${plural(r.versions, 'version')} from ${r.remote}${blobs}`;
}

/** A project's remotes as the status bar counts them: the default remote's unpushed versions. */
export interface ProjectRemotes {
  root: string;
  remotes: readonly RemoteInfo[];
}

/** The status bar item: null when no project has a remote. */
export function unpushedStatus(projects: readonly ProjectRemotes[]): { text: string; tooltip: string } | null {
  const lines: string[] = [];
  let total = 0;
  for (const p of projects) {
    const target = p.remotes.find((r) => r.isDefault) ?? p.remotes[0];
    if (!target) continue;
    total += target.unpushed;
    lines.push(
      `${baseName(p.root)} → ${target.name}: ${target.unpushed === 0 ? 'up to date' : `${plural(target.unpushed, 'version')} not pushed`}`,
    );
  }
  if (lines.length === 0) return null;
  return {
    text: total === 0 ? '$(cloud) pushed' : `$(cloud-upload) ${total} not pushed`,
    tooltip: `${lines.join('\n')}\n${total === 0 ? 'Click to push new versions.' : 'Click to push them.'}`,
  };
}

/** A row of the remote picker: "origin" · url · "3 versions not pushed". */
export function remotePickItem(
  r: RemoteInfo,
  projectName?: string,
): { label: string; description: string; detail: string } {
  return {
    label: projectName ? `${projectName} → ${r.name}` : r.name,
    description: `${r.url}${r.isDefault ? ' (default)' : ''}`,
    detail: r.unpushed === 0 ? 'up to date' : `${plural(r.unpushed, 'version')} not pushed`,
  };
}

/** A name for a new remote: origin first, then team, team-2, … */
export function suggestRemoteName(existing: readonly string[]): string {
  if (!existing.includes('origin')) return 'origin';
  if (!existing.includes('team')) return 'team';
  for (let i = 2; ; i++) if (!existing.includes(`team-${i}`)) return `team-${i}`;
}

/** Why a new remote's name will not do (the protocol's own check, then the names in use), or null. */
export function remoteNameProblem(name: string, existing: readonly string[]): string | null {
  if (existing.includes(name)) return `this project already has a remote named ${name}`;
  try {
    METHODS['remote/add'].params({ root: '/', name, url: '-' }, 'params');
    return null;
  } catch (e) {
    return e instanceof Error ? e.message.replace(/^"[^"]+":\s*/, '') : String(e);
  }
}

/**
 * A light look at a URL typed for a kind, so a typo is caught in the input box; the daemon
 * checks the rest (names, reachability, permissions) when the remote is added.
 */
export function remoteUrlProblem(kind: 's3' | 'azure', url: string): string | null {
  const u = url.trim();
  if (kind === 's3')
    return /^s3:\/\/[^/\s]+(\/\S*)?$/.test(u) ? null : 'an S3 remote is s3://bucket or s3://bucket/prefix';
  return /^azure:\/\/[^/\s]+\/[^/\s]+(\/\S*)?$/.test(u)
    ? null
    : 'an Azure remote is azure://account/container or azure://account/container/prefix';
}

export function endpointProblem(endpoint: string): string | null {
  try {
    const u = new URL(endpoint.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? null : 'the endpoint is an http:// or https:// URL';
  } catch {
    return 'the endpoint is a URL such as https://minio.example.com:9000';
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function baseName(p: string): string {
  const parts = p.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? p;
}
