import type { MethodName, ParamsOf, ResultOf, TransferProgress } from '../../../shared/src/protocol';
import { formatBytes } from '../../../shared/src/bytes';
import type { CliContext } from './command';
import type { DaemonClient } from './DaemonClient';

/**
 * Progress of a push, pull or clone on stderr: one line rewritten in place on a terminal
 * (objects, bytes, rate, time left), nothing when stderr is a pipe or a file.
 */
export function progressPrinter(err: NodeJS.WritableStream): { show(p: TransferProgress): void; done(): void } {
  const tty = (err as NodeJS.WriteStream).isTTY === true;
  let shown = false;
  return {
    show(p) {
      if (!tty) return;
      shown = true;
      err.write(`\r\x1b[K${progressLine(p)}`);
    },
    done() {
      if (shown) err.write('\r\x1b[K');
    },
  };
}

/**
 * A long call (push, pull, clone, remote check, reproduce) with its progress shown on the
 * command's stderr by progressPrinter, the progress line cleared once the result is in.
 */
export async function callWithProgress<M extends MethodName>(
  ctx: Pick<CliContext, 'err'>,
  client: DaemonClient,
  method: M,
  params: ParamsOf<M>,
): Promise<ResultOf<M>> {
  const bar = progressPrinter(ctx.err ?? process.stderr);
  const result = await client.callLong(method, params, (p) => bar.show(p));
  bar.done();
  return result;
}

export function progressLine(p: TransferProgress): string {
  const objects = `${p.objectsDone}/${p.objectsTotal} objects`;
  const bytes = p.bytesTotal > 0 ? `, ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}` : '';
  const rate = p.bytesPerSecond > 0 ? `, ${formatBytes(p.bytesPerSecond)}/s` : '';
  const left = p.secondsLeft > 0 ? `, ${formatDuration(p.secondsLeft)} left` : '';
  return `${p.phase}: ${objects}${bytes}${rate}${left}`;
}

function formatDuration(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
