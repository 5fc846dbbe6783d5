/**
 * Typed errors that cross the wire. The daemon never sends a stack trace: it sends
 * `{kind, message, path?}` and keeps the detail in its own log.
 */
export type ErrorKind =
  | 'bad-request' // params missing or malformed
  | 'unauthorized' // token missing or wrong
  | 'forbidden' // Host or Origin refused
  | 'not-found' // ref, file, project or method unknown
  | 'not-initialized' // no .mlsnap store in or above the folder
  | 'invalid-file' // a notebook that is not JSON, a file that kept changing
  | 'conflict' // tag already used, restore target is a directory...
  | 'io' // disk full, permission denied
  | 'daemon-unavailable' // client side: could not reach or start the daemon
  | 'remote' // a team remote refused, is unreachable, lacks credentials, or holds a bad object
  | 'gate' // a release gate (or a stage's policy) refused a promotion
  | 'internal';

export interface ErrorPayload {
  kind: ErrorKind;
  message: string;
  path?: string;
}

export class MlsnapError extends Error {
  readonly kind: ErrorKind;
  readonly path: string | undefined;

  constructor(kind: ErrorKind, message: string, path?: string) {
    super(message);
    this.name = 'MlsnapError';
    this.kind = kind;
    this.path = path;
  }

  toPayload(): ErrorPayload {
    return this.path === undefined
      ? { kind: this.kind, message: this.message }
      : { kind: this.kind, message: this.message, path: this.path };
  }

  static fromPayload(p: ErrorPayload): MlsnapError {
    return new MlsnapError(p.kind, p.message, p.path);
  }
}

export function isErrorPayload(value: unknown): value is ErrorPayload {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['kind'] === 'string' && typeof v['message'] === 'string';
}

/** HTTP status for each error kind, used by the HTTP transport only. */
export const HTTP_STATUS: Record<ErrorKind, number> = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'not-initialized': 404,
  'invalid-file': 422,
  conflict: 409,
  io: 500,
  'daemon-unavailable': 503,
  remote: 502,
  gate: 422,
  internal: 500,
};

/** CLI exit code for each error kind: scripts can tell "not found" from "daemon down". */
export const EXIT_CODE: Record<ErrorKind, number> = {
  'bad-request': 2,
  unauthorized: 5,
  forbidden: 5,
  'not-found': 3,
  'not-initialized': 4,
  'invalid-file': 6,
  conflict: 7,
  io: 8,
  'daemon-unavailable': 9,
  remote: 11,
  gate: 14,
  internal: 1,
};
