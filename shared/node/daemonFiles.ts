/**
 * The per-user daemon home and the files in it, as both sides read them: the daemon and its
 * CLI (daemon/src/DaemonHome.ts re-exports these) and the extension, which finds, joins and
 * starts the daemon without importing daemon/ code. Plain Node only: no vscode, no native
 * modules (lint enforces it), so the extension host can load it whatever its ABI.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DaemonFile } from '../src/protocol';

/** `~/.mlsnap`, or `$MLSNAP_HOME` (tests isolate themselves with it). */
export function daemonHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env['MLSNAP_HOME'];
  return configured && configured !== '' ? path.resolve(configured) : path.join(os.homedir(), '.mlsnap');
}

/** Where the running daemon announces its pid, socket, API address and token. */
export function daemonFilePath(home: string): string {
  return path.join(home, 'daemon.json');
}

/** Whoever starts the daemon points its stdout and stderr here. */
export function logFilePath(home: string): string {
  return path.join(home, 'daemon.log');
}

/** The running daemon's announcement, or null when there is none (or it is being rewritten). */
export function readDaemonFile(home: string): DaemonFile | null {
  try {
    return JSON.parse(fs.readFileSync(daemonFilePath(home), 'utf8')) as DaemonFile;
  } catch {
    return null;
  }
}

/** Whether a process exists; EPERM means it does, owned by someone else. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A daemon killed with -9 whose parent never reaps it stays a zombie, which `kill(pid, 0)`
 * still finds: on Linux /proc says so (state Z), and a zombie holds no lock and serves nothing.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ..." — comm may hold spaces and parentheses: the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}
