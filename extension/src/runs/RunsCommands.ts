import type { RegisterCommand } from '../Commands';
import { CommandId } from '../ids';
import type { RunsService, RunsTarget } from './RunsService';
import type { RunsTree } from './RunsTree';

/**
 * The runs commands. Each is a thin adapter from its arguments (a Runs row, a History row, an
 * explorer Uri, nothing) to a RunsService call, which finds the project and run meant.
 */
export function registerRunsCommands(register: RegisterCommand, s: RunsService, tree: RunsTree): void {
  register(CommandId.OpenRunsTable, 'Open Runs Table', (a) => s.openTable(invokedOn(a)));
  register(CommandId.CompareRunWithPrevious, 'Compare with Previous Run', (a) => s.compareWithPrevious(invokedOn(a)));
  register(CommandId.ShowModelTrend, 'Show Metric Trend', (a) => s.showModelTrend(invokedOn(a)));
  register(CommandId.RefreshRuns, 'Refresh Runs', async () => tree.refresh());
}

function invokedOn(a: unknown): RunsTarget {
  return a === undefined || a === null ? { kind: 'palette' } : { kind: 'argument', value: a };
}
