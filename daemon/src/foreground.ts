import * as fmt from './cli/format';
import { Log } from './Log';
import { startDaemon } from './main';

/**
 * `mlsnap daemon run [--project DIR]` (`node dist/daemon.js --foreground`): the daemon in this
 * process, printing each version it records, until Ctrl-C. `npm start` uses it on the demo
 * project. It lives in the daemon's bundle so the CLI's stays small and starts fast.
 */
export async function runForeground(home: string, projectRoot?: string): Promise<number> {
  const daemon = await startDaemon({ home, log: new Log('mlsnapd') });
  daemon.registry.onDidRecord(({ root, snapshot }) => {
    for (const v of snapshot.versions) process.stdout.write(`recorded ${fmt.versionLine(v)}  (${root})\n`);
  });
  if (projectRoot !== undefined) {
    const project = await daemon.registry.init(projectRoot);
    process.stdout.write(
      `${fmt.projectBlock(project.info())}\nwatching; edit or re-run a notebook to see versions recorded. Ctrl-C stops.\n`,
    );
  }
  const stop = (): void => void daemon.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await daemon.stopped;
  return 0;
}
