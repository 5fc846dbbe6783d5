import { Blake3Hasher } from '@napi-rs/blake-hash';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { MlsnapError } from '../../../../shared/src/errors';
import type { StagePointer, StageTarget } from '../../../../shared/src/release';
import type { RemoteSession } from '../../remote/sync/RemoteSession';
import { assertModelPath, assertStageName } from '../stages/StageFormat';
import { StageStore } from '../stages/StageStore';
import { fsyncFolder } from '../../store/blobs/durable';

export interface FetchedStage {
  pointer: StagePointer;
  etag: string;
  /** The file written, or null when the pointer's etag was `unlessEtag` (nothing changed). */
  file: string | null;
  bytes: number;
}

/**
 * What a deployment host runs: read a stage's pointer and fetch the bytes it names, hashed
 * (size, sha256 and BLAKE3 against the pointer) on the way down. Nothing is written at `dest`
 * unless every check passes: the bytes land in a temp file beside it, fsynced, then renamed.
 */
export async function fetchStage(
  session: RemoteSession,
  where: { model: string; stage: string },
  dest: string,
  opts: { unlessEtag?: string } = {},
): Promise<FetchedStage> {
  assertModelPath(where.model);
  assertStageName(where.stage);
  const read = await new StageStore(session).read(where.model, where.stage);
  if (read === null)
    throw new MlsnapError('not-found', `${session.where} has no stage ${where.stage} of ${where.model}`, where.model);
  const target = read.pointer.target;
  if (target === null)
    throw new MlsnapError(
      'not-found',
      `stage ${where.stage} of ${where.model} holds no version (demoted by ${read.pointer.movedBy} at ${new Date(read.pointer.movedAt).toISOString()})`,
      where.model,
    );
  if (opts.unlessEtag !== undefined && opts.unlessEtag === read.etag)
    return { pointer: read.pointer, etag: read.etag, file: null, bytes: 0 };
  const file = await targetFile(dest, where.model);
  await download(session, target, file);
  return { pointer: read.pointer, etag: read.etag, file, bytes: target.object.size };
}

/**
 * `dest` itself, or the model's file name inside it when it is a folder. Its folder must
 * exist (a mistyped path is not made on a deployment host), and the file must not be a folder.
 * A `dest` ending in a slash names a folder, as for cp: never a file written under that name.
 */
async function targetFile(dest: string, model: string): Promise<string> {
  const st = await statOrNull(dest);
  if (dest.endsWith(path.sep) && st?.isDirectory() !== true) {
    const dir = path.resolve(dest);
    // stat("file/") fails ENOTDIR: the name without its slash tells a file from nothing.
    if ((await statOrNull(dir)) === null)
      throw new MlsnapError(
        'not-found',
        `${dir} does not exist: make it first (mkdir -p ${dir}), or name another <dest>`,
        dir,
      );
    throw new MlsnapError('conflict', `${dir} is not a folder; name another <dest>`, dir);
  }
  const file = st?.isDirectory() === true ? path.join(dest, path.posix.basename(model)) : path.resolve(dest);
  const dir = path.dirname(file);
  const parent = await statOrNull(dir);
  if (parent === null)
    throw new MlsnapError(
      'not-found',
      `${dir} does not exist: make it first (mkdir -p ${dir}), or name another <dest>`,
      dir,
    );
  if (!parent.isDirectory()) throw new MlsnapError('conflict', `${dir} is not a folder; name another <dest>`, dir);
  if ((await statOrNull(file))?.isDirectory() === true)
    throw new MlsnapError('conflict', `${file} is a folder; name the file to write, or another folder`, file);
  return file;
}

async function statOrNull(p: string): Promise<fs.Stats | null> {
  try {
    return await fsp.stat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw localError(p, e);
  }
}

/** A failure of this machine's disk, naming the file: `io`, never said as the remote's. */
function localError(file: string, e: unknown): MlsnapError {
  if (e instanceof MlsnapError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const fix =
    code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? `: ${path.dirname(file)} is not writable by this user; fix its permissions or name another <dest>`
      : code === 'ENOSPC' || code === 'EDQUOT'
        ? `: the disk is full; free space there or name another <dest>`
        : '';
  return new MlsnapError('io', `cannot write ${file} (${code ?? (e as Error).message})${fix}`, file);
}

async function download(session: RemoteSession, target: StageTarget, file: string): Promise<void> {
  const key = target.object.key;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.part`);
  const sha = createHash('sha256');
  const b3 = new Blake3Hasher();
  let size = 0;
  try {
    const stream = await session.backend.get(key).catch((e: unknown) => {
      if ((e as Error).name === 'BlobNotFound')
        throw new MlsnapError(
          'remote',
          `${session.where}: the stage's pointer names object ${key}, which is not there; promote the version again`,
        );
      throw session.errorOf(e);
    });
    const out = await fsp.open(tmp, 'wx', 0o644).catch((e: unknown) => {
      stream.destroy();
      throw localError(file, e);
    });
    try {
      // Failures reading the remote are the remote's; failures writing here are this disk's.
      const chunks = (async function* (): AsyncGenerator<Buffer> {
        try {
          for await (const chunk of stream) yield chunk as Buffer;
        } catch (e) {
          throw session.errorOf(e);
        }
      })();
      for await (const c of chunks) {
        size += c.length;
        // The pointer says how much to expect: an object that runs past it is the wrong one, and
        // is not downloaded whole (a hostile pointer could name a huge blob) to find that out.
        if (size > target.object.size) {
          stream.destroy();
          throw new MlsnapError(
            'remote',
            `${session.where}: object ${key} does not match the stage's pointer (more than the ${target.object.size} bytes it says); nothing was written to ${file}`,
            file,
          );
        }
        sha.update(c);
        b3.update(c);
        await writeAll(out, c).catch((e: unknown) => {
          throw localError(file, e);
        });
      }
      await out.sync().catch((e: unknown) => {
        throw localError(file, e);
      });
    } finally {
      await out.close();
    }
    const why = mismatch(target, size, sha.digest('hex'), b3.digest('hex'));
    if (why !== null)
      throw new MlsnapError(
        'remote',
        `${session.where}: object ${key} does not match the stage's pointer (${why}); nothing was written to ${file}`,
        file,
      );
    await fsp.rename(tmp, file).catch((e: unknown) => {
      throw localError(file, e);
    });
    await fsyncFolder(path.dirname(file)).catch((e: unknown) => {
      throw localError(path.dirname(file), e);
    });
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

function mismatch(t: StageTarget, size: number, sha256: string, blake3: string): string | null {
  if (size !== t.object.size) return `${size} bytes, the pointer says ${t.object.size}`;
  if (sha256 !== t.object.sha256)
    return `sha256 ${sha256.slice(0, 16)}…, the pointer says ${t.object.sha256.slice(0, 16)}…`;
  if (blake3 !== t.object.blake3)
    return `blake3 ${blake3.slice(0, 16)}…, the pointer says ${t.object.blake3.slice(0, 16)}…`;
  return null;
}

async function writeAll(out: fsp.FileHandle, chunk: Buffer): Promise<void> {
  for (let off = 0; off < chunk.length;) {
    const { bytesWritten } = await out.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}
