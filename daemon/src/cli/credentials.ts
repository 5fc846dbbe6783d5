import { CREDENTIAL_VARIABLES, type Credentials } from '../../../shared/src/protocol';

/**
 * The credential and endpoint variables of the CLI's own environment, handed to the daemon
 * with the call (over loopback, with its token) so `AWS_PROFILE=team mlsnap push` means the
 * same as for the AWS CLI, whatever environment the daemon started in. Never written.
 */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const out: Credentials = {};
  for (const name of CREDENTIAL_VARIABLES) {
    const v = env[name];
    if (v !== undefined && v !== '') out[name] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `{ credentials }` when the environment holds any, for spreading into params. */
export function withCredentials(): { credentials?: Credentials } {
  const c = credentialsFromEnv();
  return c === undefined ? {} : { credentials: c };
}
