/// <reference lib="dom" />

/** What the chart script puts on `window` for the table script (they are two bundles). */
export interface ChartsApi {
  /** Draw a Vega-Lite spec into `el` (SVG); resolves with the drawn chart's exporter. */
  draw(el: HTMLElement, spec: Record<string, unknown>): Promise<DrawnChart>;
}

export interface DrawnChart {
  /** PNG as a data: URL (scaled for sharpness). */
  png(): Promise<string>;
  svg(): Promise<string>;
  finalize(): void;
}

export const CHARTS_GLOBAL = 'mlsnapCharts';
export const CHARTS_READY_EVENT = 'mlsnap-charts-ready';
