import * as path from 'node:path';
import { daemonHome } from '../DaemonHome';
import { main } from './cli';

// Bundled next to daemon.js in dist/, so the daemon script is found beside this file.
main(process.argv.slice(2), {
  home: daemonHome(),
  cwd: process.cwd(),
  daemonScript: path.join(__dirname, 'daemon.js'),
  out: process.stdout,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`mlsnap: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
