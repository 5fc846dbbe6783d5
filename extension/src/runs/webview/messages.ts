import type { MetricSeries, MetricTrend, RunComparison, RunSummary } from '../../../../shared/src/runs';

/**
 * What the Runs table's webview and the extension say to each other (postMessage). Types only:
 * imported by both sides, so one change is checked on both.
 */

/** From the webview. */
export type FromWebview =
  /** The script runs and listens: send the runs. */
  | { type: 'ready' }
  | { type: 'refresh' }
  /** Two runs, older first. */
  | { type: 'compare'; a: string; b: string }
  /** One metric's training curves for these runs (runs/series). */
  | { type: 'series'; runs: string[]; metric: string; request: number }
  | { type: 'trend'; path: string; request: number }
  /** mlsnap's diff of two versions of an output. */
  | { type: 'openDiff'; path: string; a: number; b: number }
  /** The chart library's code (sent once, when the first chart is drawn). */
  | { type: 'loadCharts' }
  /** An exported chart: PNG as a data: URL, SVG as its text. */
  | { type: 'saveChart'; format: 'png' | 'svg'; data: string; name: string }
  /** Something failed in the webview: to the output channel, and one sentence to the user. */
  | { type: 'error'; what: string; message: string };

/** What to show once the runs are there: runs selected, a comparison, a trend. */
export interface Focus {
  select?: string[];
  compare?: [string, string];
  trend?: string;
}

/** To the webview. */
export type ToWebview =
  | { type: 'runs'; root: string; runs: RunSummary[]; focus?: Focus }
  | { type: 'comparison'; comparison: RunComparison }
  | { type: 'series'; request: number; metric: string; series: MetricSeries[] }
  | { type: 'trend'; request: number; trend: MetricTrend }
  | { type: 'charts'; source: string }
  /** A request failed: say it where the user looks. */
  | { type: 'failed'; message: string };
