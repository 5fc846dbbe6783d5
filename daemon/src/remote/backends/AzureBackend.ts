import { Readable } from 'node:stream';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient, ContainerClient, type BlockBlobClient } from '@azure/storage-blob';
import {
  assertKey,
  assertRange,
  BlobNotFound,
  type BlobSource,
  type ByteRange,
  type PutOptions,
  type PutResult,
} from '../../store/blobs/BlobBackend';
import {
  checkLength,
  concatParts,
  fittingState,
  isKey,
  MiB,
  PARTS_IN_FLIGHT,
  newUploadId,
  normalPrefix,
  partCount,
  partRange,
  partsOf,
  splitSmall,
  type AzureResumableState,
  type ObjectHead,
  type RangeSource,
  type RemoteBackend,
  type ResumableOptions,
  type ResumableState,
  type SwapResult,
} from './RemoteBackend';
import { runPool } from '../runPool';

/**
 * How to reach the container, exactly one of: a connection string (Azurite, account keys),
 * a container SAS URL, or an account URL signed in with `credential` (default:
 * DefaultAzureCredential: env, managed identity, Azure CLI, …). Kept in memory only.
 */
export interface AzureBackendOptions {
  connectionString?: string;
  /** `https://<account>.blob.core.windows.net/<container>?sv=…`: names the container itself. */
  containerSasUrl?: string;
  /** `https://<account>.blob.core.windows.net`. */
  accountUrl?: string;
  credential?: TokenCredential;
  /** Needed with a connection string or an account URL. */
  container?: string;
  /** Keys live under this prefix in the container; '' or absent: its root. */
  prefix?: string;
  /** Bytes per staged block. */
  partSize?: number;
  /** Blobs up to this size go in one request, held in memory so the SDK can retry it. */
  multipartThreshold?: number;
  /** Names per listing page (Azure's most is 5000). */
  listPageSize?: number;
}

/** A block blob holds at most this many committed blocks. */
const MAX_BLOCKS = 50_000;

/**
 * Azure Blob Storage as a remote. Create-only writes are uploads and block-list commits with
 * `If-None-Match: *`; Azure answers 409 BlobAlreadyExists (some paths 412), both meaning the
 * blob is there, which is success. Large blobs are staged blocks with ids derived from the
 * upload id and block index, so a resumed upload asks `getBlockList('uncommitted')` which
 * blocks survived. Uncommitted blocks cannot be deleted on their own; Azure drops them after
 * 7 days, or when any commit to the same blob happens.
 */
export class AzureBackend implements RemoteBackend {
  readonly container: ContainerClient;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly threshold: number;
  private readonly listPageSize: number | undefined;

  constructor(opts: AzureBackendOptions) {
    this.container = containerClient(opts);
    this.listPageSize = opts.listPageSize;
    this.prefix = normalPrefix(opts.prefix);
    this.partSize = opts.partSize ?? 16 * MiB;
    this.threshold = Math.max(this.partSize, opts.multipartThreshold ?? 64 * MiB);
  }

  private blob(key: string): BlockBlobClient {
    assertKey(key);
    return this.container.getBlockBlobClient(this.prefix + key);
  }

  async put(key: string, source: BlobSource, opts: PutOptions = {}): Promise<PutResult> {
    const blob = this.blob(key);
    const first = await splitSmall(partsOf(source, this.partSize), this.threshold);
    if ('whole' in first) {
      checkLength(key, first.whole.length, opts.length);
      await opts.beforeCommit?.();
      return this.putSmall(blob, first.whole);
    }
    return this.putStreamed(blob, first.head, first.rest, opts);
  }

  private async putSmall(blob: BlockBlobClient, body: Buffer, signal?: AbortSignal): Promise<PutResult> {
    try {
      await blob.upload(body, body.length, { conditions: { ifNoneMatch: '*' }, abortSignal: signal });
      return { created: true, size: body.length };
    } catch (e) {
      if (!isStatus(e, 409) && !isStatus(e, 412)) throw e;
      return this.alreadyThere(blob);
    }
  }

  private async alreadyThere(blob: BlockBlobClient): Promise<PutResult> {
    const h = await headOf(blob);
    if (h === null) throw new Error(`${blob.url}: create-only write refused, yet no blob is there`);
    return { created: false, size: h.size };
  }

