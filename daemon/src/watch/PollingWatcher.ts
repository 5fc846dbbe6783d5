import * as path from 'node:path';
import type { WatcherState } from '../../../shared/src/domain';
import type { FileWatcher, WatchHandlers } from './FileWatcher';

type ChokidarWatcher = import('chokidar').FSWatcher;

/**
 * chokidar in polling mode. Network file systems (NFS, SMB, FUSE mounts) deliver no inotify
 * events, so the only way to see changes there is to stat on an interval. It also serves
 * platforms with no @parcel/watcher binary.
 */
export class PollingWatcher implements FileWatcher {
  private watcher: ChokidarWatcher | null = null;
  readonly state: WatcherState;

  constructor(
    private readonly intervalMs = 1000,
    note?: string,
  ) {
    this.state = note === undefined ? { backend: 'chokidar-polling' } : { backend: 'chokidar-polling', note };
  }

  async start(root: string, ignoreDirs: readonly string[], handlers: WatchHandlers): Promise<void> {
    const chokidar = await import('chokidar');
    const ignored = new Set(ignoreDirs);
    const watcher = chokidar.watch(root, {
      usePolling: true,
      interval: this.intervalMs,
      binaryInterval: this.intervalMs,
      ignoreInitial: true,
      followSymlinks: false,
      ignored: (p: string) => ignored.has(path.basename(p)),
    });
    watcher.on('add', (p) => handlers.onChanges([{ path: p, type: 'create' }]));
    watcher.on('change', (p) => handlers.onChanges([{ path: p, type: 'update' }]));
    watcher.on('unlink', (p) => handlers.onChanges([{ path: p, type: 'delete' }]));
    watcher.on('error', (e) => handlers.onRescanNeeded(e instanceof Error ? e.message : String(e)));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    // 'ready' comes before fs.watchFile has taken its first (baseline) stats; a file created
    // in that gap would never be reported. Wait for the baselines: the owner's reconcile scan
    // after start() then covers everything created before it.
    await new Promise((r) => setTimeout(r, Math.min(250, this.intervalMs)));
    this.watcher = watcher;
  }

  async stop(): Promise<void> {
    const w = this.watcher;
    this.watcher = null;
    await w?.close();
  }
}
