import * as vscode from 'vscode';

/** The file of the active editor: text editors and notebook editors alike. */
export function activeUri(): vscode.Uri | undefined {
  return vscode.window.activeNotebookEditor?.notebook.uri ?? vscode.window.activeTextEditor?.document.uri;
}

/** Fires when either kind of editor becomes active (or none is). */
export function onDidChangeActiveEditor(listener: () => void): vscode.Disposable {
  const text = vscode.window.onDidChangeActiveTextEditor(listener);
  const notebook = vscode.window.onDidChangeActiveNotebookEditor(listener);
  return vscode.Disposable.from(text, notebook);
}
