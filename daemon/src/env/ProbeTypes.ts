/**
 * What environment capture needs from its surroundings, in a module of its own so the probes
 * (git, lockfiles, interpreter resolution) and EnvironmentProbe import it without importing
 * each other in a circle.
 */

/** Where capture stores what it keeps as blobs (git patches, lockfiles). */
export interface BlobSink {
  putBuffer(data: Buffer, opts: { compress: boolean }): Promise<string>;
  /** Whether a blob is still stored (gc may have freed one a cache remembers). */
  has(hash: string): boolean;
}

export interface ProbeLog {
  info(msg: string): void;
  warn(msg: string): void;
}
