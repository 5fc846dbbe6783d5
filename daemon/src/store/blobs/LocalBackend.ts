import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { readFileRange } from './fileRange';
import { mapWithConcurrency } from '../../Concurrency';
import { fsyncFolder, makeDurable, makeFolderDurably } from './durable';
import { MlsnapError } from '../../../../shared/src/errors';
import {
  assertKey,
  isFileSource,
  SourceChanged,
  type BlobBackend,
  type BlobSource,
  type ByteRange,
  type PutOptions,
  type PutResult,
} from './BlobBackend';

/**
 * Blobs as files under `<store>/blobs/<key>` (keys are `ab/<hash>[.zst]`), written through
 * temp files in `<store>/tmp/`. Every put is: temp file → length check → fsync → link into
 * place (never over an existing blob: EEXIST means it is there, which is success) → fsync
 * the folder; a new shard folder is itself fsynced into blobs/ first. So a crash leaves a
 * complete blob or only a temp file, which `sweepTemp` removes at the next open.
 */
export class LocalBackend implements BlobBackend {
  readonly blobsDir: string;
  readonly tmpDir: string;

  constructor(storeDir: string) {
    this.blobsDir = path.join(storeDir, 'blobs');
    this.tmpDir = path.join(storeDir, 'tmp');
    fs.mkdirSync(this.blobsDir, { recursive: true });
    fs.mkdirSync(this.tmpDir, { recursive: true });
  }

  /** Remove temp files left by a crash: they were never linked, so nothing points at them. */
  sweepTemp(): number {
    let n = 0;
    for (const name of fs.readdirSync(this.tmpDir)) {
      fs.rmSync(path.join(this.tmpDir, name), { force: true });
      n++;
    }
    return n;
  }

  /** A fresh name in tmp/: pid first, so a sweep's leftovers can be told apart when debugging. */
  tempPath(): string {
    return path.join(this.tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  localPath(key: string): string {
    assertKey(key);
    return path.join(this.blobsDir, ...key.split('/'));
  }

  async put(key: string, source: BlobSource, opts: PutOptions = {}): Promise<PutResult> {
    const final = this.localPath(key);
    const tmp = this.tempPath();
    try {
      const size = isFileSource(source) ? await this.stageFile(source.file, tmp) : await this.stageStream(source, tmp);
      if (opts.length !== undefined && size !== opts.length) {
        throw new SourceChanged(`${key}: the source gave ${size} bytes, ${opts.length} were expected`);
      }
      await opts.beforeCommit?.();
      return await this.link(tmp, final);
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  /**
   * Many small blobs with two barriers in all, not two fsyncs each: temp files written, made
   * durable together; then linked into place (create-only, as put) and the links and any new
   * shard folders made durable together. Only then does the caller commit rows naming them,
   * so a crash at any point leaves complete blobs or temp files that the next open sweeps.
   */
  async putMany(entries: readonly { key: string; bytes: Uint8Array }[]): Promise<PutResult[]> {
    const staged = entries.map((e) => ({ bytes: e.bytes, final: this.localPath(e.key), tmp: this.tempPath() }));
    try {
      // Synchronous small writes (page cache only until the barrier), a turn of the loop every 64.
      await eachSync(staged, (s) => fs.writeFileSync(s.tmp, s.bytes, { flag: 'wx', mode: 0o444 }));
      await makeDurable(
        this.tmpDir,
        staged.map((s) => s.tmp),
      );
      const dirs = [...new Set(staged.map((s) => path.dirname(s.final)))];
      const made = await mapWithConcurrency(dirs, 16, (d) => fsp.mkdir(d, { recursive: true }));
      const results = await eachSync(staged, (s) => linkOnce(s.tmp, s.final, s.bytes.length));
      // New shard folders are entries of blobs/; every linked name is an entry of its shard.
      await makeDurable(this.blobsDir, made.some((m) => m !== undefined) ? [...dirs, this.blobsDir] : dirs);
      return results;
    } finally {
      for (const s of staged) fs.rmSync(s.tmp, { force: true });
    }
  }

  /** Write chunks to a new read-only temp file; returns the byte count, verified on disk. */
  private async stageStream(source: Uint8Array | AsyncIterable<Uint8Array>, tmp: string): Promise<number> {
    const out = await fsp.open(tmp, 'wx', 0o444);
    try {
      let written = 0;
      for await (const chunk of source instanceof Uint8Array ? [source] : source) written += await writeAll(out, chunk);
      const onDisk = (await out.stat()).size;
      if (onDisk !== written) throw new MlsnapError('io', `short write to ${tmp}: ${onDisk} of ${written} bytes`, tmp);
      await out.sync();
      return written;
    } finally {
      await out.close();
    }
  }

  /**
   * Let the kernel copy the file: a copy-on-write clone where the file system has one
   * (FICLONE), else copy_file_range. Never a hard link: the source may be written again.
   */
  private async stageFile(file: string, tmp: string): Promise<number> {
    await fsp.copyFile(file, tmp, fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE);
    const out = await fsp.open(tmp, 'r+');
    try {
      const size = (await out.stat()).size;
      await out.chmod(0o444);
      await out.sync();
      return size;
    } finally {
      await out.close();
    }
  }

  /** `link` fails with EEXIST rather than replacing, so an existing blob is never overwritten. */
  private async link(tmp: string, final: string): Promise<PutResult> {
    const dir = path.dirname(final);
    await makeFolderDurably(dir);
    let created = true;
    try {
      await fsp.link(tmp, final);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      created = false;
    }
    await fsp.rm(tmp, { force: true });
    await fsyncFolder(dir);
    return { created, size: (await fsp.stat(final)).size };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    return readFileRange(this.localPath(key), key, range);
  }

  async stat(key: string): Promise<{ size: number } | null> {
    try {
      return { size: (await fsp.stat(this.localPath(key))).size };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async *list(): AsyncIterable<string> {
    yield* walk(this.blobsDir, '');
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.localPath(key), { force: true });
  }
}

async function* walk(dir: string, prefix: string): AsyncGenerator<string> {
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const key = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) yield* walk(path.join(dir, entry.name), key);
    else if (entry.isFile()) yield key;
  }
}

/** Link a staged file to its final name; an existing blob there is success (`created: false`). */
function linkOnce(tmp: string, final: string, size: number): PutResult {
  try {
    fs.linkSync(tmp, final);
    return { created: true, size };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return { created: false, size: fs.statSync(final).size };
  }
}

/** `work` on each item synchronously, yielding to the event loop every 64 items. */
async function eachSync<T, R>(items: readonly T[], work: (item: T) => R): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) {
    out.push(work(item));
    if (out.length % 64 === 0) await new Promise((r) => setImmediate(r));
  }
  return out;
}

async function writeAll(out: fsp.FileHandle, chunk: Uint8Array): Promise<number> {
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await out.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
  return chunk.length;
}
