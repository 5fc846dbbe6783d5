import { Blake3Hasher } from '@napi-rs/blake-hash';
import * as fsp from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DecompressStream } from 'zstd-napi';
import { MlsnapError } from '../../../../shared/src/errors';
import type { BlobBackend } from '../../store/blobs/BlobBackend';
import type { BlobEncoding } from '../../store/blobs/ContentStore';
import { bufferSource, fileSource, type RemoteBackend, type ResumableState } from '../backends/RemoteBackend';
import type { TransferMeter } from './TransferMeter';

/** Objects above this go up in resumable parts; below it one request is cheaper than the bookkeeping. */
export const RESUMABLE_FROM = 32 * 1024 * 1024;

/** Where resumable upload state is kept between runs (SQLite in the daemon). */
export interface ResumeLedger {
  load(key: string): ResumableState | null;
  save(key: string, state: ResumableState): void;
  drop(key: string): void;
}

export interface UploadJob {
  key: string;
  /** Bytes the remote object will hold. */
  size: number;
  /** A local file holding them (a stored blob), or the bytes themselves. */
  source: { file: string } | { bytes: Buffer };
}

/**
 * Put one object, create-only. Large files go through putResumable with their state in the
 * ledger, so a push killed half-way sends only the missing parts next time; the meter counts
 * what was really sent (parts the remote already had are done but not sent).
 */
export async function uploadObject(
  remote: RemoteBackend,
  job: UploadJob,
  ledger: ResumeLedger,
  meter: TransferMeter,
  signal?: AbortSignal,
): Promise<void> {
  signal?.throwIfAborted();
  if ('bytes' in job.source || job.size < RESUMABLE_FROM) {
    // Read whole: a file source would be cut into parts of the backend's part size, a 16 MiB
    // buffer for a 4 KiB notebook (measured: a quarter of a small-file push went to GC).
    const body = 'bytes' in job.source ? job.source.bytes : await fsp.readFile(job.source.file);
    const r = await remote.put(job.key, body, { length: job.size });
    meter.progress(job.size, r.created ? job.size : 0);
    return;
  }
  const source = job.size === 0 ? bufferSource(new Uint8Array()) : await fileSource(job.source.file);
  let counted = 0;
  let first = true;
  const r = await remote.putResumable(job.key, source, {
    ...(ledgerState(ledger, job.key) ?? {}),
    signal,
    onState: (state) => {
      ledger.save(job.key, state);
      const done = stateBytes(state, job.size);
      // The first state tells what survived from an earlier run: done, but not sent now.
      meter.progress(done - counted, first ? 0 : done - counted);
      first = false;
      counted = done;
    },
  } as Parameters<RemoteBackend['putResumable']>[2]);
  ledger.drop(job.key);
  meter.progress(job.size - counted, r.created ? job.size - counted : 0);
}

function ledgerState(ledger: ResumeLedger, key: string): { state: ResumableState } | null {
  const state = ledger.load(key);
  return state === null ? null : { state };
}

/** Bytes an unfinished upload already holds remotely. */
export function stateBytes(state: ResumableState, size: number): number {
  switch (state.kind) {
    case 's3':
      return state.parts.reduce((n, p) => n + p.size, 0);
    case 'azure':
      return Math.min(size, state.blockIds.length * state.partSize);
    case 'folder':
      return state.length;
  }
}

/** A remote object that does not hash to its name: never stored, named by its key. */
export class CorruptRemoteObject extends MlsnapError {
  constructor(
    readonly key: string,
    why: string,
  ) {
    super('remote', `object ${key} is corrupt (${why}); it was not used`);
  }
}

export interface DownloadJob {
  key: string;
  hash: string;
  encoding: BlobEncoding;
  /** Original (decoded) size. */
  size: number;
  /** Where the bytes go, under this key. */
  localKey: string;
}

/**
 * Copy a blob from the remote into `local`, hashed as it streams: the local put commits only
 * when the decoded bytes hash to the blob's name and have its size, so a corrupt or truncated
 * object is never stored and nothing points at it.
 */
export async function downloadBlob(
  remote: RemoteBackend,
  local: BlobBackend,
  job: DownloadJob,
  meter: TransferMeter,
  opts: { signal?: AbortSignal; remoteError: (e: unknown) => Error },
): Promise<void> {
  const { signal } = opts;
  signal?.throwIfAborted();
  let stream: Readable;
  try {
    stream = await remote.get(job.key);
  } catch (e) {
    if ((e as Error).name === 'BlobNotFound') throw new CorruptRemoteObject(job.key, 'it is missing from the remote');
    throw opts.remoteError(e);
  }
  const check = new DecodedHash(job.encoding);
  // Failures reading the remote are the remote's; failures storing here (a full disk) stay
  // this machine's, so each is said with the right fix.
  const source = async function* (): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of stream) {
        signal?.throwIfAborted();
        const c = chunk as Buffer;
        check.update(c);
        meter.progress(c.length);
        yield c;
      }
    } catch (e) {
      throw signal?.aborted === true ? e : opts.remoteError(e);
    }
  };
  await local.put(job.localKey, source(), {
    beforeCommit: async () => {
      const why = await check.mismatch(job);
      if (why !== null) throw new CorruptRemoteObject(job.key, why);
    },
  });
  meter.objectDone();
}

/** BLAKE3 of the original bytes of an object as stored (raw, or zstd frames decoded on the fly). */
export class DecodedHash {
  private readonly hasher = new Blake3Hasher();
  private size = 0;
  private readonly decoder: DecompressStream | null;
  private failure: Error | null = null;

  constructor(encoding: BlobEncoding) {
    this.decoder = encoding === 'zstd' ? new DecompressStream() : null;
    this.decoder?.on('data', (d: Buffer) => this.take(d));
    this.decoder?.on('error', (e: Error) => (this.failure = e));
  }

  private take(d: Buffer): void {
    this.hasher.update(d);
    this.size += d.length;
  }

  update(chunk: Buffer): void {
    if (this.decoder === null) this.take(chunk);
    else this.decoder.write(chunk);
  }

  /** Why the bytes are not the blob `want` names (undecodable, another size, another hash), or null. */
  async mismatch(want: { hash: string; size: number }): Promise<string | null> {
    const got = await this.digest();
    if (got.error !== undefined) return `it does not decode (${got.error})`;
    if (got.size !== want.size) return `it decodes to ${got.size} bytes, not ${want.size}`;
    if (got.hash !== want.hash) return `its bytes hash to ${got.hash.slice(0, 16)}, not to its name`;
    return null;
  }

  private async digest(): Promise<{ hash: string; size: number; error?: string }> {
    const d = this.decoder;
    if (d !== null) {
      await new Promise<void>((resolve) => {
        d.once('end', () => resolve());
        d.once('error', () => resolve());
        d.end();
        d.resume();
      });
      if (this.failure !== null) return { hash: '', size: this.size, error: this.failure.message };
    }
    return { hash: this.hasher.digest('hex'), size: this.size };
  }
}
