import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DaemonFile } from '../../shared/src/protocol';

/** `~/.mlsnap`, or `$MLSNAP_HOME` (tests isolate themselves with it). */
export function daemonHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env['MLSNAP_HOME'];
  return configured && configured !== '' ? path.resolve(configured) : path.join(os.homedir(), '.mlsnap');
}

export function daemonFilePath(home: string): string {
  return path.join(home, 'daemon.json');
}

/** The editor's JSON-RPC socket. Unix socket paths are limited to ~107 bytes. */
export function socketPath(home: string): string {
  return path.join(home, 'daemon.sock');
}

export function logFilePath(home: string): string {
  return path.join(home, 'daemon.log');
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
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeSync(fd, JSON.stringify(info, null, 2) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function readDaemonFile(home: string): DaemonFile | null {
  try {
    return JSON.parse(fs.readFileSync(daemonFilePath(home), 'utf8')) as DaemonFile;
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
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
