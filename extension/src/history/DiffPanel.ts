import * as vscode from 'vscode';
import type { VersionDiff } from '../../../shared/src/diff';
import { DIFF_PANEL_TYPE } from '../ids';
import { diffHtml } from '../presentation/diffHtml';

/**
 * The rendered diff of models, metrics and environments: a webview without scripts, one
 * panel per pair of versions (opening the same pair again reveals it).
 */
export class DiffPanels implements vscode.Disposable {
  private readonly panels = new Map<string, vscode.WebviewPanel>();

  show(d: VersionDiff, environmentOnly = false): void {
    const key = `${d.before.ref}|${d.after.ref}|${environmentOnly}`;
    const existing = this.panels.get(key);
    if (existing) {
      existing.reveal();
      return;
    }
    const title = `${environmentOnly ? 'Environment ' : ''}${d.before.ref} ↔ @${d.after.seq}`;
    const panel = vscode.window.createWebviewPanel(DIFF_PANEL_TYPE, title, vscode.ViewColumn.Active, {
      enableScripts: false,
      retainContextWhenHidden: false,
    });
    panel.webview.html = diffHtml(d, { cspSource: panel.webview.cspSource, environmentOnly });
    this.panels.set(key, panel);
    // Listeners of a webview are disposed with it.
    panel.onDidDispose(() => this.panels.delete(key));
  }

  dispose(): void {
    for (const p of this.panels.values()) p.dispose();
    this.panels.clear();
  }
}
