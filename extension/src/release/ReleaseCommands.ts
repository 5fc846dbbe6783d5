import type { RegisterCommand } from '../Commands';
import { CommandId } from '../ids';
import type { ModelsTree } from './ModelsTree';
import type { ReleaseService, ReleaseTarget } from './ReleaseService';

/**
 * The release commands. Each is a thin adapter from its arguments (a History version or file
 * row, a Models stage row, an explorer Uri, nothing) to a ReleaseService call, which asks for
 * whatever the arguments do not say.
 */
export function registerReleaseCommands(register: RegisterCommand, s: ReleaseService, tree: ModelsTree): void {
  register(CommandId.Promote, 'Promote', (a) => s.promote(invokedOn(a)));
  register(CommandId.Demote, 'Demote', (a) => s.demote(invokedOn(a)));
  register(CommandId.ExportBundle, 'Export Deployment Bundle', (a) => s.exportBundle(invokedOn(a)));
  register(CommandId.RefreshModels, 'Refresh Models', async () => tree.refresh());
}

function invokedOn(a: unknown): ReleaseTarget {
  return a === undefined || a === null ? { kind: 'palette' } : { kind: 'argument', value: a };
}