  /** A stream too big for one request: staged blocks under a fresh upload id, then one commit. */
  private async putStreamed(
    blob: BlockBlobClient,
    head: Buffer[],
    rest: AsyncGenerator<Buffer>,
    opts: PutOptions,
  ): Promise<PutResult> {
    const existing = await headOf(blob);
    if (existing !== null) return { created: false, size: existing.size };
    const uploadId = newUploadId();
    const ids: string[] = [];
    let total = 0;
    for await (const body of concatParts(head, rest)) {
      if (ids.length >= MAX_BLOCKS) throw new RangeError(`${blob.url}: more than ${MAX_BLOCKS} blocks`);
      const id = blockId(uploadId, ids.length);
      await blob.stageBlock(id, body, body.length);
      ids.push(id);
      total += body.length;
    }
    checkLength(blob.name, total, opts.length);
    await opts.beforeCommit?.();
    return this.commit(blob, ids, total);
  }

  private async commit(blob: BlockBlobClient, ids: string[], size: number): Promise<PutResult> {
    try {
      await blob.commitBlockList(ids, { conditions: { ifNoneMatch: '*' } });
      return { created: true, size };
    } catch (e) {
      if (!isStatus(e, 409) && !isStatus(e, 412)) throw e;
      return this.alreadyThere(blob);
    }
  }

  async putResumable(key: string, source: RangeSource, opts: ResumableOptions = {}): Promise<PutResult> {
    const blob = this.blob(key);
    const existing = await headOf(blob);
    if (existing !== null) return { created: false, size: existing.size };
    if (source.size <= this.partSize) {
      const body = Buffer.from(await source.read(0, source.size));
      await opts.beforeCommit?.();
      return this.putSmall(blob, body, opts.signal);
    }
    let state = await this.resumeOrStart(blob, key, source.size, opts.state);
    await opts.onState?.(state);
    const count = partCount(source.size, state.partSize);
    const staged = new Set(state.blockIds);
    const todo = Array.from({ length: count }, (_, i) => i).filter((i) => !staged.has(blockId(state.uploadId, i)));
    await runPool(
      todo,
      PARTS_IN_FLIGHT,
      async (i) => {
        const id = blockId(state.uploadId, i);
        opts.signal?.throwIfAborted();
        const [offset, length] = partRange(i, source.size, state.partSize);
        await blob.stageBlock(id, await source.read(offset, length), length, { abortSignal: opts.signal });
        state = { ...state, blockIds: [...state.blockIds, id] };
        await opts.onState?.(state);
      },
      opts.signal,
    );
    await opts.beforeCommit?.();
    const ids = Array.from({ length: count }, (_, i) => blockId(state.uploadId, i));
    return this.commit(blob, ids, source.size);
  }

  /** The remote decides what is done: the uncommitted blocks of this upload of the right size. */
  private async resumeOrStart(
    blob: BlockBlobClient,
    key: string,
    size: number,
    saved: ResumableState | undefined,
  ): Promise<AzureResumableState> {
    const fit = fittingState('azure', key, size, saved);
    if (fit !== undefined) {
      const staged = await uncommitted(blob);
      const blockIds: string[] = [];
      for (let i = 0; i < partCount(size, fit.partSize); i++) {
        const id = blockId(fit.uploadId, i);
        if (staged.get(id) === partRange(i, size, fit.partSize)[1]) blockIds.push(id);
      }
      return { ...fit, blockIds };
    }
    // Blocks grow past the default so that the biggest blobs still fit in 50,000 of them.
    const partSize = Math.max(this.partSize, Math.ceil(size / MAX_BLOCKS / MiB) * MiB);
    return { kind: 'azure', key, size, partSize, uploadId: newUploadId(), blockIds: [] };
  }

  /** Uncommitted blocks cannot be removed one by one: Azure expires them after 7 days. */
  async discardResumable(_state: ResumableState): Promise<void> {}

