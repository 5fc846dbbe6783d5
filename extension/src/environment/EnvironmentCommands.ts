import type { RegisterCommand } from '../Commands';
import { CommandId } from '../ids';
import type { EnvironmentService, EnvironmentTarget } from './EnvironmentService';

/**
 * The environment commands. Each is a thin adapter from its arguments (a History row, an
 * Environment row, nothing) to an EnvironmentService call, which finds the version meant.
 */
export function registerEnvironmentCommands(register: RegisterCommand, s: EnvironmentService): void {
  register(CommandId.ExportEnvironment, 'Export Environment', (a) => s.exportEnvironment(invokedOn(a)));
  register(CommandId.ReproduceEnvironment, 'Reproduce Environment', (a) => s.reproduceEnvironment(invokedOn(a)));
  register(CommandId.ExportShownEnvironment, 'Export Environment', () => s.exportEnvironment({ kind: 'shown' }));
  register(CommandId.ReproduceShownEnvironment, 'Reproduce Environment', () =>
    s.reproduceEnvironment({ kind: 'shown' }),
  );
}

function invokedOn(a: unknown): EnvironmentTarget {
  return a === undefined || a === null ? { kind: 'palette' } : { kind: 'argument', value: a };
}
