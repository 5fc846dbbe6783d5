import type { WatcherState } from '../../../shared/src/domain';

/** A raw change reported by a watcher backend (absolute path). */
export interface RawChange {
  path: string;
  type: 'create' | 'update' | 'delete';
}

export interface WatchHandlers {
  onChanges(changes: RawChange[]): void;
  /**
   * The backend may have missed events (inotify queue overflow, a watch limit, an I/O
   * error): the owner must rescan the whole tree to catch up.
   */
  onRescanNeeded(reason: string): void;
}

/** One interface over the watcher backends, so a project setting can choose between them. */
export interface FileWatcher {
  readonly state: WatcherState;
  start(root: string, ignoreDirs: readonly string[], handlers: WatchHandlers): Promise<void>;
  stop(): Promise<void>;
}

/** Directory names never watched: they hold nothing users version and can be huge. */
export const IGNORED_DIR_NAMES: readonly string[] = [
  '.git',
  '.mlsnap',
  'node_modules',
  '.venv',
  'venv',
  '__pycache__',
  '.ipynb_checkpoints',
];
