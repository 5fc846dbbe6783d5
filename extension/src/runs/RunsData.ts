import * as vscode from 'vscode';
import type { MetricSeries, MetricTrend, RunComparison, RunSummary } from '../../../shared/src/runs';
import type { DaemonConnection } from '../connection/DaemonConnection';
import { DisposableStore } from '../Disposables';
import type { ProjectCatalog } from '../ProjectCatalog';

/** A run announces itself several times (inferred, outputs, ended) and records come in bursts: read once after. */
const DEBOUNCE_MS = 300;
/** How many runs the view and the table read per project. */
export const RUNS_LIMIT = 500;

/**
 * The runs of this window's projects, from the daemon, and when they change: `mlsnap/didRun`
 * and `mlsnap/didRecord` for a project (debounced), the daemon coming or going, the projects
 * changing (`undefined`: every project).
 */
export class RunsData implements vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<string | undefined>();
  readonly onDidChange = this._onDidChange.event;
  private readonly store = new DisposableStore();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly daemon: DaemonConnection,
    private readonly catalog: ProjectCatalog,
  ) {
    this.store.track(this._onDidChange);
    this.store.track(daemon.onDidRun((e) => this.schedule(e.root)));
    this.store.track(daemon.onDidRecord((e) => this.schedule(e.root)));
    this.store.track(daemon.onDidChangeState(() => this._onDidChange.fire(undefined)));
    this.store.track(catalog.onDidChange(() => this._onDidChange.fire(undefined)));
    this.store.track(new vscode.Disposable(() => this.timers.forEach((t) => clearTimeout(t))));
  }

  get roots(): readonly string[] {
    return this.catalog.roots;
  }

  get running(): boolean {
    return this.daemon.state === 'running';
  }

  /** Throws the error whose action starts the daemon when none answers. */
  requireRunning(): void {
    this.daemon.requireRunning();
  }

  /** Newest first. */
  list(root: string, source?: string): Promise<RunSummary[]> {
    return this.daemon.call('runs/list', { root, limit: RUNS_LIMIT, ...(source === undefined ? {} : { source }) });
  }

  show(root: string, run: string): Promise<RunSummary> {
    return this.daemon.call('runs/show', { root, run });
  }

  compare(root: string, a: string, b: string): Promise<RunComparison> {
    return this.daemon.call('runs/compare', { root, a, b });
  }

  series(root: string, runs: string[], metric: string): Promise<MetricSeries[]> {
    return this.daemon.call('runs/series', { root, runs, metric });
  }

  trend(root: string, path: string): Promise<MetricTrend> {
    return this.daemon.call('runs/trend', { root, path });
  }

  private schedule(root: string): void {
    // Every window hears of every project's runs: only this window's matter.
    if (!this.catalog.roots.includes(root)) return;
    clearTimeout(this.timers.get(root));
    this.timers.set(
      root,
      setTimeout(() => {
        this.timers.delete(root);
        this._onDidChange.fire(root);
      }, DEBOUNCE_MS),
    );
  }

  dispose(): void {
    this.store.dispose();
  }
}
