import * as vscode from 'vscode';
import type { RunSummary } from '../../../shared/src/runs';
import type { DaemonConnection } from '../connection/DaemonConnection';
import { DisposableStore } from '../Disposables';
import type { OutputLog } from '../OutputLog';
import {
  AlertMemory,
  metricText,
  regressionMessage,
  regressions,
  regressionText,
  shortRunId,
  sourceKey,
} from '../presentation/runs';
import type { ProjectCatalog } from '../ProjectCatalog';
import { regressionAlertSettings } from '../SettingsSync';
import type { RunsPanels } from './RunsPanel';

const COMPARE = 'Compare Runs';

/**
 * The regression alert: when a run of a notebook or script ends with a metric (one with a
 * direction) worse than the previous run of the same source by more than
 * `mlsnap.runs.regressionThreshold` percent, a warning names it and by how much, with
 * "Compare Runs". A run is announced several times as it grows; each run+metric alerts once.
 */
export class RegressionAlerts implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly memory = new AlertMemory();

  constructor(
    daemon: DaemonConnection,
    private readonly catalog: ProjectCatalog,
    private readonly panels: RunsPanels,
    private readonly log: OutputLog,
  ) {
    this.store.track(daemon.onDidRun((e) => void this.check(e.root, e.run, e.previous)));
  }

  private async check(root: string, run: RunSummary, previous: RunSummary | null): Promise<void> {
    // Every window hears of every project's runs: the window of the project alerts.
    if (!previous || sourceKey(previous) !== sourceKey(run) || !this.catalog.roots.includes(root)) return;
    const settings = regressionAlertSettings(root);
    if (!settings.enabled) return;
    const regs = this.memory.fresh(root, run.id, regressions(run, previous, settings.thresholdPercent));
    if (regs.length === 0) return;
    const message = regressionMessage(run, regs);
    this.log.warn(
      `regression in run ${run.id} against ${previous.id} (threshold ${settings.thresholdPercent}%): ${regs.map(regressionText).join('; ')}` +
        `; all metrics: ${run.metrics.map((m) => `${m.name}=${metricText(m.final)}`).join(' ')}`,
    );
    const picked = await vscode.window.showWarningMessage(`mlsnap: ${message}`, COMPARE);
    if (picked !== COMPARE) return;
    try {
      this.panels.show(root, { compare: [previous.id, run.id] });
    } catch (e) {
      await this.log.showError(`Comparing ${shortRunId(previous.id)} with ${shortRunId(run.id)}`, e);
    }
  }

  dispose(): void {
    this.store.dispose();
  }
}
