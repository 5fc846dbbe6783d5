import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CondaInfo } from '../../../shared/src/domain';
import { parseJsonObject } from './JsonObject';

type CondaPackage = CondaInfo['packages'][number];

/** conda-meta records list every file of a package; big ones (mkl, cuda) run to a few MB. */
const RECORD_MAX_BYTES = 32 * 1024 * 1024;

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** name/version/build/channel of one conda-meta record, or null for anything that is not one. */
export function parseCondaRecord(text: string): CondaPackage | null {
  const o = parseJsonObject(text);
  if (o === null) return null;
  if (typeof o.name !== 'string' || typeof o.version !== 'string') return null;
  const pkg: CondaPackage = { name: o.name, version: o.version };
  const build = optionalString(o.build);
  if (build !== undefined) pkg.build = build;
  const channel = optionalString(o.channel) ?? optionalString(o.schannel);
  if (channel !== undefined) pkg.channel = channel;
  return pkg;
}

async function readRecord(file: string): Promise<CondaPackage | null> {
  try {
    const st = await stat(file);
    if (!st.isFile() || st.size > RECORD_MAX_BYTES) return null;
    return parseCondaRecord(await readFile(file, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Packages of a conda environment, from `<prefix>/conda-meta/*.json` (what `conda list` reads).
 * Cached by the conda-meta directory's mtime, which changes on every install or removal.
 */
export class CondaMetaReader {
  private readonly cache = new Map<string, { mtimeMs: number; info: CondaInfo }>();

  async read(prefix: string): Promise<CondaInfo | null> {
    const metaDir = path.join(prefix, 'conda-meta');
    let mtimeMs: number;
    try {
      const st = await stat(metaDir);
      if (!st.isDirectory()) return null;
      mtimeMs = st.mtimeMs;
    } catch {
      return null;
    }
    const cached = this.cache.get(metaDir);
    if (cached !== undefined && cached.mtimeMs === mtimeMs) return cached.info;

    let names: string[];
    try {
      names = (await readdir(metaDir)).filter((n) => n.endsWith('.json')).sort();
    } catch {
      return null;
    }
    if (names.length === 0) return null;
    const packages: CondaPackage[] = [];
    // Sequential on purpose: records can be large and there is no hurry for a cached result.
    for (const name of names) {
      const pkg = await readRecord(path.join(metaDir, name));
      if (pkg !== null) packages.push(pkg);
    }
    packages.sort((a, b) => a.name.localeCompare(b.name));
    const info: CondaInfo = { prefix, packages };
    this.cache.set(metaDir, { mtimeMs, info });
    return info;
  }
}
