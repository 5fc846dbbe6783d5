import * as vscode from 'vscode';
import type { DisposableStore } from './Disposables';
import type { CommandId, ContextKey } from './ids';
import type { OutputLog } from './OutputLog';

/** A command's work; its arguments are whatever VS Code passes (tree node, explorer Uri, nothing). */
export type CommandHandler = (...args: unknown[]) => Promise<unknown>;

/** Registers one command; `what` names it in the error shown when it fails. */
export type RegisterCommand = (id: CommandId, what: string, run: CommandHandler) => void;

/**
 * How every feature registers its commands: once, for the extension's lifetime, tracked in
 * the feature's own store. They stay registered while the daemon is down and then say how to
 * fix it (the error's action starts the daemon); errors are shown in this one place.
 */
export function commandRegistrar(store: DisposableStore, log: OutputLog): RegisterCommand {
  return (id, what, run) => {
    store.track(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          await run(...args);
        } catch (e) {
          await log.showError(what, e);
        }
      }),
    );
  };
}

export function setContext(key: ContextKey, value: unknown): Thenable<unknown> {
  return vscode.commands.executeCommand('setContext', key, value);
}
