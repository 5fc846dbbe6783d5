import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DaemonFile } from '../../shared/src/protocol';
import { daemonFilePath, isAlive } from '../../shared/node/daemonFiles';

// The readers the extension needs too live in shared/node; re-exported so daemon code keeps
// importing the daemon home from one module.
export { daemonFilePath, daemonHome, isAlive, logFilePath, readDaemonFile } from '../../shared/node/daemonFiles';

/** The editor's JSON-RPC socket. Unix socket paths are limited to ~107 bytes. */
export function socketPath(home: string): string {
  return path.join(home, 'daemon.sock');
}

export function ensureHome(home: string): void {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
}

/**
 * Write daemon.json readable by its owner only. Any old file or symlink at the path is
 * removed first and the new one is created exclusively, so a planted link cannot redirect
 * the token (Jupyter's secure_write does the same).
 */
export function writeDaemonFile(home: string, info: DaemonFile): void {
  const file = daemonFilePath(home);
  fs.rmSync(file, { force: true });
  const fd = fs.openSync(
    file,
    fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
    0o600,
  );
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, JSON.stringify(info, null, 2) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * One daemon per user: an exclusive lock file holding the pid. A lock whose process is dead
 * is stale (a crash or kill -9) and is taken over.
 */
export function acquireLock(home: string): { release(): void } | { heldBy: number } {
  const file = path.join(home, 'daemon.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return { release: () => fs.rmSync(file, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) return { heldBy: pid };
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take ${file}`);
}
