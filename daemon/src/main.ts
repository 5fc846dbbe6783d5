import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { VERSION } from '../../shared/src/version';
import { HttpServer } from './api/HttpServer';
import { RpcServer } from './api/RpcServer';
import { acquireLock, daemonFilePath, daemonHome, ensureHome, socketPath, writeDaemonFile } from './DaemonHome';
import { EnvironmentProbe } from './env/EnvironmentProbe';
import { Log } from './Log';
import type { ProjectDeps } from './project/Project';
import { DaemonService } from './service/DaemonService';
import { ProjectRegistry } from './service/ProjectRegistry';

export interface DaemonOptions {
  home?: string;
  /** Fixed port for the HTTP API; 0 (default) picks a free one. */
  port?: number;
  log?: Log;
}

export interface RunningDaemon {
  home: string;
  port: number;
  token: string;
  registry: ProjectRegistry;
  service: DaemonService;
  rpc: RpcServer;
  /** Resolves once the daemon has stopped (shutdown request, signal or stop()). */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

/** The production environment capture: real interpreters, real git, real nvidia-smi. */
export function environmentDeps(log: Log): ProjectDeps['environment'] {
  return (root, config, blobs, store, hints) =>
    new EnvironmentProbe({
      projectRoot: root,
      config,
      hints,
      log: log.child('env'),
      blobs: {
        // Blob rows are written before anything (an environment, a snapshot) points at them.
        putBuffer: async (data, opts) => {
          const b = await blobs.storeBuffer(data, opts);
          store.insertBlob(b);
          return b.hash;
        },
        // Answered without waiting where the blobs are local files; elsewhere the row is trusted
        // (gc deletes the row before the blob).
        has: (hash) => store.hasBlob(hash) && blobs.findLocal(hash) !== null,
      },
    });
}

/**
 * The daemon's composition root. Builds store → watcher → servers (the registry opens each
 * remembered project's store, then its watcher; the HTTP server comes last) and tears down
 * in reverse.
 */
export async function startDaemon(opts: DaemonOptions = {}): Promise<RunningDaemon> {
  const home = opts.home ?? daemonHome();
  const log = opts.log ?? new Log('mlsnapd');
  ensureHome(home);
  const lock = acquireLock(home);
  if ('heldBy' in lock)
    throw new Error(
      `an mlsnap daemon is already running for this user (pid ${lock.heldBy}); see \`mlsnap daemon status\``,
    );
  const releaseLock = lock.release;

  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | null = null;
  const startedAt = Date.now();

  const registry = new ProjectRegistry(home, { log: log.child('project'), environment: environmentDeps(log) }, log);
  const service = new DaemonService(registry, { version: VERSION, startedAt }, () => void stop());
  const token = randomBytes(32).toString('base64url');
  const http = new HttpServer(service, token, log.child('http'));
  const rpc = new RpcServer(socketPath(home), service, registry, log.child('rpc'));

  async function stop(): Promise<void> {
    stopping ??= (async () => {
      log.info('stopping');
      fs.rmSync(daemonFilePath(home), { force: true });
      await rpc.close('the daemon is stopping');
      await http.close();
      await registry.closeAll();
      releaseLock();
      resolveStopped();
    })();
    return stopping;
  }

  try {
    await registry.openRemembered();
    const addr = await http.listen(opts.port ?? 0);
    await rpc.listen();
    writeDaemonFile(home, {
      pid: process.pid,
      socket: socketPath(home),
      host: addr.host,
      port: addr.port,
      token,
      version: VERSION,
      startedAt,
    });
    log.info(`listening on http://${addr.host}:${addr.port} (pid ${process.pid}, home ${home})`);
    return { home, port: addr.port, token, registry, service, rpc, stopped, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
