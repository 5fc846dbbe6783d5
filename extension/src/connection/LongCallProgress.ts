import * as vscode from 'vscode';
import type { TransferProgress } from '../../../shared/src/protocol';
import type { OutputLog } from '../OutputLog';
import type { LongCallOptions } from './DaemonConnection';

/** Turns the daemon's progress lines into a notification's message and (never negative) increment. */
export interface ProgressBar {
  next(p: TransferProgress): { message: string; increment?: number };
}

const CANCELLED = Symbol('cancelled');

/**
 * A long daemon call under a cancellable notification showing its progress. Resolves undefined
 * when the user cancelled (the daemon answers a cancelled call with an error; the user asked
 * for it, so it is logged, not shown).
 */
export async function withLongCallProgress<T>(
  title: string,
  log: OutputLog,
  bar: ProgressBar,
  run: (opts: LongCallOptions) => Promise<T>,
): Promise<T | undefined> {
  const r = await vscode.window.withProgress<T | typeof CANCELLED>(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      try {
        return await run({ token, onProgress: (p) => progress.report(bar.next(p)) });
      } catch (e) {
        if (!token.isCancellationRequested) throw e;
        log.info(`${title}: cancelled (${e instanceof Error ? e.message : String(e)})`);
        return CANCELLED;
      }
    },
  );
  if (r !== CANCELLED) return r;
  void vscode.window.setStatusBarMessage(`${title}: cancelled`, 5000);
  return undefined;
}
