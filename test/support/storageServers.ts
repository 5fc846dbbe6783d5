import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { tempDir, waitFor } from './tmp';

/**
 * Storage servers on loopback, started by the tests themselves: moto (`python3 -m
 * moto.server`) for S3 and Azurite (a devDependency) for Azure Blob. Each starts once per
 * test file on a free port; `stopStorageServers()` in an `after` hook stops them.
 */
export interface StorageServer {
  url: string;
  child: ChildProcess;
  startedMs: number;
}

const START_TIMEOUT_MS = 30_000;
const servers: StorageServer[] = [];

export async function stopStorageServers(): Promise<void> {
  await Promise.all(servers.splice(0).map((s) => stopChild(s.child)));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Start `cmd` and wait until `url` answers HTTP. A server that exits or never answers fails
 * the tests with `install` (what to install) and its own output: never a silent skip.
 */
export async function startServer(cmd: string, args: string[], url: string, install: string): Promise<StorageServer> {
  const t0 = Date.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let exited: string | null = null;
  child.once('error', (e) => (exited = e.message));
  child.once('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
  const up = await waitFor(
    `${cmd} to answer on ${url}`,
    async () => exited !== null || (await answers(url)),
    START_TIMEOUT_MS,
  ).catch(() => false);
  if (exited !== null || up !== true) {
    await stopChild(child);
    throw new Error(`could not start ${cmd} ${args.join(' ')}: ${exited ?? 'no answer'}.\n${install}\n${output}`);
  }
  const server = { url, child, startedMs: Date.now() - t0 };
  servers.push(server);
  return server;
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

/** One start per file, shared by every test that asks for it. */
function once<T>(start: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= start());
}

/** moto's S3 server: any credentials, region us-east-1. URL ends with `/`. */
export const moto = once(async () => {
  const port = await freePort();
  const s = await startServer(
    'python3',
    ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)],
    `http://127.0.0.1:${port}/`,
    "These tests need moto's S3 server for the python3 on PATH: python3 -m pip install 'moto[server]'",
  );
  console.log(`moto started in ${s.startedMs} ms`);
  return s;
});

/** Azurite's bin run with this Node directly (no npx shell between us and the pid we stop). URL ends with `/`. */
export const azurite = once(async () => {
  const port = await freePort();
  let main: string;
  try {
    main = path.join(path.dirname(require.resolve('azurite/package.json')), 'dist/src/blob/main.js');
  } catch {
    throw new Error('These tests need Azurite: run `npm install` (azurite is a devDependency of mlsnap)');
  }
  const location = tempDir('azurite');
  const s = await startServer(
    process.execPath,
    [main, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', location, '--silent'].concat(
      // Azurite 3.35 sends telemetry to Application Insights unless told not to: loopback only here.
      ['--skipApiVersionCheck', '--disableTelemetry'],
    ),
    `http://127.0.0.1:${port}/`,
    'These tests need Azurite: run `npm install` (azurite is a devDependency of mlsnap)',
  );
  console.log(`Azurite started in ${s.startedMs} ms`);
  return s;
});

/** Credentials moto accepts (any do); not a secret. */
export const MOTO_ENV = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' };

/** Azurite's well-known development account (its README): no secret. */
export function azuriteConnectionString(url: string): string {
  const key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
  return `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${key};BlobEndpoint=${url}devstoreaccount1;`;
}

/** An S3 client for moto at `endpoint` (path-style, moto's any-credentials). Destroy it after use. */
export function motoClient(endpoint: string): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY },
  });
}

/** Make `bucket` on the moto server at `endpoint`. */
export async function motoBucket(endpoint: string, bucket: string): Promise<void> {
  const c = motoClient(endpoint);
  try {
    await c.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    c.destroy();
  }
}
