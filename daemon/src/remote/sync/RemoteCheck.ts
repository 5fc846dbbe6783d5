import type { RemoteCheckResult, TransferProgress } from '../../../../shared/src/protocol';
import type { BlobEncoding } from '../../store/blobs/ContentStore';
import { dataKey, decodeHistory, HISTORY_PREFIX, isHistoryKey, MAX_HISTORY_OBJECT } from '../format/RemoteFormat';
import { DecodedHash } from '../transfer/ObjectTransfer';
import { runPool } from '../runPool';
import { TransferMeter } from '../transfer/TransferMeter';
import { readAll, type RemoteSession } from './RemoteSession';

/**
 * What `remote check` does (after `restic check`): read every history object and check it,
 * list the data objects and find the blobs history needs that are missing, and download and
 * hash `readDataSubset` percent of the data objects. Reads only; the remote is not changed.
 */
export async function checkRemote(
  session: RemoteSession,
  opts: { readDataSubset?: number; progress?: (p: TransferProgress) => void; signal?: AbortSignal } = {},
): Promise<RemoteCheckResult> {
  await session.readConfig();
  const corrupt: { key: string; reason: string }[] = [];
  const needed = new Map<string, { encoding: BlobEncoding; size: number }>();
  const historyKeys: string[] = [];
  const dataKeys = new Set<string>();
  await session.run(async (b) => {
    for await (const k of b.list(HISTORY_PREFIX)) if (isHistoryKey(k)) historyKeys.push(k);
    for await (const k of b.list('data/')) dataKeys.add(k);
  });
  let versions = 0;
  await runPool(historyKeys, 8, async (key) => {
    const bytes = await session.run(async (b) => readAll(await b.get(key), MAX_HISTORY_OBJECT));
    try {
      for (const r of decodeHistory(key, bytes)) {
        versions++;
        for (const blob of [r.blob, ...r.extraBlobs])
          needed.set(blob.hash, { encoding: blob.encoding as BlobEncoding, size: blob.size });
      }
    } catch (e) {
      corrupt.push({ key, reason: (e as Error).message });
    }
  });
  const missing = [...needed].filter(([h, b]) => !dataKeys.has(dataKey(h, b.encoding))).map(([h]) => h);
  const sample = sampleOf(
    [...needed].filter(([h, b]) => dataKeys.has(dataKey(h, b.encoding))),
    opts.readDataSubset ?? 0,
  );
  const meter = new TransferMeter('check', opts.progress);
  meter.plan(sample.length, 0);
  await runPool(
    sample,
    8,
    async ([hash, b]) => {
      const key = dataKey(hash, b.encoding);
      const reason = await hashObject(session, key, hash, b, meter);
      if (reason !== null) corrupt.push({ key, reason });
      meter.objectDone();
    },
    opts.signal,
  );
  corrupt.sort((a, b) => a.key.localeCompare(b.key));
  return {
    remote: session.name,
    historyObjects: historyKeys.length,
    versions,
    dataObjects: dataKeys.size,
    dataChecked: sample.length,
    missing: missing.sort(),
    corrupt,
    ok: missing.length === 0 && corrupt.length === 0,
  };
}

/** Why the object fails its hash, or null when it passes. */
async function hashObject(
  session: RemoteSession,
  key: string,
  hash: string,
  b: { encoding: BlobEncoding; size: number },
  meter: TransferMeter,
): Promise<string | null> {
  const check = new DecodedHash(b.encoding);
  await session.run(async (backend) => {
    for await (const chunk of await backend.get(key)) {
      check.update(chunk as Buffer);
      meter.progress((chunk as Buffer).length);
    }
  });
  return check.mismatch({ hash, size: b.size });
}

/** A random `percent` of `items` (at least one when percent > 0 and there are any). */
function sampleOf<T>(items: readonly T[], percent: number): T[] {
  if (percent <= 0 || items.length === 0) return [];
  if (percent >= 100) return [...items];
  const n = Math.max(1, Math.round((items.length * percent) / 100));
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, n);
}
