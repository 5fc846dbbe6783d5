import * as vscode from 'vscode';
import { MlsnapError } from '../../shared/src/errors';
import { CommandId, OUTPUT_CHANNEL } from './ids';

/**
 * The detail of every problem goes to the output channel; the user sees one sentence and an
 * action that helps.
 */
export class OutputLog implements vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;

  constructor() {
    this.channel = vscode.window.createOutputChannel(OUTPUT_CHANNEL, { log: true });
  }

  info(msg: string): void {
    this.channel.info(msg);
  }

  warn(msg: string): void {
    this.channel.warn(msg);
  }

  /** Log `e` in full and show its first sentence with "Open Log" (or a more useful action). */
  async showError(what: string, e: unknown): Promise<void> {
    this.channel.error(`${what}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    const daemonDown = e instanceof MlsnapError && e.kind === 'daemon-unavailable';
    const sentence = e instanceof Error ? e.message.split('\n')[0] : String(e);
    const action = daemonDown ? 'Start Daemon' : 'Open Log';
    const picked = await vscode.window.showErrorMessage(`mlsnap: ${what} failed: ${sentence}`, action);
    if (picked === 'Start Daemon') await vscode.commands.executeCommand(CommandId.StartDaemon);
    else if (picked === 'Open Log') this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
