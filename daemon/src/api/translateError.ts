import { MlsnapError } from '../../../shared/src/errors';
import type { Log } from '../Log';

/**
 * errno codes that mean the machine, not the request, is at fault (disk full, read-only,
 * permissions): the user can act on them, so they travel as `io` with their message.
 */
const IO_CODES = new Set(['ENOSPC', 'EIO', 'EACCES', 'EPERM', 'EROFS', 'EDQUOT', 'EMFILE', 'ENFILE']);

/**
 * The one translation of a thrown value into what crosses the wire, for the HTTP and the
 * JSON-RPC servers alike. Typed errors pass as they are; I/O failures become `io`; anything
 * else is `internal` with no detail (the detail, and every stack, goes to the daemon log).
 */
export function translateError(e: unknown, what: string, log: Log): MlsnapError {
  if (e instanceof MlsnapError) {
    if (e.kind === 'internal' || e.kind === 'io') log.error(`${what} failed`, e);
    return e;
  }
  log.error(`${what} failed`, e);
  const errno = e as NodeJS.ErrnoException;
  if (typeof errno?.code === 'string' && IO_CODES.has(errno.code)) {
    return new MlsnapError('io', `${what}: ${errno.message}`, errno.path);
  }
  return new MlsnapError('internal', `${what} failed; the daemon log has the detail`);
}
