import type * as vscode from 'vscode';
import { Extension } from './Extension';

/** Two lines, as in vscode-dvc: build the composition root, hand it to VS Code to dispose. */
export function activate(context: vscode.ExtensionContext): void {
  const ext = new Extension(context);
  context.subscriptions.push(ext);
  // Not awaited: the views show "starting" and then the right welcome view or history.
  void ext.start();
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
