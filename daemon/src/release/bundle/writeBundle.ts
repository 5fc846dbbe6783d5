/**
 * Writes a deployment bundle (bundleFiles) into a folder. Every target is checked before
 * anything is written, so a refusal leaves the folder as it was: an existing file without
 * `force`, a symbolic link anywhere below the folder (it could point anywhere), a path that
 * would land outside the folder.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { MlsnapError } from '../../../../shared/src/errors';
import type { BundleFile } from './DeploymentBundle';

export interface WriteBundleOptions {
  dir: string;
  force: boolean;
  files: BundleFile[];
  /** Relative path (`model/mlp.pt`) the model bytes go to. */
  modelFile: string;
  /**
   * Writes the model's bytes at `dest` (absolute, inside `dir`, checked like the other targets).
   * It should write atomically, as writeVersionTo does (temp file + rename).
   */
  writeModel: (dest: string) => Promise<void>;
}

/** Checks a bundle-relative path (`/`-separated, no `.`/`..`/empty parts) and returns it absolute. */
function targetOf(dir: string, rel: string): string {
  const parts = rel.split('/');
  const bad = rel.includes('\0') || path.isAbsolute(rel) || parts.some((p) => p === '' || p === '.' || p === '..');
  const abs = path.resolve(dir, ...parts);
  const inside = dir.endsWith(path.sep) ? dir : dir + path.sep;
  if (bad || !abs.startsWith(inside))
    throw new MlsnapError('bad-request', `bundle file ${JSON.stringify(rel)} would be written outside ${dir}`, rel);
  return abs;
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new MlsnapError('io', `cannot inspect ${p}: ${(e as Error).message}`, p);
  }
}

/** Refuses a target that is a link or a folder, or sits below a link or a file; an existing one without force. */
function checkTarget(dir: string, abs: string, force: boolean): void {
  const parts = path.relative(dir, abs).split(path.sep);
  for (let i = 1; i <= parts.length; i++) {
    const p = path.join(dir, ...parts.slice(0, i));
    const st = lstatOrNull(p);
    if (!st) return;
    if (st.isSymbolicLink())
      throw new MlsnapError('conflict', `${p} is a symbolic link; mlsnap does not write through links`, p);
    const isLast = i === parts.length;
    if (!isLast && !st.isDirectory())
      throw new MlsnapError('conflict', `${p} is a file where the bundle needs a folder; pick another --to`, p);
    if (isLast && st.isDirectory()) throw new MlsnapError('conflict', `${p} is a folder; pick another --to`, p);
    if (isLast && !force)
      throw new MlsnapError('conflict', `${p} exists; pass --force to overwrite it, or pick another --to`, p);
  }
}

/**
 * Temp file beside the target, then rename: a reader never sees half a manifest, and the rename
 * replaces whatever the name holds (even a link made since the check) instead of writing through it.
 */
async function writeText(abs: string, content: string): Promise<void> {
  await fsp.mkdir(path.dirname(abs), { recursive: true });
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.mlsnap-${randomBytes(6).toString('hex')}`);
  const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
  const out = await fsp.open(tmp, flags, 0o644);
  try {
    await out.writeFile(content, 'utf8');
    await out.close();
    await fsp.rename(tmp, abs);
  } catch (e) {
    await out.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

async function makeDir(dir: string): Promise<void> {
  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR')
      throw new MlsnapError('conflict', `${dir} is not a folder; pick another --to`, dir);
    throw new MlsnapError('io', `cannot create ${dir}: ${(e as Error).message}`, dir);
  }
}

/** Writes the bundle; returns the paths written, relative to `dir`, sorted. */
export async function writeBundle(opts: WriteBundleOptions): Promise<string[]> {
  const dir = path.resolve(opts.dir);
  const rels = [...opts.files.map((f) => f.path), opts.modelFile];
  if (new Set(rels).size !== rels.length)
    throw new MlsnapError('bad-request', `bundle lists a file twice: ${rels.join(', ')}`);
  const targets = rels.map((rel) => targetOf(dir, rel));
  await makeDir(dir);
  for (const abs of targets) checkTarget(dir, abs, opts.force);
  const modelTarget = targets[targets.length - 1] as string;
  await fsp.mkdir(path.dirname(modelTarget), { recursive: true });
  // The model first: it is the write most likely to fail (size, disk), before any manifest names it.
  await opts.writeModel(modelTarget);
  if (!lstatOrNull(modelTarget)?.isFile())
    throw new MlsnapError('internal', `the model was not written to ${modelTarget}`, modelTarget);
  for (const [i, f] of opts.files.entries()) await writeText(targets[i] as string, f.content);
  return [...rels].sort();
}
