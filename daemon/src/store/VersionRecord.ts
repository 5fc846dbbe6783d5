import * as os from 'node:os';
import type { EnvironmentInfo, FileKind, GitState, LineageLink, Trigger } from '../../../shared/src/domain';

/** A blob as history names it: its hash, original and stored sizes and how it is stored. */
export interface BlobRecord {
  hash: string;
  size: number;
  storedSize: number;
  encoding: string;
}

/**
 * One version with everything another machine needs to hold it: what a push writes into a
 * history object and what a pull records. Rows' local ids never travel; `uid` is the id.
 */
export interface VersionRecord {
  uid: string;
  path: string;
  kind: FileKind;
  blob: BlobRecord;
  mtimeMs: number;
  createdAt: number;
  trigger: Trigger;
  message: string | null;
  snapshot: { id: string; createdAt: number; trigger: Trigger; message: string | null; git: GitState | null };
  environment: EnvironmentInfo | null;
  lineage: LineageLink | null;
  renamedFrom: string | null;
  author: string;
  host: string;
  /** The writer id of the project that recorded it. */
  origin: string;
  /** Other blobs its rows point at: the snapshot's git patch, the environment's lockfiles. */
  extraBlobs: BlobRecord[];
}

/** Who records versions on this machine: MLSNAP_AUTHOR / MLSNAP_HOST, else the login name and host name. */
export function localIdentity(): { author: string; host: string } {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the env variable or "unknown".
  }
  return { author: process.env.MLSNAP_AUTHOR ?? user, host: process.env.MLSNAP_HOST ?? os.hostname() };
}
