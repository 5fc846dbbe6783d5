import * as vscode from 'vscode';
import type { RegisterCommand } from '../Commands';
import { CommandId } from '../ids';
import type { OutputLog } from '../OutputLog';
import type { DaemonConnection } from './DaemonConnection';

/** Start/Restart Daemon and Show Log: they work while no daemon answers, which is when they are needed. */
export function registerDaemonCommands(register: RegisterCommand, daemon: DaemonConnection, log: OutputLog): void {
  register(CommandId.StartDaemon, 'Start Daemon', async () => {
    await (daemon.state === 'running' ? daemon.restart() : daemon.connectOrStart());
    void vscode.window.setStatusBarMessage('mlsnap: daemon running', 3000);
  });
  register(CommandId.ShowLog, 'Show Log', async () => log.channel.show());
}
