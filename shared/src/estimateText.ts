/**
 * A resource estimate for people (one line for `mlsnap show` and the editor, a few for detail)
 * and its memory figures as Kubernetes quantities. Pure: the CLI, the daemon's bundle writer
 * and the extension all use it, so the figures read the same everywhere.
 */
import { formatBytes } from './bytes';
import type { ResourceEstimate } from './release';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** `842`, `2.4K`, `1.2M`, `7.0B`: parameter counts as model cards write them. */
export function formatCount(n: number): string {
  const units: [number, string][] = [
    [1e3, 'K'],
    [1e6, 'M'],
    [1e9, 'B'],
    [1e12, 'T'],
  ];
  let shown = String(n);
  for (const [size, suffix] of units) {
    // 999,960 is 1.0M, not 1000.0K: a larger unit wins as soon as the rounded figure reaches it.
    if (n >= 1000 && Math.round(n / (size / 10)) >= 10) shown = `${(n / size).toFixed(1)}${suffix}`;
  }
  return shown;
}

/** An estimate is a rough figure: `~262 MiB`, not `~261.6 MiB`, once the number has three digits. */
function approxBytes(n: number): string {
  const text = formatBytes(n);
  const m = /^(\d+(?:\.\d)?) (\S+)$/.exec(text);
  if (!m || Number(m[1]) < 100) return text;
  return `${Math.round(Number(m[1]))} ${m[2]}`;
}

/** `float32 4.6 MiB, int64 80 B`: the largest first, at most `max` of them. */
function dtypeBreakdown(e: ResourceEstimate, max: number): string {
  const entries = Object.entries(e.bytesByDtype).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const shown = entries.slice(0, max).map(([dtype, bytes]) => `${dtype} ${formatBytes(bytes)}`);
  if (entries.length > max) shown.push(`+${entries.length - max} more`);
  return shown.join(', ');
}

/**
 * `1.2M parameters · 4.6 MiB weights (float32 4.6 MiB) · serve with ~262 MiB RAM, ~518 MiB GPU`,
 * with `· partial estimate` when the file could not be fully counted.
 */
export function estimateLine(e: ResourceEstimate): string {
  const breakdown = dtypeBreakdown(e, 3);
  const parts = [
    `${formatCount(e.parameters)} parameters`,
    `${formatBytes(e.weightBytes)} weights${breakdown ? ` (${breakdown})` : ''}`,
    `serve with ~${approxBytes(e.servingBytes)} RAM, ~${approxBytes(e.gpuBytes)} GPU`,
  ];
  if (e.partial !== undefined) parts.push('partial estimate');
  return parts.join(' · ');
}

/** The detail: exact counts, every dtype, the Kubernetes request, how it was reached, what is missing. */
export function estimateLines(e: ResourceEstimate): string[] {
  const breakdown = dtypeBreakdown(e, Number.POSITIVE_INFINITY);
  const lines = [
    `Parameters: ${e.parameters.toLocaleString('en-US')} (${formatCount(e.parameters)}), ${e.format} file`,
    `Weights: ${formatBytes(e.weightBytes)}${breakdown ? ` (${breakdown})` : ''}`,
    `Serving memory: ~${approxBytes(e.servingBytes)} RAM (Kubernetes request ${kubernetesQuantity(e.servingBytes)})`,
    `GPU memory: ~${approxBytes(e.gpuBytes)} (${kubernetesQuantity(e.gpuBytes)}), when served on a GPU`,
    `Basis: ${e.basis}`,
  ];
  if (e.partial !== undefined) lines.push(`Partial: ${e.partial}`);
  return lines;
}

/**
 * Bytes as a Kubernetes memory quantity, rounded up so a request never asks for less than the
 * estimate: `Mi` below 10 GiB (`268435456` → `256Mi`, 1.5 GiB → `1536Mi`), `Gi` from there on.
 */
export function kubernetesQuantity(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`not a byte count: ${bytes}`);
  if (bytes >= 10 * GiB) return `${Math.ceil(bytes / GiB)}Gi`;
  return `${Math.ceil(bytes / MiB)}Mi`;
}
