import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
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
  normalPrefix,
  partCount,
  partRange,
  partsOf,
  splitSmall,
  type ObjectHead,
  type RangeSource,
  type RemoteBackend,
  type ResumableOptions,
  type ResumableState,
  type S3ResumableState,
  type SwapResult,
} from './RemoteBackend';
import { runPool } from '../runPool';

export interface S3BackendOptions {
  bucket: string;
  /** Keys live under this prefix in the bucket (`team/ml/`); '' or absent: the bucket's root. */
  prefix?: string;
  /** Absent: the SDK's chain (AWS_REGION, the profile's config). */
  region?: string;
  /**
   * An S3-compatible endpoint (MinIO, Ceph, GCS's XML API). Absent: the SDK itself reads
   * AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, then the profile's endpoint_url.
   */
  endpoint?: string;
  /** Most S3-compatible stores want `bucket` in the path rather than the host name. */
  forcePathStyle?: boolean;
  /** A profile of ~/.aws/config and credentials; absent: AWS_PROFILE or `default`. */
  profile?: string;
  /** Explicit credentials, kept in memory only; absent: the SDK's default chain (env, profile, SSO, instance role). */
  credentials?: S3ClientConfig['credentials'];
  /**
   * Since 2025 the SDK adds CRC32 checksums to every upload, which some S3-compatible
   * stores reject (aws-sdk-js-v3 #6819); off by default, since mlsnap checks each blob's
   * hash on download anyway.
   */
  checksums?: boolean;
  /** Parts of a multipart upload (S3's floor is 5 MiB). */
  partSize?: number;
  /** Objects up to this size go in one PutObject, held in memory so the SDK can retry it. */
  multipartThreshold?: number;
  /** Keys per ListObjectsV2 page (S3's most is 1000; some compatible stores give fewer). */
  listPageSize?: number;
  /** A request whose socket stays silent this long fails (and the SDK retries it); default 2 minutes. */
  idleTimeoutMs?: number;
}

/** S3 allows at most this many parts in one upload. */
const MAX_PARTS = 10_000;

/**
 * S3 (and S3-compatible stores) as a remote. Create-only writes use `If-None-Match: *` on
 * PutObject and CompleteMultipartUpload (S3 has them since 2024; moto 5 too): 412 means the
 * object is there already, which is success. Multipart is done here rather than with
 * lib-storage's Upload, which can neither resume (its UploadId and part ETags are not
 * exposed, aws-sdk-js-v3 #6832) nor complete create-only (#8020).
 */
export class S3Backend implements RemoteBackend {
  readonly client: S3Client;
  readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly threshold: number;
  private readonly listPageSize: number | undefined;

  constructor(opts: S3BackendOptions) {
    this.client = new S3Client(clientConfig(opts));
    this.bucket = opts.bucket;
    this.listPageSize = opts.listPageSize;
    this.prefix = normalPrefix(opts.prefix);
    this.partSize = Math.max(5 * MiB, opts.partSize ?? 16 * MiB);
    this.threshold = Math.max(this.partSize, opts.multipartThreshold ?? 64 * MiB);
  }

  private objectKey(key: string): string {
    assertKey(key);
    return this.prefix + key;
  }

  async put(key: string, source: BlobSource, opts: PutOptions = {}): Promise<PutResult> {
    const objectKey = this.objectKey(key);
    const first = await splitSmall(partsOf(source, this.partSize), this.threshold);
    if ('whole' in first) {
      checkLength(key, first.whole.length, opts.length);
      await opts.beforeCommit?.();
      return this.putSmall(objectKey, first.whole);
    }
    return this.putStreamed(objectKey, first.head, first.rest, opts);
  }

