import * as path from 'node:path';
import { MlsnapError } from '../../../../shared/src/errors';
import { isAlive, readDaemonFile } from '../../DaemonHome';
import type { CommandDef, CommandGroup } from '../command';
import { DaemonClient } from '../DaemonClient';
import { CLI_EXIT } from '../exitCodes';
import { spawn } from 'node:child_process';
import { DAEMON_NODE_FLAGS } from '../../../../shared/src/daemonProcess';
import * as fmt from '../format';
import { pollUntil } from '../../../../shared/src/pollUntil';

/** How long `daemon stop` waits for the daemon to exit and remove its daemon.json. */
const STOP_TIMEOUT_MS = 15_000;

const start: CommandDef = {
  name: 'start',
  summary: 'start the daemon in the background (no-op when it runs)',
  json: true,
  async run({ ctx, print }) {
    const c = await DaemonClient.ensureRunning(ctx.home, ctx.daemonScript);
    print(`daemon running (pid ${c.pid})`, { running: true, pid: c.pid });
    return CLI_EXIT.ok;
  },
};

const stop: CommandDef = {
  name: 'stop',
  summary: 'stop the daemon and wait until it has exited',
  json: true,
  async run({ ctx, print }) {
    const c = await DaemonClient.connect(ctx.home);
    if (!c) {
      print('daemon not running', { running: false });
      return CLI_EXIT.ok;
    }
    await c.call('daemon/shutdown', {});
    await waitForExit(ctx.home, c.pid);
    print(`daemon stopped (pid ${c.pid})`, { running: false, pid: c.pid });
    return CLI_EXIT.ok;
  },
};

async function waitForExit(home: string, pid: number): Promise<void> {
  await pollUntil(() => !isAlive(pid) && readDaemonFile(home) === null, { timeoutMs: STOP_TIMEOUT_MS });
  if (isAlive(pid)) {
    throw new MlsnapError(
      'daemon-unavailable',
      `the daemon (pid ${pid}) did not stop within 15 s; see ${path.join(home, 'daemon.log')}, or \`kill ${pid}\``,
    );
  }
}

const status: CommandDef = {
  name: 'status',
  summary: "the daemon's pid, version and projects (exit 9 when it is not running)",
  json: true,
  async run({ ctx, print }) {
    const c = await DaemonClient.connect(ctx.home);
    if (!c) {
      print('daemon not running; start it with `mlsnap daemon start`', { running: false });
      return CLI_EXIT['daemon-not-running'];
    }
    const s = await c.call('daemon/status', {});
    print(
      `daemon running (pid ${s.pid}, version ${s.version}, since ${fmt.when(s.startedAt)})\n${s.projects.map(fmt.projectBlock).join('\n')}`,
      { running: true, ...s },
    );
    return CLI_EXIT.ok;
  },
};

const run: CommandDef = {
  name: 'run',
  summary: 'run the daemon in the foreground, printing each version it records, until Ctrl-C',
  // --project here names a folder to init and watch, not one that must already be a project.
  project: true,
  run({ opts, ctx }) {
    const project = opts.project === undefined ? [] : ['--project', path.resolve(ctx.cwd, opts.project)];
    return runDaemonInTerminal(ctx.home, ctx.daemonScript, project);
  },
};

/**
 * The daemon's own bundle in this terminal (`--foreground`), so the CLI does not carry the
 * daemon's code. Ctrl-C reaches both (one process group); the CLI exits with the daemon.
 */
function runDaemonInTerminal(home: string, daemonScript: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, daemonScript, '--foreground', ...args], {
      stdio: 'inherit',
      env: { ...process.env, MLSNAP_HOME: home },
    });
    const forward = (sig: NodeJS.Signals): void => void child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1));
    });
  });
}

export const daemon: CommandGroup = {
  name: 'daemon',
  summary: 'manage the daemon: start|stop|status|run (run keeps it in the foreground)',
  subcommands: [start, stop, status, run],
};
