import * as path from 'node:path';
import { runForeground } from './foreground';
import { Log } from './Log';
import { startDaemon } from './main';
import { daemonHome } from './DaemonHome';

/** `node dist/daemon.js`: run the daemon until SIGINT/SIGTERM or a shutdown request. */
async function run(): Promise<void> {
  const log = new Log('mlsnapd');
  const daemon = await startDaemon({ log });
  const onSignal = (sig: string): void => {
    log.info(`${sig} received`);
    void daemon.stop();
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  await daemon.stopped;
}

/** `--foreground [--project DIR]`: what `mlsnap daemon run` starts, in its terminal. */
function foregroundArgs(argv: readonly string[]): { project?: string } | null {
  if (!argv.includes('--foreground')) return null;
  const i = argv.indexOf('--project');
  const dir = i >= 0 ? argv[i + 1] : undefined;
  return dir === undefined ? {} : { project: path.resolve(dir) };
}

const fg = foregroundArgs(process.argv.slice(2));
(fg === null ? run() : runForeground(daemonHome(), fg.project).then(() => undefined)).then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`mlsnapd: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
