import { MlsnapError } from '../../../../shared/src/errors';
import type { PullResult, TransferProgress } from '../../../../shared/src/protocol';
import type { ContentStore } from '../../store/blobs/ContentStore';
import type { SnapshotStore } from '../../store/SnapshotStore';
import type { VersionRecord } from '../../store/VersionRecord';
import { decodeHistory, HISTORY_PREFIX, isHistoryKey, MAX_HISTORY_OBJECT } from '../format/RemoteFormat';
import { runPool } from '../runPool';
import { TransferMeter } from '../transfer/TransferMeter';
import { fetchBlobs } from './BlobFetcher';
import { readAll, type RemoteSession } from './RemoteSession';

export interface PullOptions {
  /** Fetch every blob now, not when first read. */
  blobs?: boolean;
  progress?: (p: TransferProgress) => void;
  signal?: AbortSignal;
}

/** History objects read at once. */
const HISTORY_CONCURRENCY = 8;

/**
 * Record the versions of every history object not read before. All new objects are read
 * and checked first; one that is malformed or altered stops the pull before anything is
 * recorded, naming its key. Each object is then recorded in its own transaction with the
 * note that it was read, so an interrupted pull resumes where it stopped. Working files are
 * never touched; blobs come when first read, or now with `blobs`.
 */
export async function pull(
  store: SnapshotStore,
  blobs: ContentStore,
  session: RemoteSession,
  opts: PullOptions = {},
): Promise<PullResult> {
  const started = Date.now();
  if ((await session.readConfig()) === null) {
    throw new MlsnapError(
      'remote',
      `${session.where} holds no mlsnap history yet (no "config" object); push to it first, or check the URL`,
    );
  }
  const fresh = await newHistoryKeys(store, session);
  const meter = new TransferMeter('history', opts.progress);
  meter.plan(fresh.length, 0);
  const objects = await readHistory(session, fresh, meter, opts.signal);
  let versions = 0;
  for (const { key, records } of objects) versions += store.importVersions(session.name, key, records).length;
  meter.finish();
  let fetched = { blobs: 0, bytes: 0 };
  if (opts.blobs === true) {
    fetched = await fetchBlobs(store, blobs, [session], allNotHere(store, session.name), {
      ...(opts.progress ? { progress: opts.progress } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }
  return {
    remote: session.name,
    versions,
    historyObjects: fresh.length,
    blobsFetched: fetched.blobs,
    bytes: fetched.bytes,
    seconds: (Date.now() - started) / 1000,
  };
}

function allNotHere(store: SnapshotStore, remote: string): string[] {
  return store.remotes.blobsOn(remote).filter((h) => store.blob(h)?.here === false);
}

/** History keys on the remote this project has not read (its own pushes are marked read as they go). */
export async function newHistoryKeys(store: SnapshotStore, session: RemoteSession): Promise<string[]> {
  const read = store.remotes.historyRead(session.name);
  const keys: string[] = [];
  await session.run(async (b) => {
    for await (const key of b.list(HISTORY_PREFIX)) if (isHistoryKey(key) && !read.has(key)) keys.push(key);
  });
  // Oldest first (keys carry the push time), so local numbering follows the order of pushes.
  return keys.sort((a, b) => a.slice(a.lastIndexOf('/')).localeCompare(b.slice(b.lastIndexOf('/'))));
}

/** Fetch and check history objects; the first bad one fails the whole read, naming it. */
export async function readHistory(
  session: RemoteSession,
  keys: readonly string[],
  meter: TransferMeter,
  signal?: AbortSignal,
): Promise<{ key: string; records: VersionRecord[] }[]> {
  const out = new Map<string, VersionRecord[]>();
  await runPool(
    keys,
    HISTORY_CONCURRENCY,
    async (key) => {
      const bytes = await session.run(async (b) => readAll(await b.get(key), MAX_HISTORY_OBJECT));
      out.set(key, decodeChecked(session, key, bytes));
      meter.progress(bytes.length);
      meter.objectDone();
    },
    signal,
  );
  return keys.map((key) => ({ key, records: out.get(key) as VersionRecord[] }));
}

function decodeChecked(session: RemoteSession, key: string, bytes: Uint8Array): VersionRecord[] {
  try {
    return decodeHistory(key, bytes);
  } catch (e) {
    const why = e instanceof MlsnapError ? e.message : String(e);
    throw new MlsnapError(
      'remote',
      `${session.where}: history object ${key} is malformed (${why}); nothing was pulled. Ask its writer to push again, or remove that object from the remote`,
    );
  }
}
