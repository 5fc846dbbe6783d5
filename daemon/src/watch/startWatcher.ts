import type { ProjectConfig } from '../../../shared/src/domain';
import type { Log } from '../Log';
import type { FileWatcher, WatchHandlers } from './FileWatcher';
import { describeWatchError, ParcelWatcher } from './ParcelWatcher';
import { PollingWatcher } from './PollingWatcher';

/**
 * Start the watcher the project asks for. @parcel/watcher is the default; when it cannot run
 * (no binary for the platform, inotify limit reached) fall back to polling and say so loudly,
 * because polling costs CPU and sees changes up to a second late.
 */
export async function startWatcher(
  choice: ProjectConfig['watcher'],
  root: string,
  ignoreDirs: readonly string[],
  handlers: WatchHandlers & { log: Log },
): Promise<FileWatcher> {
  if (choice === 'polling') {
    const w = new PollingWatcher();
    await w.start(root, ignoreDirs, handlers);
    return w;
  }
  const parcel = new ParcelWatcher();
  try {
    await parcel.start(root, ignoreDirs, handlers);
    return parcel;
  } catch (e) {
    const reason = describeWatchError(e instanceof Error ? e : new Error(String(e)));
    const note = `@parcel/watcher could not watch ${root} (${reason}); fell back to polling every second`;
    handlers.log.warn(note);
    const w = new PollingWatcher(1000, note);
    await w.start(root, ignoreDirs, handlers);
    return w;
  }
}
