import type { RegisterCommand } from '../Commands';
import { CommandId } from '../ids';
import type { RemoteService } from './RemoteService';

/**
 * The remote commands. Each is a thin adapter from its arguments (a History row, a project
 * root, nothing) to a RemoteService call; with no project named, the service asks.
 */
export function registerRemoteCommands(register: RegisterCommand, s: RemoteService): void {
  register(CommandId.AddRemote, 'Add Remote', (a) => s.addRemote(rootOf(a)));
  register(CommandId.Push, 'Push', (a) => s.push(rootOf(a)));
  register(CommandId.Pull, 'Pull', (a) => s.pull(rootOf(a)));
  register(CommandId.SetRemoteCredentials, 'Set Remote Credentials', (a) => s.setCredentials(rootOf(a)));
  register(CommandId.RemoveRemote, 'Remove Remote', (a) => s.removeRemote(rootOf(a)));
}

/** The project a command was invoked on: a History row (project, file or version) or a root path. */
function rootOf(a: unknown): string | undefined {
  if (typeof a === 'string' && a !== '') return a;
  const root = (a as { root?: unknown } | null | undefined)?.root;
  return typeof root === 'string' ? root : undefined;
}
