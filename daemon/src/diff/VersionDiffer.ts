import type { VersionInfo } from '../../../shared/src/domain';
import type { EnvironmentDiff, FileDiff, VersionDiff } from '../../../shared/src/diff';
import { MlsnapError } from '../../../shared/src/errors';
import { fileKindSpec } from '../../../shared/src/fileKinds';
import { VERIFY_FIRST_BYTES, type ContentStore, type ReadExpectation } from '../store/blobs/ContentStore';
import type { SnapshotStore } from '../store/SnapshotStore';
import { diffEnvironments, environmentSummaryLine } from './environment/EnvironmentDiff';
import { diffMetrics, metricsSummaryLine } from './metrics/MetricsDiff';
import { diffModels, modelSummaryLine } from './models/ModelDiff';
import { diffNotebooks, notebookSummaryLine } from './notebook/NotebookDiff';

export interface DiffOptions {
  showMetadata?: boolean;
  showExecutionCounts?: boolean;
  /** safetensors / .pt: compare tensor bytes too (reads the whole files). */
  compareBytes?: boolean;
}

/** Notebooks and metrics files are read whole to diff; past this they are refused. */
const MAX_TEXT_DIFF_BYTES = 256 * 1024 * 1024;

/**
 * Typed diff of two versions: notebooks cell by cell, models by parsing their formats
 * (never loading them), metrics per key, anything else by size and hash — plus the diff of
 * the environments they were produced in.
 */
export async function diffVersions(
  store: SnapshotStore,
  blobs: ContentStore,
  a: VersionInfo,
  b: VersionInfo,
  opts: DiffOptions = {},
): Promise<VersionDiff> {
  const file = await diffFile(blobs, a, b, opts);
  const envA = a.environmentId === null ? null : store.environment(a.environmentId);
  const envB = b.environmentId === null ? null : store.environment(b.environmentId);
  const gitA = store.snapshot(a.snapshotId).git;
  const gitB = store.snapshot(b.snapshotId).git;
  const environment = diffEnvironments(envA, envB, gitA, gitB);
  const envChanged = hasChanges(environment);
  const envLine = envChanged ? environmentSummaryLine(environment) : '';
  // Same bytes: one wording for every type (the typed summaries word "nothing" each their way).
  const fileLine = a.blob === b.blob ? 'no change' : summaryOf(file);
  return {
    path: a.path === b.path ? a.path : `${a.path} → ${b.path}`,
    before: { ref: `${a.path}@${a.seq}`, seq: a.seq },
    after: { ref: `${b.path}@${b.seq}`, seq: b.seq },
    summary: envChanged ? `${fileLine}; environment: ${envLine}` : fileLine,
    file,
    environment,
    identical: a.blob === b.blob && !envChanged,
  };
}

async function diffFile(blobs: ContentStore, a: VersionInfo, b: VersionInfo, opts: DiffOptions): Promise<FileDiff> {
  switch (fileKindSpec(b.path).diff) {
    case 'notebook': {
      const [x, y] = await Promise.all([readCapped(blobs, a), readCapped(blobs, b)]);
      return diffNotebooks(x, y, { ...pick(opts), file: b.path });
    }
    case 'metrics': {
      const [x, y] = await Promise.all([readCapped(blobs, a), readCapped(blobs, b)]);
      return diffMetrics(x, y, b.path);
    }
    case 'model':
      return diffModelBlobs(blobs, a, b, opts);
    case 'binary':
      return binary(a, b);
  }
}

