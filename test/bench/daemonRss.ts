import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProjectInfo } from '../../shared/src/domain';
import type { DaemonFile, SnapshotResult } from '../../shared/src/protocol';
import { makeFigure, type Figure } from './report';
import {
  apiPost,
  assert,
  fmtMB,
  fmtMs,
  fmtSize,
  MB,
  procMemory,
  progress,
  sleep,
  timed,
  type DaemonEndpoint,
} from './util';
import { DAEMON_NODE_FLAGS } from '../../shared/src/daemonProcess';

export interface DaemonProcess {
  child: ChildProcess;
  pid: number;
  endpoint: DaemonEndpoint;
  logFile: string;
}

/**
 * `node <DAEMON_NODE_FLAGS> dist/daemon.js` — the daemon as the CLI and the extension start it —
 * with its own MLSNAP_HOME; resolves once daemon.json names its pid.
 */
export async function spawnDaemon(daemonJs: string, home: string): Promise<DaemonProcess> {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const logFile = path.join(home, 'bench-daemon.log');
  const logFd = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, daemonJs], {
    env: { ...process.env, MLSNAP_HOME: home, MLSNAP_LOG_LEVEL: 'warn' },
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${daemonJs}`);
  let exited: string | null = null;
  child.once('exit', (code, signal) => (exited = `exited with ${String(code ?? signal)}`));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== null) throw new Error(`the daemon ${String(exited)} before it was ready: ${tail(logFile)}`);
    try {
      const info = JSON.parse(fs.readFileSync(path.join(home, 'daemon.json'), 'utf8')) as DaemonFile;
      if (info.pid === pid)
        return { child, pid, endpoint: { host: info.host, port: info.port, token: info.token }, logFile };
    } catch {
      // not written yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the daemon wrote no daemon.json within 30 s: ${tail(logFile)}`);
    }
    await sleep(50);
  }
}

/** Ask the daemon to shut down; kill it (by its pid) when it does not exit within 15 s. */
export async function stopDaemon(d: DaemonProcess): Promise<void> {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => d.child.once('exit', () => r()));
  await apiPost(d.endpoint, 'daemon/shutdown', {}, 5_000).catch(() => undefined);
  const ok = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
  if (!ok) {
    d.child.kill('SIGKILL');
    await exited;
  }
}

