import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_FILE } from '../project/Project';

/** Editors save in bursts (truncate, write, rename): one reload per burst. */
const DEBOUNCE_MS = 150;

/**
 * Calls `onEdit` when a project's `.mlsnap/config.json` changes on disk. The store folder is
 * watched, not the file: editors that save by rename replace the file's inode, and a watch on
 * the old inode would go quiet. The project watcher itself ignores `.mlsnap/`.
 */
export function watchConfigFile(storeDir: string, onEdit: () => void): { dispose(): void } {
  let timer: NodeJS.Timeout | undefined;
  let watcher: fs.FSWatcher | undefined;
  try {
    watcher = fs.watch(storeDir, { persistent: false }, (_event, name) => {
      if (name !== null && name !== CONFIG_FILE && name !== `${CONFIG_FILE}.tmp`) return;
      clearTimeout(timer);
      timer = setTimeout(onEdit, DEBOUNCE_MS);
    });
    // A watch that fails later (the store folder removed) just stops; the project goes with it.
    watcher.on('error', () => watcher?.close());
  } catch {
    // No inotify watch left: config edits then apply at the next daemon start.
  }
  return {
    dispose(): void {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}

export function configFileOf(storeDir: string): string {
  return path.join(storeDir, CONFIG_FILE);
}
