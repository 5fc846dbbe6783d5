import { Blake3Hasher } from '@napi-rs/blake-hash';
import { MlsnapError } from '../../../../shared/src/errors';
import type { PushResult, TransferProgress } from '../../../../shared/src/protocol';
import type { BlobEncoding, ContentStore } from '../../store/blobs/ContentStore';
import type { SnapshotStore } from '../../store/SnapshotStore';
import type { BlobRecord } from '../../store/VersionRecord';
import type { ResumableState } from '../backends/RemoteBackend';
import { dataKey, encodeHistory, VERSIONS_PER_HISTORY_OBJECT } from '../format/RemoteFormat';
import { uploadObject, type ResumeLedger, type UploadJob } from '../transfer/ObjectTransfer';
import { runPool } from '../runPool';
import { TransferMeter } from '../transfer/TransferMeter';
import type { RemoteSession } from './RemoteSession';
import { MarkBatch } from './MarkBatch';
import { gateVersions, type GatedVersion } from './SecretCheck';

export interface PushOptions {
  paths?: readonly string[];
  stripOutputs?: boolean;
  allow?: readonly string[];
  progress?: (p: TransferProgress) => void;
  signal?: AbortSignal;
  /** Objects sent at once (default UPLOADS_IN_FLIGHT; git-lfs and the AWS CLI use 8-10). */
  concurrency?: number;
}

/** Objects at least this big are asked about (HEAD) before sending: a teammate may have pushed the same weights. */
const ASK_FIRST_FROM = 1024 * 1024;
/** Objects sent (or asked about) at once; moto and S3 serve small objects faster with more in flight (measured). */
const UPLOADS_IN_FLIGHT = 16;

/**
 * Push every version the remote lacks. Order is what makes it safe without locks: the secret
 * gate first (nothing leaves on a finding), then the blobs, largest first, each create-only,
 * then the history objects that point at them, under this project's own writer prefix. A
 * reader never sees a version whose bytes are missing, and a push killed at any point leaves
 * only objects nobody points at yet, which the next push reuses.
 */
export async function push(
  store: SnapshotStore,
  blobs: ContentStore,
  session: RemoteSession,
  opts: PushOptions = {},
): Promise<PushResult> {
  const started = Date.now();
  const remote = session.name;
  const ids = store.remotes.unpushed(remote, opts.paths);
  const result: PushResult = {
    remote,
    pushed: true,
    findings: [],
    versions: 0,
    objects: 0,
    bytes: 0,
    bytesSent: 0,
    seconds: 0,
  };
  if (ids.length === 0) return { ...result, seconds: (Date.now() - started) / 1000 };

  const records = store.versionRecords(ids);
  assertBytesHere(
    store,
    records.map((r) => r.blob.hash),
  );
  const gate = await gateVersions(records, blobs, {
    stripOutputs: opts.stripOutputs === true,
    allow: new Set(opts.allow ?? []),
    hash: blake3,
  });
  if (gate.blocking.length > 0) {
    return { ...result, pushed: false, findings: gate.blocking, seconds: (Date.now() - started) / 1000 };
  }

  await session.ensureFormat(store.writerId(), store.identity);
  const jobs = await uploadJobs(store, blobs, session, gate.versions);
  const meter = new TransferMeter('upload', opts.progress);
  meter.plan(
    jobs.length,
    jobs.reduce((n, j) => n + j.job.size, 0),
  );
  const ledger = uploadLedger(store, remote);
  const marks = new MarkBatch((hashes) => store.remotes.markBlobs(remote, hashes));
  try {
    await runPool(
      jobs,
      opts.concurrency ?? UPLOADS_IN_FLIGHT,
      async ({ job, hash }) => {
        await session.run((b) => uploadObject(b, job, ledger, meter, opts.signal));
        marks.add(hash);
        meter.objectDone();
      },
      opts.signal,
    );
  } finally {
    // What landed is recorded even when the push fails half-way (the next one skips it).
    marks.flush();
  }
  const idOf = new Map(records.map((r, i) => [r.uid, ids[i] as number]));
  await writeHistory(store, session, gate.versions, idOf, opts.signal);
  const done = meter.finish();
  return {
    ...result,
    versions: gate.versions.length,
    objects: jobs.length,
    bytes: done.bytesDone,
    bytesSent: meter.sent,
    seconds: (Date.now() - started) / 1000,
  };
}