  /** One PutObject, create-only; a concurrent conditional write (409) is retried as S3 asks. */
  private async putSmall(objectKey: string, body: Buffer, signal?: AbortSignal): Promise<PutResult> {
    try {
      await retryConflicts(() =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: objectKey,
            Body: body,
            ContentLength: body.length,
            IfNoneMatch: '*',
          }),
          { abortSignal: signal },
        ),
      );
      return { created: true, size: body.length };
    } catch (e) {
      if (!isStatus(e, 412)) throw e;
      return this.alreadyThere(objectKey);
    }
  }

  private async alreadyThere(objectKey: string): Promise<PutResult> {
    const h = await this.headObject(objectKey);
    if (h === null)
      throw new Error(`s3://${this.bucket}/${objectKey}: create-only write refused, yet no object is there`);
    return { created: false, size: h.size };
  }

  /** A stream too big for one request: multipart, aborted on any failure so nothing is left billed. */
  private async putStreamed(
    objectKey: string,
    head: Buffer[],
    rest: AsyncGenerator<Buffer>,
    opts: PutOptions,
  ): Promise<PutResult> {
    // Big enough to be worth a HEAD: a blob a teammate pushed is not sent again.
    const existing = await this.headObject(objectKey);
    if (existing !== null) return { created: false, size: existing.size };
    const uploadId = await this.createUpload(objectKey);
    try {
      const parts: S3ResumableState['parts'] = [];
      let total = 0;
      for await (const body of concatParts(head, rest)) {
        if (parts.length >= MAX_PARTS) throw new RangeError(`${objectKey}: more than ${MAX_PARTS} parts`);
        parts.push(await this.uploadPart(objectKey, uploadId, parts.length + 1, body));
        total += body.length;
      }
      checkLength(objectKey, total, opts.length);
      await opts.beforeCommit?.();
      return await this.complete(objectKey, uploadId, parts);
    } catch (e) {
      await this.abortUpload(objectKey, uploadId);
      throw e;
    }
  }

  async putResumable(key: string, source: RangeSource, opts: ResumableOptions = {}): Promise<PutResult> {
    const objectKey = this.objectKey(key);
    const existing = await this.headObject(objectKey);
    if (existing !== null) return { created: false, size: existing.size };
    if (source.size <= this.partSize) {
      const body = Buffer.from(await source.read(0, source.size));
      await opts.beforeCommit?.();
      return this.putSmall(objectKey, body, opts.signal);
    }
    let state = await this.resumeOrStart(key, objectKey, source.size, opts.state);
    await opts.onState?.(state);
    const count = partCount(source.size, state.partSize);
    const stored = new Set(state.parts.map((p) => p.partNumber));
    const todo = Array.from({ length: count }, (_, i) => i + 1).filter((n) => !stored.has(n));
    await runPool(
      todo,
      PARTS_IN_FLIGHT,
      async (n) => {
        opts.signal?.throwIfAborted();
        const [offset, length] = partRange(n - 1, source.size, state.partSize);
        const body = Buffer.from(await source.read(offset, length));
        const part = await this.uploadPart(objectKey, state.uploadId, n, body, opts.signal);
        // One thread: each state handed on holds every part done so far.
        state = { ...state, parts: [...state.parts, part] };
        await opts.onState?.(state);
      },
      opts.signal,
    );
    await opts.beforeCommit?.();
    return this.complete(objectKey, state.uploadId, state.parts);
  }

  /**
   * The remote decides what is done: ListParts on the saved UploadId, keeping parts of the
   * right size. A vanished upload (aborted, or expired by a lifecycle rule) starts afresh.
   */
  private async resumeOrStart(
    key: string,
    objectKey: string,
    size: number,
    saved: ResumableState | undefined,
  ): Promise<S3ResumableState> {
    const fit = fittingState('s3', key, size, saved);
    const listed = fit === undefined ? null : await this.listParts(objectKey, fit.uploadId);
    if (fit !== undefined && listed !== null) {
      const parts = listed.filter((p) => p.size === partRange(p.partNumber - 1, size, fit.partSize)[1]);
      return { ...fit, parts };
    }
    // Parts grow past the default so that the biggest objects still fit in 10,000 of them.
    const partSize = Math.max(this.partSize, Math.ceil(size / MAX_PARTS / MiB) * MiB);
    return { kind: 's3', key, size, partSize, uploadId: await this.createUpload(objectKey), parts: [] };
  }

  private async listParts(objectKey: string, uploadId: string): Promise<S3ResumableState['parts'] | null> {
    const parts: S3ResumableState['parts'] = [];
    let marker: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListPartsCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId, PartNumberMarker: marker }),
        );
        for (const p of page.Parts ?? []) {
          if (p.PartNumber !== undefined && p.ETag !== undefined && p.Size !== undefined) {
            parts.push({ partNumber: p.PartNumber, etag: p.ETag, size: p.Size });
          }
        }
        marker = page.IsTruncated === true ? page.NextPartNumberMarker : undefined;
      } while (marker !== undefined);
      return parts;
    } catch (e) {
      if (isStatus(e, 404)) return null;
      throw e;
    }
  }

  private async createUpload(objectKey: string): Promise<string> {
    const r = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey }));
    if (r.UploadId === undefined) throw new Error(`s3://${this.bucket}/${objectKey}: no UploadId returned`);
    return r.UploadId;
  }

  private async uploadPart(
    objectKey: string,
    uploadId: string,
    partNumber: number,
    body: Buffer,
    signal?: AbortSignal,
  ): Promise<S3ResumableState['parts'][number]> {
    const r = await this.client.send(
      new UploadPartCommand({
        Bucket: this.bucket,
        Key: objectKey,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: body.length,
      }),
      { abortSignal: signal },
    );
    if (r.ETag === undefined) throw new Error(`s3://${this.bucket}/${objectKey}: part ${partNumber} has no ETag`);
    return { partNumber, etag: r.ETag, size: body.length };
  }

  /** Create-only completion: 412 means someone completed the same key first (same bytes: success). */
  private async complete(objectKey: string, uploadId: string, parts: S3ResumableState['parts']): Promise<PutResult> {
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    try {
      await retryConflicts(() =>
        this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key: objectKey,
            UploadId: uploadId,
            IfNoneMatch: '*',
            MultipartUpload: { Parts: sorted.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
          }),
        ),
      );
      return { created: true, size: sorted.reduce((n, p) => n + p.size, 0) };
    } catch (e) {
      if (!isStatus(e, 412)) throw e;
      await this.abortUpload(objectKey, uploadId);
      return this.alreadyThere(objectKey);
    }
  }

  private async abortUpload(objectKey: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: objectKey, UploadId: uploadId }),
      );
    } catch (e) {
      if (!isStatus(e, 404)) throw e;
    }
  }

  async discardResumable(state: ResumableState): Promise<void> {
    if (state.kind === 's3') await this.abortUpload(this.objectKey(state.key), state.uploadId);
  }

  /** If-Match / If-None-Match on PutObject: S3 itself picks one winner among racing writers. */
  async putIfMatch(key: string, bytes: Uint8Array, etag: string | null): Promise<SwapResult> {
    const objectKey = this.objectKey(key);
    const body = Buffer.from(bytes);
    try {
      const r = await retryConflicts(() =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: objectKey,
            Body: body,
            ContentLength: body.length,
            ...(etag === null ? { IfNoneMatch: '*' } : { IfMatch: etag }),
          }),
        ),
      );
      if (r.ETag !== undefined) return { swapped: true, etag: r.ETag };
      const now = await this.headObject(objectKey);
      if (now === null) throw new Error(`s3://${this.bucket}/${objectKey}: written, yet not there`);
      return { swapped: true, etag: now.etag };
    } catch (e) {
      // 404: If-Match on a key that no longer exists.
      if (!isStatus(e, 412) && !isStatus(e, 404) && !isStatus(e, 409)) throw e;
      return { swapped: false, current: await this.headObject(objectKey) };
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const objectKey = this.objectKey(key);
    assertRange(range);
    // An empty range has no HTTP form (bytes=N-(N-1) is invalid): only existence matters.
    if (range?.length === 0) return this.emptyIfThere(key, objectKey);
    try {
      const r = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          Range: range === undefined ? undefined : `bytes=${range.offset}-${range.offset + range.length - 1}`,
        }),
      );
      return r.Body === undefined ? Readable.from([]) : (r.Body as Readable);
    } catch (e) {
      if (isStatus(e, 404)) throw new BlobNotFound(key);
      // 416: the range starts at or past the end (or the object is empty), which reads as nothing.
      if (isStatus(e, 416)) return this.emptyIfThere(key, objectKey);
      throw e;
    }
  }

  private async emptyIfThere(key: string, objectKey: string): Promise<Readable> {
    if ((await this.headObject(objectKey)) === null) throw new BlobNotFound(key);
    return Readable.from([]);
  }

  async stat(key: string): Promise<{ size: number } | null> {
    const h = await this.headObject(this.objectKey(key));
    return h === null ? null : { size: h.size };
  }

  head(key: string): Promise<ObjectHead | null> {
    return this.headObject(this.objectKey(key));
  }

  private async headObject(objectKey: string): Promise<ObjectHead | null> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return { size: r.ContentLength ?? 0, etag: r.ETag ?? '' };
    } catch (e) {
      if (isStatus(e, 404)) return null;
      throw e;
    }
  }

  /** Everything under the prefix that is a key of ours; anything else a person put there is skipped. */
  async *list(under = ''): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + under || undefined,
          ContinuationToken: token,
          MaxKeys: this.listPageSize,
        }),
      );
      for (const o of page.Contents ?? []) {
        const key = o.Key?.slice(this.prefix.length);
        if (key !== undefined && isKey(key)) yield key;
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
    } catch (e) {
      if (!isStatus(e, 404)) throw e;
    }
  }

  /** Closes the client's sockets (tests, shutdown). */
  close(): void {
    this.client.destroy();
  }
}

function clientConfig(opts: S3BackendOptions): S3ClientConfig {
  const checksums = opts.checksums === true ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED';
  const config: S3ClientConfig = {
    forcePathStyle: opts.forcePathStyle,
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
    // Without timeouts a stalled connection hangs a push for ever (the SDK's default).
    requestHandler: { connectionTimeout: 10_000, requestTimeout: opts.idleTimeoutMs ?? 120_000 },
  };
  // Only what was given: an explicit `undefined` would hide the SDK's own env/profile lookup.
  if (opts.region !== undefined) config.region = opts.region;
  if (opts.endpoint !== undefined) config.endpoint = opts.endpoint;
  if (opts.profile !== undefined) config.profile = opts.profile;
  if (opts.credentials !== undefined) config.credentials = opts.credentials;
  return config;
}

function isStatus(e: unknown, status: number): boolean {
  return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === status;
}

/** 409 ConditionalRequestConflict: another conditional write to the key is in flight; S3 asks for a retry. */
async function retryConflicts<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isStatus(e, 409) || attempt >= 4) throw e;
      await new Promise((r) => setTimeout(r, 50 * 2 ** attempt * (0.5 + Math.random())));
    }
  }
}
