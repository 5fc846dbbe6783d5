import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { logFilePath } from '../../../shared/node/daemonFiles';
import { DAEMON_NODE_FLAGS } from '../../../shared/src/daemonProcess';
import { MlsnapError } from '../../../shared/src/errors';
import { noNodeMessage, pickNode, type NodeCandidate } from './nodeRuntime';

/** The ABI the bundled native modules were built for; set by the build (esbuild define). */
declare const __NATIVE_ABI__: string;

/** Starts `dist/daemon.js` (shipped in the .vsix) with a Node whose ABI fits its native modules. */
export class DaemonLauncher {
  constructor(
    private readonly daemonScript: string,
    private readonly configuredNode: () => string | undefined,
    private readonly log: (msg: string) => void,
  ) {}

  async start(home: string): Promise<void> {
    const node = await this.findNode();
    fs.mkdirSync(home, { recursive: true, mode: 0o700 });
    const logFd = fs.openSync(logFilePath(home), 'a', 0o600);
    this.log(`starting the daemon: ${node.path} ${this.daemonScript}`);
    const child = spawn(node.path, [...DAEMON_NODE_FLAGS, this.daemonScript], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, MLSNAP_HOME: home, ELECTRON_RUN_AS_NODE: undefined },
    });
    child.unref();
    fs.closeSync(logFd);
  }

  private async findNode(): Promise<NodeCandidate> {
    const wanted = __NATIVE_ABI__;
    const candidates: NodeCandidate[] = [];
    const configured = this.configuredNode();
    if (configured) candidates.push(await probe(configured, 'mlsnap.nodePath'));
    // code-server and other plain-Node extension hosts can run the daemon themselves.
    if (!process.versions['electron'])
      candidates.push({ path: process.execPath, modules: process.versions.modules, source: 'extension host' });
    candidates.push(await probe('node', 'PATH'));
    const picked = pickNode(candidates, wanted);
    if (!picked) throw new MlsnapError('daemon-unavailable', noNodeMessage(candidates, wanted));
    return picked;
  }
}

function probe(node: string, source: string): Promise<NodeCandidate> {
  return new Promise((resolve) => {
    execFile(node, ['-p', 'process.versions.modules'], { timeout: 5000 }, (err, stdout) => {
      resolve({ path: node, modules: err ? null : stdout.trim(), source });
    });
  });
}