/** Synchronous last resort (process exit, signals): kill the daemon we started. */
export function killDaemonSync(d: DaemonProcess | null): void {
  if (d && d.child.exitCode === null && d.child.signalCode === null) {
    try {
      process.kill(d.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function tail(file: string, bytes = 2000): string {
  try {
    const t = fs.readFileSync(file, 'utf8');
    return t.slice(-bytes).trim() || '(empty log)';
  } catch {
    return '(no log)';
  }
}

interface Phase {
  name: string;
  ms: number;
  /** VmRSS when the phase began. */
  rssBefore: number;
  /** VmHWM after the phase: the peak since the daemon started. */
  hwmAfter: number;
  /** Highest VmRSS sampled every 50 ms during the phase. */
  sampledMax: number;
}

/**
 * Peak RSS of a daemon process driven through its HTTP API: (a) init a 50,000-file project
 * (initial snapshot of its tracked files, watcher on), (b) snapshot a big file, (c) a 1 GiB file
 * and an unchanged re-snapshot of everything.
 */
export async function measureDaemonRss(opts: {
  daemonJs: string;
  home: string;
  root: string;
  totalFiles: number;
  trackedFiles: number;
  bigFile: string;
  bigSize: number;
  bigNote: string | null;
  gibFile: string;
  gibSize: number;
  onStarted: (d: DaemonProcess) => void;
  onInitDone: (ms: number) => void;
}): Promise<Figure> {
  progress('starting the daemon (node dist/daemon.js)…');
  const d = await spawnDaemon(opts.daemonJs, opts.home);
  opts.onStarted(d);
  const notes: string[] = [];
  try {
    await sleep(1500);
    const idle = procMemory(d.pid);
    assert(idle !== null, 'the daemon is running');
    progress(`  idle daemon: RSS ${fmtMB(idle.rss)}, peak so far ${fmtMB(idle.hwm)}`);

    let sampledMax = 0;
    const sampler = setInterval(() => {
      const m = procMemory(d.pid);
      if (m && m.rss > sampledMax) sampledMax = m.rss;
    }, 50);
    const phases: Phase[] = [];
    const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      sampledMax = 0;
      const before = procMemory(d.pid);
      progress(`  phase ${name} (RSS ${before ? fmtMB(before.rss) : '?'})…`);
      const r = await timed(fn);
      const m = procMemory(d.pid);
      assert(m !== null, `the daemon is still running after ${name}`);
      phases.push({
        name,
        ms: r.ms,
        rssBefore: before?.rss ?? NaN,
        hwmAfter: m.hwm,
        sampledMax: Math.max(sampledMax, m.rss),
      });
      progress(
        `    ${fmtMs(r.ms)}; RSS now ${fmtMB(m.rss)}, sampled max ${fmtMB(Math.max(sampledMax, m.rss))}, VmHWM ${fmtMB(m.hwm)}`,
      );
      return r.value;
    };

    try {
      const info = await phase(
        `(a) project/init of ${opts.totalFiles.toLocaleString('en')} files (${opts.trackedFiles.toLocaleString('en')} tracked)`,
        () => apiPost<ProjectInfo>(d.endpoint, 'project/init', { root: opts.root }),
      );
      assert(
        info.trackedFiles === opts.trackedFiles,
        `init recorded ${opts.trackedFiles} files (it has ${info.trackedFiles})`,
      );
      assert(
        info.watcher.backend === 'parcel',
        `the project is watched by @parcel/watcher (${JSON.stringify(info.watcher)})`,
      );
      opts.onInitDone(phases[0]?.ms ?? NaN);

      const bigRel = `models/${path.basename(opts.bigFile)}`;
      fs.renameSync(opts.bigFile, path.join(opts.root, bigRel));
      const big = await phase(`(b) snapshot/create of a ${fmtSize(opts.bigSize)} file`, () =>
        apiPost<SnapshotResult>(d.endpoint, 'snapshot/create', { root: opts.root, paths: [bigRel] }),
      );
      assert(
        big.snapshot?.versions.some((v) => v.path === bigRel && v.size === opts.bigSize),
        `the ${fmtSize(opts.bigSize)} file was recorded`,
      );

      const gibRel = 'models/model-1g.safetensors';
      fs.linkSync(opts.gibFile, path.join(opts.root, gibRel));
      const one = await phase(`(c1) snapshot/create of a ${fmtSize(opts.gibSize)} file`, () =>
        apiPost<SnapshotResult>(d.endpoint, 'snapshot/create', { root: opts.root, paths: [gibRel] }),
      );
      assert(
        one.snapshot?.versions.some((v) => v.path === gibRel) === true,
        `the ${fmtSize(opts.gibSize)} file was recorded`,
      );
      await sleep(1000); // let the watcher's own (no-op) snapshots of the new files run first
      const again = await phase(`(c2) snapshot/create of every tracked file, unchanged`, () =>
        apiPost<SnapshotResult>(d.endpoint, 'snapshot/create', { root: opts.root }),
      );
      if (again.snapshot !== null)
        notes.push(
          `the unchanged re-snapshot recorded ${again.snapshot.versions.length} version(s): it should record none`,
        );
      await phase('(d) idle 2 s after the work', () => sleep(2000));
    } finally {
      clearInterval(sampler);
    }

    const final = procMemory(d.pid);
    assert(final !== null, 'the daemon is still running');
    for (const p of phases)
      notes.push(
        `${p.name}: ${fmtMs(p.ms)}, RSS at start ${fmtMB(p.rssBefore)}, sampled max RSS ${fmtMB(p.sampledMax)}, VmHWM after ${fmtMB(p.hwmAfter)}`,
      );
    if (opts.bigNote) notes.push(opts.bigNote);
    return makeFigure({
      id: '4',
      name: 'peak daemon RSS (VmHWM)',
      method: 'separate `node dist/daemon.js` process driven over HTTP; VmHWM from /proc/<pid>/status after all phases',
      value: final.hwm / MB,
      baseline: idle.rss / MB,
      baselineLabel: 'RSS of the idle daemon just started',
      unit: 'MB',
      target: { kind: 'absolute', limit: 150 },
      details: { idle, final, phases },
      notes,
    });
  } finally {
    progress('  stopping the daemon…');
    await stopDaemon(d);
  }
}
