import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { fsyncFolder, makeFolderDurably } from '../../store/blobs/durable';
import { readFileRange } from '../../store/blobs/fileRange';
import { MlsnapError } from '../../../../shared/src/errors';
import {
  assertKey,
  isFileSource,
  type BlobSource,
  type ByteRange,
  type PutOptions,
  type PutResult,
} from '../../store/blobs/BlobBackend';
import {
  checkLength,
  fittingState,
  MiB,
  newUploadId,
  partCount,
  partRange,
  type FolderResumableState,
  type ObjectHead,
  type RangeSource,
  type RemoteBackend,
  type ResumableOptions,
  type ResumableState,
  type SwapResult,
} from './RemoteBackend';

export interface FolderBackendOptions {
  /** Bytes between fsyncs of a resumable upload, i.e. what a resume can lose. */
  partSize?: number;
  /** How long putIfMatch waits for another writer's lock before giving up. */
  lockWaitMs?: number;
  /** A lock older than this was left by a killed writer (locks are held for milliseconds). */
  staleLockMs?: number;
  /** Make `root` when it is missing (default). A team remote is not: a missing mount must not become a local folder. */
  create?: boolean;
}

/**
 * A shared folder (local disk, NFS or SMB mount) as a remote: keys are paths under `root`.
 * Everything in-flight is a dot-file beside its target (keys never start with a dot, so
 * `list` skips them): `.name.<pid>-<rand>.tmp` for a put, `.name.<uploadId>.part` for a
 * resumable upload, `.name.lock` for a compare-and-swap. Staging beside the target keeps the
 * final `link()` on one file system, which it must be for a hard link on a mount.
 *
 * Create-only: bytes are fsynced, then hard-linked into place; EEXIST means the object is
 * there already, which is success, and nothing is ever overwritten. Then the folder is
 * fsynced so the new name survives a crash.
 */
export class FolderBackend implements RemoteBackend {
  private readonly partSize: number;
  private readonly lockWaitMs: number;
  private readonly staleLockMs: number;

  constructor(
    readonly root: string,
    opts: FolderBackendOptions = {},
  ) {
    this.partSize = opts.partSize ?? 16 * MiB;
    this.lockWaitMs = opts.lockWaitMs ?? 10_000;
    this.staleLockMs = opts.staleLockMs ?? 30_000;
    if (opts.create !== false) fs.mkdirSync(root, { recursive: true });
  }

