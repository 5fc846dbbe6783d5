import { Log } from './Log';
import { startDaemon } from './main';

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

run().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`mlsnapd: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
