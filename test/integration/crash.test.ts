import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Blake3Hasher } from '@napi-rs/blake-hash';
import { DAEMON_NODE_FLAGS } from '../../shared/src/daemonProcess';
import type { DaemonFile, SnapshotResult } from '../../shared/src/protocol';
import { ContentStore } from '../../daemon/src/store/blobs/ContentStore';
import { LocalBackend } from '../../daemon/src/store/blobs/LocalBackend';
import { SnapshotStore } from '../../daemon/src/store/SnapshotStore';
import { checkStore } from '../../daemon/src/service/StoreMaintenance';
import { REPO } from '../support/cli';
import { tempDir, waitFor, writeRandomFile } from '../support/tmp';

/**
 * kill -9 of the daemon in the middle of snapshots, many times over: every version the daemon
 * acknowledged stays restorable byte for byte, and the store checks clean (no row points at a
 * missing blob, no half-written blob under a hash name).
 */
const ROUNDS = 12;

async function startDaemon(home: string): Promise<{ child: ChildProcess; info: DaemonFile }> {
  fs.rmSync(path.join(home, 'daemon.json'), { force: true });
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, path.join(REPO, 'dist', 'daemon.js')], {
    env: { ...process.env, MLSNAP_HOME: home, MLSNAP_LOG_LEVEL: 'error' },
    stdio: 'ignore',
  });
  const info = await waitFor('daemon.json', () => {
    try {
      const i = JSON.parse(fs.readFileSync(path.join(home, 'daemon.json'), 'utf8')) as DaemonFile;
      return i.pid === child.pid ? i : null;
    } catch {
      return null;
    }
  });
  return { child, info };
}

async function call<T>(info: DaemonFile, method: string, params: unknown): Promise<T> {
  const res = await fetch(`http://${info.host}:${info.port}/api/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-mlsnap-token': info.token },
    body: JSON.stringify(params),
  });
  if (!res.ok) throw new Error(`${method}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

test('versions acknowledged before a kill -9 survive it; the store checks clean', async () => {
  const home = tempDir('crash-home');
  const root = tempDir('crash-project');
  const acknowledged = new Map<string, string>(); // "path@seq" -> blake3 of the bytes written
  let interrupted = 0;
  let daemon = await startDaemon(home);
  await call(daemon.info, 'project/init', { root });
  for (let round = 0; round < ROUNDS; round++) {
    // A burst of writes and explicit snapshots; the kill lands somewhere inside it.
    // Counted from the round's first acknowledged version: a restarted daemon first rescans the
    // project (environment capture included), and a kill during that scan tests nothing new.
    const killAfterMs = 50 + ((round * 37) % 400);
    let killer: NodeJS.Timeout | undefined;
    try {
      for (let i = 0; i < 40; i++) {
        const rel = `models/m${i % 4}.pt`;
        const file = path.join(root, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        writeRandomFile(file, 256 * 1024 + i, round * 1000 + i + 1);
        const bytes = fs.readFileSync(file);
        const r = await call<SnapshotResult>(daemon.info, 'snapshot/create', { root, paths: [rel] });
        const v = r.snapshot?.versions.find((x) => x.path === rel);
        if (v) acknowledged.set(`${rel}@${v.seq}`, new Blake3Hasher().update(bytes).digest('hex'));
        killer ??= setTimeout(() => daemon.child.kill('SIGKILL'), killAfterMs);
      }
    } catch {
      // The daemon died mid-request: what this test is for.
      interrupted++;
    } finally {
      if (killer) clearTimeout(killer);
    }
    daemon.child.kill('SIGKILL');
    await new Promise((r) =>
      daemon.child.exitCode !== null || daemon.child.signalCode !== null ? r(null) : daemon.child.once('exit', r),
    );
    daemon = await startDaemon(home);
  }
  daemon.child.kill('SIGTERM');
  await new Promise((r) => daemon.child.once('exit', r));

  assert.ok(interrupted >= ROUNDS / 2, `only ${interrupted} of ${ROUNDS} kills landed inside a burst`);
  assert.ok(acknowledged.size >= ROUNDS, `only ${acknowledged.size} versions were acknowledged`);
  const storeDir = path.join(root, '.mlsnap');
  const store = new SnapshotStore(path.join(storeDir, 'store.db'));
  const backend = new LocalBackend(storeDir);
  const blobs = new ContentStore(backend, { scratchDir: backend.tmpDir });
  try {
    for (const [ref, hash] of acknowledged) {
      const [rel, seq] = ref.split('@') as [string, string];
      const v = store.versionBySeq(rel, Number(seq));
      assert.ok(v, `${ref} was acknowledged but is gone`);
      assert.equal(v.blob, hash, `${ref} holds other bytes than were written`);
      assert.equal((await blobs.rehash(v.blob)).hash, hash, `${ref}'s blob is damaged`);
    }
    const check = await checkStore(store, blobs);
    assert.deepEqual(
      check.problems.filter((p) => p.kind !== 'blob-orphan'),
      [],
    );
    assert.equal(check.ok, true);
  } finally {
    store.close();
  }
});
