import { MlsnapError } from '../../../../shared/src/errors';
import type { TransferProgress } from '../../../../shared/src/protocol';
import { ContentStore, type BlobEncoding } from '../../store/blobs/ContentStore';
import type { SnapshotStore } from '../../store/SnapshotStore';
import { dataKey } from '../format/RemoteFormat';
import { CorruptRemoteObject, downloadBlob } from '../transfer/ObjectTransfer';
import { runPool } from '../runPool';
import { TransferMeter } from '../transfer/TransferMeter';
import { MarkBatch } from './MarkBatch';
import type { RemoteSession } from './RemoteSession';

/**
 * Bring blobs known only from a remote into the local store. Each is hashed as it streams and
 * stored only when it matches (see downloadBlob), then its row is marked here: nothing reads
 * bytes that failed. A corrupt object is reported with its key and the remote it came from.
 */
export async function fetchBlobs(
  store: SnapshotStore,
  blobs: ContentStore,
  sessions: readonly RemoteSession[],
  hashes: readonly string[],
  opts: { progress?: (p: TransferProgress) => void; signal?: AbortSignal; concurrency?: number } = {},
): Promise<{ blobs: number; bytes: number }> {
  const rows = [...new Set(hashes)]
    .map((h) => store.blob(h))
    .filter((b): b is NonNullable<typeof b> => b !== null && !b.here)
    .sort((a, b) => b.storedSize - a.storedSize);
  const meter = new TransferMeter('download', opts.progress);
  meter.plan(
    rows.length,
    rows.reduce((n, r) => n + r.storedSize, 0),
  );
  const here = new MarkBatch((hashes) => store.markBlobsHere(hashes));
  try {
    await fetchAll();
  } finally {
    here.flush();
  }
  const done = meter.finish();
  return { blobs: rows.length, bytes: done.bytesDone };

  async function fetchAll(): Promise<void> {
    await runPool(
      rows,
      opts.concurrency ?? 8,
      async (row) => {
        const session = sessionFor(store, sessions, row.hash);
        const encoding = row.encoding as BlobEncoding;
        const job = {
          key: dataKey(row.hash, encoding),
          hash: row.hash,
          encoding,
          size: row.size,
          localKey: ContentStore.keyOf(row.hash, encoding),
        };
        // A gc that judged this blob free before its row came back is deleting its file: the
        // create-only put would keep that file, so it waits and stores its own.
        await blobs.settled(row.hash);
        try {
          await downloadBlob(session.backend, blobs.backend, job, meter, {
            ...(opts.signal ? { signal: opts.signal } : {}),
            remoteError: (e) => session.errorOf(e),
          });
        } catch (e) {
          if (e instanceof CorruptRemoteObject)
            throw new MlsnapError(
              'remote',
              `${session.where}: ${e.message}. Run \`mlsnap remote check ${session.name}\``,
            );
          throw e;
        }
        here.add(row.hash);
      },
      opts.signal,
    );
  }
}

/** The remote to fetch a blob from: the first of `sessions` known to hold it, else the first. */
function sessionFor(store: SnapshotStore, sessions: readonly RemoteSession[], hash: string): RemoteSession {
  const holders = new Set(store.remotes.remotesHolding(hash));
  const s = sessions.find((x) => holders.has(x.name)) ?? sessions[0];
  if (s === undefined) throw new MlsnapError('not-found', `blob ${hash.slice(0, 16)} is on no remote this project has`);
  return s;
}