/** Versions pulled from a teammate whose bytes are not here cannot be pushed on: say which. */
function assertBytesHere(store: SnapshotStore, hashes: readonly string[]): void {
  const missing = hashes.filter((h) => store.blob(h)?.here === false);
  if (missing.length > 0) {
    throw new MlsnapError(
      'conflict',
      `${missing.length} version(s) to push have bytes only on another remote; run \`mlsnap pull --blobs\` first`,
    );
  }
}

interface PlannedUpload {
  job: UploadJob;
  hash: string;
}

/** Upload jobs for the blobs the remote lacks, largest first (the long ones start early and overlap the rest). */
async function uploadJobs(
  store: SnapshotStore,
  blobs: ContentStore,
  session: RemoteSession,
  versions: readonly GatedVersion[],
): Promise<PlannedUpload[]> {
  const wanted = new Map<string, PlannedUpload>();
  for (const v of versions) {
    if (v.stripped !== null) {
      const { hash, bytes } = v.stripped;
      wanted.set(hash, { hash, job: { key: dataKey(hash, 'raw'), size: bytes.length, source: { bytes } } });
    } else {
      addStored(wanted, blobs, v.record.blob);
    }
    for (const b of v.record.extraBlobs) addStored(wanted, blobs, b);
  }
  const missing = new Set(store.remotes.missingBlobs(session.name, wanted.keys()));
  const planned = [...wanted.values()].filter((p) => missing.has(p.hash));
  // Big objects a teammate may have sent already: one HEAD saves the upload (as many at once
  // as uploads go, not one request per object all at once).
  const present = new Set<string>();
  await runPool(
    planned.filter((p) => p.job.size >= ASK_FIRST_FROM),
    UPLOADS_IN_FLIGHT,
    async (p) => {
      if ((await session.run((b) => b.stat(p.job.key))) !== null) present.add(p.hash);
    },
  );
  store.remotes.markBlobs(session.name, [...present]);
  return planned.filter((p) => !present.has(p.hash)).sort((a, b) => b.job.size - a.job.size);
}

function addStored(into: Map<string, PlannedUpload>, blobs: ContentStore, b: BlobRecord): void {
  const encoding = b.encoding as BlobEncoding;
  const file = blobs.localPathOf(b.hash, encoding);
  if (file === null) throw new Error(`blob ${b.hash} has no local file`);
  into.set(b.hash, { hash: b.hash, job: { key: dataKey(b.hash, encoding), size: b.storedSize, source: { file } } });
}

/** History objects last, each only after every blob it names is on the remote. */
async function writeHistory(
  store: SnapshotStore,
  session: RemoteSession,
  versions: readonly GatedVersion[],
  idOf: ReadonlyMap<string, number>,
  signal?: AbortSignal,
): Promise<void> {
  const writer = store.writerId();
  for (let i = 0; i < versions.length; i += VERSIONS_PER_HISTORY_OBJECT) {
    signal?.throwIfAborted();
    const chunk = versions.slice(i, i + VERSIONS_PER_HISTORY_OBJECT);
    const records = chunk.map((v) => {
      const blob = v.stripped === null ? v.record.blob : strippedBlob(v.stripped);
      return { ...v.record, blob, allowed: v.allowed, stripped: v.stripped !== null };
    });
    const { key, bytes } = encodeHistory(writer, records, Date.now());
    await session.run((b) => b.put(key, bytes));
    store.remotes.markPushed(
      session.name,
      chunk.map((v) => ({
        versionId: idOf.get(v.record.uid) as number,
        pushedBlob: v.stripped?.hash ?? null,
        allowed: v.allowed,
      })),
    );
    store.remotes.markHistoryRead(session.name, key);
  }
}

function strippedBlob(s: { hash: string; bytes: Buffer }): BlobRecord {
  return { hash: s.hash, size: s.bytes.length, storedSize: s.bytes.length, encoding: 'raw' };
}

function uploadLedger(store: SnapshotStore, remote: string): ResumeLedger {
  return {
    load: (key) => {
      const s = store.remotes.uploadState(remote, key);
      return s === null ? null : (JSON.parse(s) as ResumableState);
    },
    save: (key, state) => store.remotes.saveUploadState(remote, key, JSON.stringify(state)),
    drop: (key) => store.remotes.dropUploadState(remote, key),
  };
}

function blake3(b: Buffer): string {
  const h = new Blake3Hasher();
  h.update(b);
  return h.digest('hex');
}
