import type { SecretFinding } from '../../../../shared/src/protocol';
import type { ContentStore } from '../../store/blobs/ContentStore';
import type { VersionRecord } from '../../store/VersionRecord';
import { scanContent, scanModelFile, stripOutputs } from '../../gate/SecretGate';

/** What goes up for one version: its own blob, or a stripped copy when outputs held a finding. */
export interface GatedVersion {
  record: VersionRecord;
  /** Set when a copy with outputs stripped goes up instead of the version's own bytes. */
  stripped: { hash: string; bytes: Buffer } | null;
  /** Findings the user accepted (`--allow`), recorded with the pushed version. */
  allowed: string[];
}

export interface GateOutcome {
  versions: GatedVersion[];
  /** Findings not accepted: when any, nothing is pushed. */
  blocking: SecretFinding[];
}

/** Text kinds are scanned whole in memory; bigger files of these kinds are scanned as far as this. */
const MAX_SCANNED = 256 * 1024 * 1024;

/**
 * Run the secret gate over every version about to leave the machine: notebooks decoded (cell
 * sources, text outputs, metadata), text and metrics files as text, model files for pickles
 * that would run code on load. Bytes are read verified. `stripOutputs` pushes every notebook as a
 * copy without outputs (a finding in an output goes with them); `allow` accepts findings by id.
 */
export async function gateVersions(
  records: readonly VersionRecord[],
  blobs: ContentStore,
  opts: { stripOutputs: boolean; allow: ReadonlySet<string>; hash: (b: Buffer) => string },
): Promise<GateOutcome> {
  const out: GateOutcome = { versions: [], blocking: [] };
  // The same bytes under two versions are scanned once.
  const seen = new Map<string, Awaited<ReturnType<typeof scanOne>>>();
  for (const r of records) {
    const label = `${r.path} (${r.uid})`;
    let scan = seen.get(`${r.path}\0${r.blob.hash}`);
    if (scan === undefined) {
      scan = await scanOne(r, blobs, opts);
      seen.set(`${r.path}\0${r.blob.hash}`, scan);
    }
    const findings = scan.findings.map((f) => ({ ...f, version: label }));
    const blocking = findings.filter((f) => !opts.allow.has(f.id));
    out.blocking.push(...blocking);
    out.versions.push({
      record: r,
      stripped: scan.stripped,
      allowed: findings.filter((f) => opts.allow.has(f.id)).map((f) => f.id),
    });
  }
  return out;
}

async function scanOne(
  r: VersionRecord,
  blobs: ContentStore,
  opts: { stripOutputs: boolean; hash: (b: Buffer) => string },
): Promise<{ findings: Omit<SecretFinding, 'version'>[]; stripped: { hash: string; bytes: Buffer } | null }> {
  const expect = { size: r.blob.size, label: `${r.path} (${r.uid})`, wholeRead: true };
  if (r.kind === 'model') {
    const file = await blobs.materialize(r.blob.hash, expect);
    try {
      return { findings: await scanModelFile(r.path, file.path), stripped: null };
    } finally {
      await file.release();
    }
  }
  if (r.blob.size > MAX_SCANNED) return { findings: [], stripped: null };
  const bytes = await blobs.readBuffer(r.blob.hash, expect);
  const findings = scanContent(r.path, r.kind, bytes);
  if (r.kind !== 'notebook' || !opts.stripOutputs) return { findings, stripped: null };
  let copy: Buffer;
  try {
    copy = stripOutputs(bytes);
  } catch {
    // Not a notebook that parses: it goes up as it is, so its findings stand.
    return { findings, stripped: null };
  }
  return { findings: scanContent(r.path, r.kind, copy), stripped: { hash: opts.hash(copy), bytes: copy } };
}
