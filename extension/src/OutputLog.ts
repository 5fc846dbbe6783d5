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

  /**
   * Log `e` in full and show its first sentence with one action that helps: "Start Daemon"
   * when no daemon answers, else `action` when the caller has a better one than "Open Log".
   * Returns `action` when the user picked it (the caller runs it).
   */
  async showError(what: string, e: unknown, action?: string): Promise<string | undefined> {
    this.channel.error(`${what}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    const daemonDown = e instanceof MlsnapError && e.kind === 'daemon-unavailable';
    const sentence = e instanceof Error ? e.message.split('\n')[0] : String(e);
    const actions = daemonDown ? ['Start Daemon'] : action ? [action, 'Open Log'] : ['Open Log'];
    const picked = await vscode.window.showErrorMessage(`mlsnap: ${what} failed: ${sentence}`, ...actions);
    if (picked === 'Start Daemon') await vscode.commands.executeCommand(CommandId.StartDaemon);
    else if (picked === 'Open Log') this.channel.show(true);
    return picked !== undefined && picked === action ? action : undefined;
  }

  dispose(): void {
    this.channel.dispose();
  }
}
