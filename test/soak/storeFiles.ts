import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ContentStore, type BlobEncoding } from '../../daemon/src/store/blobs/ContentStore';

/** The blob files under `.mlsnap/blobs/` against the `blob` table's rows. */
export interface BlobFileReport {
  /** Rows whose bytes should be here (here = 1) but have no file under their key: dangling. */
  rowsWithoutFile: string[];
  /** Files no row names (hashes). */
  filesWithoutRow: string[];
  /** Files under blobs/ that are not named `ab/<hash>` or `ab/<hash>.zst`. */
  strayFiles: string[];
  /** Leftovers in tmp/ (the daemon sweeps it when it opens the project). */
  tempFiles: string[];
  /** Every row's hash, here or not. */
  rowHashes: string[];
}

const BLOB_NAME = /^([0-9a-f]{2})\/([0-9a-f]{64})(\.zst)?$/;

/**
 * Compare the store's blob files with its rows, as laid out by LocalBackend and ContentStore:
 * `blobs/<first two hex>/<blake3>` for raw content, `…/<blake3>.zst` for zstd, one row per
 * blob in `blob` (migrations.ts; `here = 0` rows are known only from a remote and have no
 * file yet). Read with a read-only connection of our own, beside the daemon's (WAL), while
 * the daemon is idle, so nothing is half-way between file and row.
 */
export function compareBlobFiles(storeDir: string): BlobFileReport {
  const rows = readRows(path.join(storeDir, 'store.db'));
  const files = new Map<string, string>(); // hash -> key
  const strayFiles: string[] = [];
  for (const key of walk(path.join(storeDir, 'blobs'), '')) {
    const m = BLOB_NAME.exec(key);
    if (m === null || m[1] !== m[2]?.slice(0, 2)) strayFiles.push(key);
    // One content is stored under one encoding only (ContentStore checks before it commits).
    else if (files.has(m[2] as string)) strayFiles.push(`${key} (also stored as ${files.get(m[2] as string)})`);
    else files.set(m[2] as string, key);
  }
  const rowsWithoutFile = rows
    .filter((r) => r.here === 1 && files.get(r.hash) !== ContentStore.keyOf(r.hash, r.encoding as BlobEncoding))
    .map((r) => r.hash);
  const named = new Set(rows.map((r) => r.hash));
  return {
    rowsWithoutFile,
    filesWithoutRow: [...files.keys()].filter((h) => !named.has(h)),
    strayFiles,
    tempFiles: fs.readdirSync(path.join(storeDir, 'tmp')),
    rowHashes: [...named],
  };
}

function readRows(dbFile: string): { hash: string; encoding: string; here: number }[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare('SELECT hash, encoding, here FROM blob').all() as {
      hash: string;
      encoding: string;
      here: number;
    }[];
  } finally {
    db.close();
  }
}

function* walk(dir: string, prefix: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const key = prefix === '' ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) yield* walk(path.join(dir, e.name), key);
    else yield key;
  }
}