  /** Upload with If-Match / If-None-Match: Azure itself picks one winner among racing writers. */
  async putIfMatch(key: string, bytes: Uint8Array, etag: string | null): Promise<SwapResult> {
    const blob = this.blob(key);
    try {
      const conditions = etag === null ? { ifNoneMatch: '*' } : { ifMatch: etag };
      const r = await blob.upload(bytes, bytes.length, { conditions });
      if (r.etag !== undefined) return { swapped: true, etag: r.etag };
      const now = await headOf(blob);
      if (now === null) throw new Error(`${blob.url}: written, yet not there`);
      return { swapped: true, etag: now.etag };
    } catch (e) {
      // 409 BlobAlreadyExists for If-None-Match, 412 ConditionNotMet, 404 for If-Match on a deleted blob.
      if (!isStatus(e, 409) && !isStatus(e, 412) && !isStatus(e, 404)) throw e;
      return { swapped: false, current: await headOf(blob) };
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const blob = this.blob(key);
    assertRange(range);
    // count 0 means "to the end" to the SDK: an empty range only asks whether the blob exists.
    if (range?.length === 0) return emptyIfThere(key, blob);
    try {
      const r = await blob.download(range?.offset ?? 0, range?.length);
      return (r.readableStreamBody as Readable | undefined) ?? Readable.from([]);
    } catch (e) {
      if (isStatus(e, 404)) throw new BlobNotFound(key);
      // 416: the range starts at or past the end (or the blob is empty), which reads as nothing.
      if (isStatus(e, 416)) return emptyIfThere(key, blob);
      throw e;
    }
  }

  async stat(key: string): Promise<{ size: number } | null> {
    const h = await headOf(this.blob(key));
    return h === null ? null : { size: h.size };
  }

  head(key: string): Promise<ObjectHead | null> {
    return headOf(this.blob(key));
  }

  /** Page by page; anything under the prefix that is no key of ours is skipped. */
  async *list(under = ''): AsyncIterable<string> {
    const pages = this.container
      .listBlobsFlat({ prefix: this.prefix + under || undefined })
      .byPage({ maxPageSize: this.listPageSize });
    for await (const page of pages) {
      for (const item of page.segment.blobItems) {
        const key = item.name.slice(this.prefix.length);
        if (isKey(key)) yield key;
      }
    }
  }

  async delete(key: string): Promise<void> {
    await this.blob(key).deleteIfExists({ deleteSnapshots: 'include' });
  }
}

function containerClient(opts: AzureBackendOptions): ContainerClient {
  const ways = [opts.connectionString, opts.containerSasUrl, opts.accountUrl].filter((w) => w !== undefined);
  if (ways.length !== 1) {
    throw new RangeError('AzureBackend needs exactly one of connectionString, containerSasUrl or accountUrl');
  }
  if (opts.containerSasUrl !== undefined) return new ContainerClient(opts.containerSasUrl);
  if (opts.container === undefined) throw new RangeError('AzureBackend needs `container` with this way of connecting');
  const service =
    opts.connectionString !== undefined
      ? BlobServiceClient.fromConnectionString(opts.connectionString)
      : new BlobServiceClient(opts.accountUrl ?? '', opts.credential ?? new DefaultAzureCredential());
  return service.getContainerClient(opts.container);
}

/**
 * Block ids must all have the same length within a blob (base64 of a fixed-width string):
 * upload id + index, so a resumed upload can name the blocks a killed one staged.
 */
function blockId(uploadId: string, index: number): string {
  return Buffer.from(`${uploadId}-${String(index).padStart(6, '0')}`).toString('base64');
}

/** Uncommitted blocks by id → size; none when the blob has never been staged to (404). */
async function uncommitted(blob: BlockBlobClient): Promise<Map<string, number>> {
  try {
    const list = await blob.getBlockList('uncommitted');
    return new Map((list.uncommittedBlocks ?? []).map((b) => [b.name, b.size]));
  } catch (e) {
    if (isStatus(e, 404)) return new Map();
    throw e;
  }
}

async function headOf(blob: BlockBlobClient): Promise<ObjectHead | null> {
  try {
    const p = await blob.getProperties();
    return { size: p.contentLength ?? 0, etag: p.etag ?? '' };
  } catch (e) {
    if (isStatus(e, 404)) return null;
    throw e;
  }
}

async function emptyIfThere(key: string, blob: BlockBlobClient): Promise<Readable> {
  if ((await headOf(blob)) === null) throw new BlobNotFound(key);
  return Readable.from([]);
}

function isStatus(e: unknown, status: number): boolean {
  return (e as { statusCode?: number }).statusCode === status;
}