/** Model parsers read by position: they get local files with each version's bytes. */
async function diffModelBlobs(
  blobs: ContentStore,
  a: VersionInfo,
  b: VersionInfo,
  opts: DiffOptions,
): Promise<FileDiff> {
  // Byte comparisons read every byte, and small models are cheap to hash: check those first.
  // A header-only diff of a big raw model reads a few KiB of it in place, so only its length
  // is checked (hashing GiBs to show shapes would make diffs slow; `mlsnap check` finds it).
  const whole = (v: VersionInfo): boolean => opts.compareBytes === true || v.size <= VERIFY_FIRST_BYTES;
  const [x, y] = await materializeBoth(blobs, [a, b], whole);
  try {
    // The blob files have no extension: pass the versions' names for format detection.
    const d = await diffModels(x.path, y.path, {
      compareBytes: opts.compareBytes === true,
      names: [a.path, b.path],
      identical: a.blob === b.blob,
    });
    if (d.format === 'unknown') return binary(a, b);
    return d;
  } catch (e) {
    // Parser errors name the blob file; name the version instead.
    if (e instanceof MlsnapError)
      throw new MlsnapError(
        e.kind,
        e.message.split(x.path).join(`${a.path}@${a.seq}`).split(y.path).join(`${b.path}@${b.seq}`),
        b.path,
      );
    throw e;
  } finally {
    await Promise.all([x.release(), y.release()]);
  }
}

type Materialized = Awaited<ReturnType<ContentStore['materialize']>>;

/** Both versions as files; when one fails (a corrupt blob), the other's temp copy is released, not left behind. */
async function materializeBoth(
  blobs: ContentStore,
  [a, b]: [VersionInfo, VersionInfo],
  whole: (v: VersionInfo) => boolean,
): Promise<[Materialized, Materialized]> {
  const [x, y] = await Promise.allSettled([
    blobs.materialize(a.blob, expectOf(a, whole(a))),
    blobs.materialize(b.blob, expectOf(b, whole(b))),
  ]);
  if (x.status === 'fulfilled' && y.status === 'fulfilled') return [x.value, y.value];
  await Promise.all([x, y].map((r) => (r.status === 'fulfilled' ? r.value.release() : undefined)));
  throw (x.status === 'rejected' ? x.reason : (y as PromiseRejectedResult).reason) as unknown;
}

function hasChanges(e: EnvironmentDiff | null): boolean {
  if (e === null) return false;
  return (
    e.packages.length > 0 ||
    e.python !== null ||
    e.interpreter !== null ||
    e.gpu !== null ||
    Object.keys(e.machine).length > 0 ||
    !!e.git?.commit ||
    !!e.git?.dirty
  );
}

function binary(a: VersionInfo, b: VersionInfo): FileDiff {
  return { type: 'binary', before: { size: a.size, hash: a.blob }, after: { size: b.size, hash: b.blob } };
}

function summaryOf(d: FileDiff): string {
  switch (d.type) {
    case 'notebook':
      return notebookSummaryLine(d);
    case 'metrics':
      return metricsSummaryLine(d);
    case 'model':
      return modelSummaryLine(d);
    case 'binary':
      return d.before.hash === d.after.hash
        ? 'no change'
        : `binary: ${d.before.size.toLocaleString('en-US')} → ${d.after.size.toLocaleString('en-US')} bytes, content differs`;
  }
}

async function readCapped(blobs: ContentStore, v: VersionInfo): Promise<Buffer> {
  if (v.size > MAX_TEXT_DIFF_BYTES) {
    throw new MlsnapError(
      'invalid-file',
      `${v.path}@${v.seq} is ${v.size} bytes, over the ${MAX_TEXT_DIFF_BYTES}-byte limit for diffing`,
      v.path,
    );
  }
  return blobs.readBuffer(v.blob, expectOf(v, true));
}

function pick(o: DiffOptions): { showMetadata?: boolean; showExecutionCounts?: boolean } {
  return {
    ...(o.showMetadata === undefined ? {} : { showMetadata: o.showMetadata }),
    ...(o.showExecutionCounts === undefined ? {} : { showExecutionCounts: o.showExecutionCounts }),
  };
}

/** What reading a version's blob must find. */
function expectOf(v: VersionInfo, wholeRead: boolean): ReadExpectation {
  return { size: v.size, label: `${v.path}@${v.seq}`, wholeRead };
}