  localPath(key: string): string {
    assertKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, source: BlobSource, opts: PutOptions = {}): Promise<PutResult> {
    const final = this.localPath(key);
    await makeFolderDurably(path.dirname(final));
    const tmp = tempBeside(final, `${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
    try {
      const size = isFileSource(source) ? await stageFile(source.file, tmp) : await stageStream(source, tmp);
      checkLength(key, size, opts.length);
      await opts.beforeCommit?.();
      return await linkIntoPlace(tmp, final);
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  async putResumable(key: string, source: RangeSource, opts: ResumableOptions = {}): Promise<PutResult> {
    const final = this.localPath(key);
    const existing = await this.stat(key);
    if (existing !== null) return { created: false, size: existing.size };
    await makeFolderDurably(path.dirname(final));
    const state = fittingState('folder', key, source.size, opts.state) ?? this.freshState(key, source.size);
    const part = partPath(final, state.uploadId);
    await this.writeParts(part, source, state, opts);
    opts.signal?.throwIfAborted();
    await opts.beforeCommit?.();
    await fsp.chmod(part, 0o444);
    const result = await linkIntoPlace(part, final);
    await fsp.rm(part, { force: true });
    return result;
  }

  private freshState(key: string, size: number): FolderResumableState {
    return { kind: 'folder', key, size, partSize: this.partSize, uploadId: newUploadId(), length: 0 };
  }

  /**
   * Continue the .part file from what is both on disk and in the state (a byte past the
   * last reported fsync may not have survived a crash), cut back to a whole part.
   */
  private async writeParts(
    part: string,
    source: RangeSource,
    start: FolderResumableState,
    opts: ResumableOptions,
  ): Promise<void> {
    const h = await fsp.open(part, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    try {
      const kept = Math.min(start.length, (await h.stat()).size);
      const done = kept >= source.size ? source.size : kept - (kept % start.partSize);
      await h.truncate(done);
      let state = start;
      for (let i = Math.ceil(done / start.partSize); i < partCount(source.size, start.partSize); i++) {
        opts.signal?.throwIfAborted();
        const [offset, length] = partRange(i, source.size, start.partSize);
        await writeAllAt(h, await source.read(offset, length), offset);
        await h.sync();
        state = { ...state, length: offset + length };
        await opts.onState?.(state);
      }
      checkLength(start.key, (await h.stat()).size, source.size);
    } finally {
      await h.close();
    }
  }

  async discardResumable(state: ResumableState): Promise<void> {
    if (state.kind !== 'folder') return;
    await fsp.rm(partPath(this.localPath(state.key), state.uploadId), { force: true });
  }

  /**
   * Compare-and-swap under a lock file made with O_EXCL (atomic on local disks and NFSv3+):
   * the check and the rename must be one step, and a folder has no conditional rename.
   * The lock is held only for a stat and a rename, so one older than `staleLockMs` belongs
   * to a killed writer and is broken. Readers never wait: rename replaces the name
   * atomically, so they see the old object or the new one, whole.
   */
  async putIfMatch(key: string, bytes: Uint8Array, etag: string | null): Promise<SwapResult> {
    const final = this.localPath(key);
    await makeFolderDurably(path.dirname(final));
    const tmp = tempBeside(final, `${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
    try {
      await stageStream(bytes, tmp);
      return await this.withLock(final, () => this.swap(key, tmp, final, etag));
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  private async swap(key: string, tmp: string, final: string, etag: string | null): Promise<SwapResult> {
    const current = await this.head(key);
    if ((current?.etag ?? null) !== etag) return { swapped: false, current };
    if (etag === null) {
      // A plain put() takes no lock, so link (never rename) keeps create-only against it too.
      const r = await linkIntoPlace(tmp, final);
      if (!r.created) return { swapped: false, current: await this.head(key) };
    } else {
      await fsp.rename(tmp, final);
      await fsyncFolder(path.dirname(final));
    }
    const now = await this.head(key);
    if (now === null) throw new MlsnapError('io', `${final} vanished right after it was written`, final);
    return { swapped: true, etag: now.etag };
  }

  private async withLock<T>(final: string, fn: () => Promise<T>): Promise<T> {
    const lock = tempBeside(final, 'lock');
    await this.acquire(lock);
    try {
      return await fn();
    } finally {
      await fsp.rm(lock, { force: true });
    }
  }

  private async acquire(lock: string): Promise<void> {
    const deadline = Date.now() + this.lockWaitMs;
    for (;;) {
      try {
        await fsp.writeFile(lock, `${process.pid} ${new Date().toISOString()}\n`, { flag: 'wx' });
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      await this.breakIfStale(lock);
      if (Date.now() > deadline) {
        throw new MlsnapError('conflict', `${lock} is held by another writer (waited ${this.lockWaitMs} ms)`, lock);
      }
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
    }
  }

  /** Rename first: of several breakers only one wins the rename, so none removes a fresh lock. */
  private async breakIfStale(lock: string): Promise<void> {
    try {
      const age = Date.now() - (await fsp.stat(lock)).mtimeMs;
      if (age < this.staleLockMs) return;
      const aside = `${lock}-stale-${randomBytes(6).toString('hex')}`;
      await fsp.rename(lock, aside);
      await fsp.rm(aside, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    return readFileRange(this.localPath(key), key, range);
  }

  async stat(key: string): Promise<{ size: number } | null> {
    const h = await this.head(key);
    return h === null ? null : { size: h.size };
  }

  /**
   * The etag is inode, size and mtime in nanoseconds: every putIfMatch renames a new file
   * (a new inode) into place, so it changes on each write without hashing the bytes.
   */
  async head(key: string): Promise<ObjectHead | null> {
    try {
      const st = await fsp.stat(this.localPath(key), { bigint: true });
      if (!st.isFile()) return null;
      return {
        size: Number(st.size),
        etag: `${st.ino.toString(16)}-${st.size.toString(16)}-${st.mtimeNs.toString(16)}`,
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async *list(under = ''): AsyncIterable<string> {
    // `under` is a folder of keys (`data/`, `history/`): walk only it.
    const folder = under.replace(/\/$/, '');
    if (folder === '') {
      yield* walk(this.root, '');
      return;
    }
    assertKey(folder);
    try {
      yield* walk(path.join(this.root, ...folder.split('/')), folder);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.localPath(key), { force: true });
  }

  /**
   * Remove in-flight files (temp, .part, broken locks) older than `maxAgeMs`. Teammates
   * write into the same folder, so only what is clearly abandoned goes: the default week
   * matches how long Azure keeps uncommitted blocks.
   */
  async sweepStale(maxAgeMs = 7 * 24 * 3600_000): Promise<number> {
    let n = 0;
    for await (const file of inFlight(this.root)) {
      const st = await fsp.stat(file).catch(() => null);
      if (st === null || Date.now() - st.mtimeMs < maxAgeMs) continue;
      await fsp.rm(file, { force: true });
      n++;
    }
    return n;
  }
}

function tempBeside(final: string, suffix: string): string {
  return path.join(path.dirname(final), `.${path.basename(final)}.${suffix}`);
}

/** Deterministic per key and upload, so a resumed upload finds what the killed one wrote. */
function partPath(final: string, uploadId: string): string {
  return tempBeside(final, `${uploadId}.part`);
}

async function stageStream(source: Uint8Array | AsyncIterable<Uint8Array>, tmp: string): Promise<number> {
  const out = await fsp.open(tmp, 'wx', 0o444);
  try {
    let written = 0;
    for await (const chunk of source instanceof Uint8Array ? [source] : source) {
      await writeAllAt(out, chunk, written);
      written += chunk.length;
    }
    checkLength(tmp, (await out.stat()).size, written);
    await out.sync();
    return written;
  } finally {
    await out.close();
  }
}

/** The kernel copies (a clone where the file system can); never a hard link: the source may change. */
async function stageFile(file: string, tmp: string): Promise<number> {
  await fsp.copyFile(file, tmp, fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE);
  const out = await fsp.open(tmp, 'r+');
  try {
    await out.chmod(0o444);
    await out.sync();
    return (await out.stat()).size;
  } finally {
    await out.close();
  }
}

/** `link` fails with EEXIST rather than replacing: the create-only rule, even between machines. */
async function linkIntoPlace(staged: string, final: string): Promise<PutResult> {
  let created = true;
  try {
    await fsp.link(staged, final);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') {
      throw new MlsnapError(
        'io',
        `${path.dirname(final)} does not allow hard links (${code}), which create-only writes need; ` +
          'an SMB mount needs the Unix extensions, a FUSE mount hard-link support',
        final,
      );
    }
    if (code !== 'EEXIST') throw e;
    created = false;
  }
  await fsp.rm(staged, { force: true });
  await fsyncFolder(path.dirname(final));
  return { created, size: (await fsp.stat(final)).size };
}

async function writeAllAt(out: fsp.FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await out.write(chunk, off, chunk.length - off, position + off);
    off += bytesWritten;
  }
}

async function* walk(dir: string, prefix: string): AsyncGenerator<string> {
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue; // in-flight files; keys never start with a dot
    const key = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) yield* walk(path.join(dir, entry.name), key);
    else if (entry.isFile()) yield key;
  }
}

async function* inFlight(dir: string): AsyncGenerator<string> {
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory() && !entry.name.startsWith('.')) yield* inFlight(p);
    else if (entry.isFile() && entry.name.startsWith('.') && /\.(tmp|part)$|\.lock-stale-/.test(entry.name)) yield p;
  }
}
