import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { VersionInfo } from '../../../shared/src/domain';
import { MlsnapError } from '../../../shared/src/errors';
import type { ContentStore } from '../store/blobs/ContentStore';

/**
 * Write a version's bytes to `target`: temp file beside it → fsync → rename, so a crash
 * leaves either the old file or the new one. What is read is rehashed: a corrupt blob is
 * never written out as if it were the version.
 */
export async function writeVersionTo(blobs: ContentStore, version: VersionInfo, target: string): Promise<void> {
  if (target.includes('\0')) throw new MlsnapError('bad-request', 'target path contains a NUL byte');
  const dir = path.dirname(target);
  await fsp.mkdir(dir, { recursive: true });
  const existing = lstatOrNull(target);
  if (existing?.isDirectory())
    throw new MlsnapError('conflict', `${target} is a directory; give a file path with --to`, target);
  // Never write through a symlink: it could point anywhere.
  if (existing?.isSymbolicLink())
    throw new MlsnapError('conflict', `${target} is a symbolic link; not followed`, target);
  const tmp = path.join(dir, `.${path.basename(target)}.mlsnap-${randomBytes(6).toString('hex')}`);
  const out = await fsp.open(
    tmp,
    fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
    0o644,
  );
  try {
    // Checked as it streams: a corrupt blob throws before the temp file is renamed into place.
    for await (const chunk of blobs.openVerified(version.blob, {
      size: version.size,
      label: `${version.path}@${version.seq}`,
    })) {
      await out.write(chunk as Buffer);
    }
    if (existing) await out.chmod(existing.mode & 0o7777);
    await out.sync();
    await out.close();
    await fsp.rename(tmp, target);
    const d = await fsp.open(dir, 'r');
    await d.sync().finally(() => d.close());
  } catch (e) {
    await out.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch {
    return null;
  }
}
