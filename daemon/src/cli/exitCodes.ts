import { EXIT_CODE } from '../../../shared/src/errors';

/**
 * Every exit code the CLI returns. Error kinds map through EXIT_CODE; the outcomes that are
 * not errors of the daemon get a name here so no command returns a bare number.
 */
export const CLI_EXIT = {
  ok: 0,
  /** Bad flags or arguments, as commander or a command reports them. */
  usage: EXIT_CODE['bad-request'],
  /** A failure that is not an MlsnapError: a bug, reported as such. */
  internal: EXIT_CODE.internal,
  /** `daemon status` when no daemon answers: the daemon is unavailable (9), as for every other command. */
  'daemon-not-running': EXIT_CODE['daemon-unavailable'],
  /** `check` found problems in the store (README: "exit 10 on problems"). */
  'check-failed': 10,
  /** `push` refused by the secret gate: nothing was sent. */
  'secret-found': 12,
  /** `reproduce` made the venv, but what got installed differs from the record. */
  'not-identical': 13,
} as const;
