import type { Dirent } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { PackageInfo } from '../../../shared/src/domain';
import { mapWithConcurrency } from '../Concurrency';

/** Name/Version are at the top of METADATA; the long description after them can be megabytes. */
const HEADER_BYTES = 64 * 1024;
const DIRECT_URL_MAX_BYTES = 64 * 1024;
/** Enough parallel reads to be quick on a 300-package dist-packages without running out of fds. */
const READ_CONCURRENCY = 16;

/** PEP 503 normalisation: the form under which two spellings are the same distribution. */
export function normalizePackageName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Name and Version from RFC 822-style core metadata (METADATA / PKG-INFO). */
export function parseCoreMetadata(text: string): { name?: string; version?: string } {
  const out: { name?: string; version?: string } = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break; // headers end at the first blank line; the body is the description
    const m = /^(Name|Version):\s*(.*?)\s*$/i.exec(line);
    if (m === null) continue;
    const key = (m[1] ?? '').toLowerCase();
    const value = m[2] ?? '';
    if (key === 'name' && out.name === undefined) out.name = value;
    if (key === 'version' && out.version === undefined) out.version = value;
  }
  return out;
}

async function readHead(file: string, maxBytes: number): Promise<string | null> {
  let handle;
  try {
    handle = await open(file, 'r');
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } catch {
    return null;
  } finally {
    await handle?.close();
  }
}

async function readSmallText(file: string, maxBytes: number): Promise<string | null> {
  try {
    const st = await stat(file);
    if (!st.isFile() || st.size > maxBytes) return null;
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

interface MetadataEntry {
  /** File holding the core metadata. */
  metadataFile: string;
  /** Directory holding INSTALLER / direct_url.json, when the format has one. */
  infoDir: string | null;
  /** Name and version from the entry's own name, used when headers are missing. */
  fallbackName: string;
  fallbackVersion: string;
}

/** Recognise the metadata layouts on a sys.path directory: .dist-info, .egg-info (dir or file), .egg dirs. */
function metadataEntry(dir: string, entry: string, isDirectory: boolean): MetadataEntry | null {
  const full = path.join(dir, entry);
  const [stemName = '', stemVersion = ''] = entry.replace(/\.(dist-info|egg-info|egg)$/, '').split('-');
  const base = { fallbackName: stemName, fallbackVersion: stemVersion };
  if (entry.endsWith('.dist-info') && isDirectory) {
    return { metadataFile: path.join(full, 'METADATA'), infoDir: full, ...base };
  }
  if (entry.endsWith('.egg-info')) {
    return isDirectory
      ? { metadataFile: path.join(full, 'PKG-INFO'), infoDir: full, ...base }
      : { metadataFile: full, infoDir: null, ...base };
  }
  if (entry.endsWith('.egg') && isDirectory) {
    return { metadataFile: path.join(full, 'EGG-INFO', 'PKG-INFO'), infoDir: path.join(full, 'EGG-INFO'), ...base };
  }
  return null;
}

async function readPackage(location: string, entry: MetadataEntry): Promise<PackageInfo | null> {
  const head = await readHead(entry.metadataFile, HEADER_BYTES);
  const headers = head === null ? {} : parseCoreMetadata(head);
  const name = headers.name ?? entry.fallbackName;
  if (name === '') return null;
  const pkg: PackageInfo = { name, version: headers.version ?? entry.fallbackVersion, location };
  if (entry.infoDir !== null) {
    const installer = await readSmallText(path.join(entry.infoDir, 'INSTALLER'), 1024);
    if (installer !== null && installer.trim() !== '') pkg.installer = installer.trim();
    const directUrl = await readSmallText(path.join(entry.infoDir, 'direct_url.json'), DIRECT_URL_MAX_BYTES);
    if (directUrl !== null) {
      try {
        pkg.directUrl = JSON.parse(directUrl) as unknown;
      } catch {
        // A broken direct_url.json says nothing reliable; leave it out.
      }
    }
  }
  return pkg;
}

/** Dirent type, following a symlink (some distros link metadata dirs into dist-packages). */
async function isDirectoryEntry(dir: string, d: Dirent): Promise<boolean> {
  if (!d.isSymbolicLink()) return d.isDirectory();
  try {
    return (await stat(path.join(dir, d.name))).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Installed distributions, read from metadata files on sys.path the way importlib.metadata finds
 * them, without running Python. Each directory's listing is cached by its mtime, which changes
 * whenever a distribution is installed or removed there.
 */
export class SitePackagesReader {
  private readonly dirCache = new Map<string, { mtimeMs: number; packages: PackageInfo[] }>();

  async read(sysPath: readonly string[]): Promise<PackageInfo[]> {
    const perDir = await Promise.all(sysPath.map((dir) => this.readDir(dir)));
    const seen = new Set<string>();
    const packages: PackageInfo[] = [];
    // First occurrence on sys.path wins: that is the one `import` would load.
    for (const pkg of perDir.flat()) {
      const key = normalizePackageName(pkg.name);
      if (seen.has(key)) continue;
      seen.add(key);
      packages.push(pkg);
    }
    // A stable order keeps identical environments byte-identical (environments are stored by content).
    return packages.sort((a, b) => normalizePackageName(a.name).localeCompare(normalizePackageName(b.name)));
  }

  private async readDir(dir: string): Promise<PackageInfo[]> {
    let mtimeMs: number;
    try {
      const st = await stat(dir);
      if (!st.isDirectory()) return []; // zip files on sys.path (python311.zip) hold no dist-info we read
      mtimeMs = st.mtimeMs;
    } catch {
      return [];
    }
    const cached = this.dirCache.get(dir);
    if (cached !== undefined && cached.mtimeMs === mtimeMs) return cached.packages;

    let dirents;
    try {
      dirents = await readdir(dir, { withFileTypes: true });
    } catch {
      return [];
    }
    const named = dirents.filter((d) => /\.(dist-info|egg-info|egg)$/.test(d.name));
    const entries = (
      await Promise.all(named.map(async (d) => metadataEntry(dir, d.name, await isDirectoryEntry(dir, d))))
    )
      .filter((e): e is MetadataEntry => e !== null)
      .sort((a, b) => a.metadataFile.localeCompare(b.metadataFile));
    const read = await mapWithConcurrency(entries, READ_CONCURRENCY, (e) => readPackage(dir, e));
    const packages = read.filter((p): p is PackageInfo => p !== null);
    this.dirCache.set(dir, { mtimeMs, packages });
    return packages;
  }
}
