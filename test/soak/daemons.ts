import * as fs from 'node:fs';
import * as path from 'node:path';
import { readDaemonFile } from '../../shared/node/daemonFiles';
import { pollUntil } from '../../shared/src/pollUntil';
import { waitFor } from '../support/tmp';

/**
 * The daemons serving one MLSNAP_HOME. daemon.json names the one that started last, but it
 * can be stale (a killed daemon's) or, if two were ever started at once, name only one of
 * them; so /proc is searched too, for processes running dist/daemon.js with this home in
 * their environment. Nothing else is ever signalled: a recycled pid fails both tests.
 */
export function daemonsOf(home: string): number[] {
  const found = new Set<number>();
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0 && isDaemonOf(pid, home)) found.add(pid);
  }
  return [...found].sort((a, b) => a - b);
}

function isDaemonOf(pid: number, home: string): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // A zombie is dead already: it only waits for its parent to reap it.
    if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') return false;
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!argv.some((a) => a.endsWith(path.join('dist', 'daemon.js')))) return false;
    return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`MLSNAP_HOME=${home}`);
  } catch {
    return false; // gone meanwhile, or not ours to read
  }
}

/** SIGKILL every daemon of this home and wait until none is left; returns the pids killed. */
export async function killDaemons(home: string): Promise<number[]> {
  const pids = daemonsOf(home);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // It died on its own meanwhile.
    }
  }
  await waitFor('the killed daemon to be gone', () => pids.every((p) => !isDaemonOf(p, home)), 10_000);
  return pids;
}

/** The port daemon.json names (the HTTP API every CLI call uses), or null before a daemon wrote one. */
export function recordedPort(home: string): number | null {
  return readDaemonFile(home)?.port ?? null;
}

/**
 * Resolves once process `pid` holds an established TCP connection to `port` (a CLI call that
 * reached the daemon: from here on the daemon works on it), or false when the process ends,
 * or `timeoutMs` passes, first. Read from /proc: the process's socket inodes, matched against
 * /proc/net/tcp{,6} rows in state 01 (ESTABLISHED) whose remote port is `port`.
 */
export async function connectedTo(pid: number, port: number, timeoutMs: number): Promise<boolean> {
  const seen = await pollUntil(
    () => {
      const inodes = socketInodes(pid);
      if (inodes === null) return 'ended';
      return inodes.size > 0 && establishedTo(port, inodes) ? 'connected' : null;
    },
    { timeoutMs, intervalMs: 5 },
  );
  return seen === 'connected';
}

function socketInodes(pid: number): Set<string> | null {
  const out = new Set<string>();
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null; // the call ended
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1] as string);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

function establishedTo(port: number, inodes: ReadonlySet<string>): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
      if (f.length > 9 && f[3] === '01' && f[2]?.endsWith(`:${hexPort}`) && inodes.has(f[9] as string)) return true;
    }
  }
  return false;
}
