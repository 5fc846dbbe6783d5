import * as vscode from 'vscode';

/** An existing folder, picked in the editor's folder dialog; undefined when cancelled. */
export async function askExistingFolder(o: {
  title: string;
  defaultPath: string;
  openLabel: string;
}): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: o.title,
    defaultUri: vscode.Uri.file(o.defaultPath),
    openLabel: o.openLabel,
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
  });
  return picked?.[0]?.fsPath;
}

/**
 * A folder that need not exist yet (the daemon makes it), named in the editor's save dialog;
 * an existing one must be empty, which the daemon checks and says. Undefined when cancelled.
 */
export async function askNewFolder(o: {
  title: string;
  defaultPath: string;
  saveLabel: string;
}): Promise<string | undefined> {
  const picked = await vscode.window.showSaveDialog({
    title: o.title,
    defaultUri: vscode.Uri.file(o.defaultPath),
    saveLabel: o.saveLabel,
  });
  return picked?.fsPath;
}
