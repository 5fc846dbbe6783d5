import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import chartsScript from 'webview-bundle:runsCharts';
import tableScript from 'webview-bundle:runsTable';
import { DisposableStore } from '../Disposables';
import type { VersionDiffer } from '../history/HistoryFeature';
import { RUNS_PANEL_TYPE } from '../ids';
import type { OutputLog } from '../OutputLog';
import { runsTableHtml } from '../presentation/runsHtml';
import type { RunsData } from './RunsData';
import type { Focus, FromWebview, ToWebview } from './webview/messages';

const OPEN = 'Open';

/**
 * The Runs tables: one webview panel per project (opening it again reveals it and shows what
 * was asked: runs selected, a comparison, a trend). Owns its panels.
 */
export class RunsPanels implements vscode.Disposable {
  private readonly panels = new Map<string, RunsPanel>();

  constructor(
    private readonly data: RunsData,
    private readonly differ: VersionDiffer,
    private readonly log: OutputLog,
  ) {}

  show(root: string, focus?: Focus): void {
    const existing = this.panels.get(root);
    if (existing) {
      existing.reveal(focus);
      return;
    }
    const panel = new RunsPanel(root, this.data, this.differ, this.log, focus);
    this.panels.set(root, panel);
    panel.onDidDispose(() => this.panels.delete(root));
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
    this.panels.clear();
  }
}

/** One project's Runs table: the webview and what it asks of the daemon. */
class RunsPanel implements vscode.Disposable {
  private readonly store = new DisposableStore();
  private readonly panel: vscode.WebviewPanel;
  private ready = false;
  private disposed = false;
  private readonly _onDidDispose = new vscode.EventEmitter<void>();
  readonly onDidDispose = this._onDidDispose.event;

  constructor(
    private readonly root: string,
    private readonly data: RunsData,
    private readonly differ: VersionDiffer,
    private readonly log: OutputLog,
    private focus: Focus | undefined,
  ) {
    this.store.track(this._onDidDispose);
    this.panel = vscode.window.createWebviewPanel(
      RUNS_PANEL_TYPE,
      `Runs · ${path.basename(root)}`,
      vscode.ViewColumn.Active,
      {
        enableScripts: true,
        // Sort, filter, selection and drawn charts stay while the tab is in the background.
        retainContextWhenHidden: true,
        // Everything it runs is inlined or sent by message: it loads no file.
        localResourceRoots: [],
      },
    );
    const nonce = randomBytes(18).toString('base64');
    this.panel.webview.html = runsTableHtml({
      cspSource: this.panel.webview.cspSource,
      nonce,
      title: `Runs · ${path.basename(root)}`,
      script: tableScript,
    });
    this.store.track(this.panel.webview.onDidReceiveMessage((m: FromWebview) => void this.receive(m)));
    this.store.track(data.onDidChange((r) => (r === undefined || r === root) && void this.sendRuns()));
    this.store.track(this.panel.onDidDispose(() => this.dispose()));
  }

  reveal(focus: Focus | undefined): void {
    this.panel.reveal();
    if (!focus) return;
    if (this.ready) void this.sendRuns(focus);
    else this.focus = focus;
  }

  private post(m: ToWebview): void {
    if (!this.disposed) void this.panel.webview.postMessage(m);
  }

  private async receive(m: FromWebview): Promise<void> {
    try {
      switch (m.type) {
        case 'ready': {
          this.ready = true;
          const focus = this.focus;
          this.focus = undefined;
          await this.sendRuns(focus);
          return;
        }
        case 'refresh':
          await this.sendRuns();
          return;
        case 'compare':
          this.post({ type: 'comparison', comparison: await this.data.compare(this.root, m.a, m.b) });
          return;
        case 'series': {
          const series = await this.data.series(this.root, m.runs, m.metric).catch((e: unknown) => {
            this.failed(`Reading the series of ${m.metric}`, e);
            return [];
          });
          this.post({ type: 'series', request: m.request, metric: m.metric, series });
          return;
        }
        case 'trend': {
          const trend = await this.data.trend(this.root, m.path).catch((e: unknown) => {
            this.failed(`Reading the trend of ${m.path}`, e);
            return { path: m.path, points: [] };
          });
          this.post({ type: 'trend', request: m.request, trend });
          return;
        }
        case 'openDiff':
          await this.differ.diffVersions(this.root, m.path, m.a, m.b);
          return;
        case 'loadCharts':
          this.post({ type: 'charts', source: chartsScript });
          return;
        case 'saveChart':
          await this.saveChart(m.format, m.data, m.name);
          return;
        case 'error':
          this.log.warn(`Runs table (${this.root}): ${m.what}: ${m.message}`);
          return;
      }
    } catch (e) {
      // What opens editor UI (a diff, a save dialog) fails where the user looks: a notification.
      if (m.type === 'openDiff' || m.type === 'saveChart') await this.log.showError(describe(m), e);
      else this.failed(describe(m), e);
    }
  }

  /** The table's data, and what to show in it. */
  private async sendRuns(focus?: Focus): Promise<void> {
    if (!this.ready) return;
    if (!this.data.running) {
      this.post({ type: 'failed', message: 'The mlsnap daemon is not running: use "mlsnap: Start/Restart Daemon".' });
      return;
    }
    try {
      const runs = await this.data.list(this.root);
      this.post({ type: 'runs', root: this.root, runs, ...(focus ? { focus } : {}) });
    } catch (e) {
      this.failed('Reading the runs', e);
    }
  }

  /** One sentence in the table, the detail in the log. */
  private failed(what: string, e: unknown): void {
    const sentence = e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
    this.log.channel.error(`Runs table: ${what}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    this.post({ type: 'failed', message: `${what} failed: ${sentence}` });
  }

  private async saveChart(format: 'png' | 'svg', data: string, name: string): Promise<void> {
    const bytes =
      format === 'svg'
        ? new TextEncoder().encode(data)
        : data.startsWith('data:image/png;base64,')
          ? Buffer.from(data.slice('data:image/png;base64,'.length), 'base64')
          : undefined;
    if (!bytes) throw new Error('the chart did not export as a PNG image');
    const target = await vscode.window.showSaveDialog({
      title: `Save the chart as ${format.toUpperCase()}`,
      defaultUri: vscode.Uri.file(path.join(this.root, `${path.basename(name)}.${format}`)),
      filters: format === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] },
      saveLabel: 'Save Chart',
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, bytes);
    this.log.info(`saved a chart (${format}, ${bytes.byteLength} bytes) to ${target.fsPath}`);
    const picked = await vscode.window.showInformationMessage(`mlsnap: saved the chart to ${target.fsPath}`, OPEN);
    if (picked === OPEN) await vscode.commands.executeCommand('vscode.open', target);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this._onDidDispose.fire();
    this.store.dispose();
    this.panel.dispose();
  }
}

function describe(m: FromWebview): string {
  switch (m.type) {
    case 'compare':
      return 'Comparing the runs';
    case 'openDiff':
      return `Opening the diff of ${m.path}`;
    case 'saveChart':
      return 'Saving the chart';
    default:
      return 'The Runs table';
  }
}
