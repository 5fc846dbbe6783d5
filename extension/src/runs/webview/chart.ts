/// <reference lib="dom" />
/**
 * The chart bundle of the Runs table's webview: vega-embed with Vega-Lite, loaded only when a
 * chart is first drawn. It runs under the page's strict CSP: Vega parses expressions to an AST
 * (`ast: true`) and vega-interpreter evaluates them, so nothing needs 'unsafe-eval'. It hands
 * the table script a small API on `window` and says it is ready with an event.
 */
import { CHARTS_GLOBAL, CHARTS_READY_EVENT, type ChartsApi, type DrawnChart } from './chartsApi';

async function draw(el: HTMLElement, spec: Record<string, unknown>): Promise<DrawnChart> {
  const [{ default: embed }, { expressionInterpreter }] = await Promise.all([
    import('vega-embed'),
    import('vega-interpreter'),
  ]);
  const result = await embed(el, spec as Parameters<typeof embed>[1], {
    mode: 'vega-lite',
    renderer: 'svg',
    actions: false,
    ast: true,
    expr: expressionInterpreter,
    // Our own stylesheet themes the chart; vega-embed's would add a style of its own.
    defaultStyle: false,
    tooltip: { theme: 'custom' },
  });
  return {
    png: () => result.view.toImageURL('png', 2),
    svg: () => result.view.toSVG(),
    finalize: () => result.finalize(),
  };
}

const api: ChartsApi = { draw };
(window as unknown as Record<string, unknown>)[CHARTS_GLOBAL] = api;
window.dispatchEvent(new Event(CHARTS_READY_EVENT));
