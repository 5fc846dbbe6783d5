import * as os from 'node:os';
import type { Identity } from './presentation/summaries';

/**
 * Who the daemon records versions as on this machine: MLSNAP_AUTHOR and MLSNAP_HOST, else
 * the login name and host name (the daemon's own rule; it runs as this user, with the
 * environment of whoever started it). History names the author of versions recorded by
 * anyone else. The daemon does not say this itself yet, so the editor works it out the same way.
 */
export function localIdentity(env: NodeJS.ProcessEnv = process.env): Identity {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the variable or "unknown", as the daemon does.
  }
  return { author: env['MLSNAP_AUTHOR'] ?? user, host: env['MLSNAP_HOST'] ?? os.hostname() };
}
