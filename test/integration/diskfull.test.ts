import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Log } from '../../daemon/src/Log';
import { startDaemon } from '../../daemon/src/main';
import { TOKEN_HEADER } from '../../shared/src/protocol';
import { tempDir, writeRandomFile } from '../support/tmp';

/**
 * A store on a small tmpfs (a real ENOSPC from the kernel): the snapshot that does not fit
 * fails with a typed `io` error, leaves no temp file or half blob behind, and the daemon keeps
 * serving. Needs root for mount, as CI and these machines run.
 */
const root = tempDir('diskfull-project');
const storeDir = path.join(root, '.mlsnap');

after(() => {
  try {
    execFileSync('umount', [storeDir]);
  } catch {
    // Not mounted (the mount itself failed): nothing to undo.
  }
});

test('disk full: that snapshot fails cleanly, nothing half-written remains, the daemon keeps serving', async () => {
  fs.mkdirSync(storeDir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', storeDir]);
  } catch (e) {
    assert.fail(`this test mounts a 2 MB tmpfs and needs root (CI runs as root): ${(e as Error).message}`);
  }
  const daemon = await startDaemon({ home: tempDir('diskfull-home'), log: new Log('test', 'error') });
  const call = async (method: string, params: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`http://127.0.0.1:${daemon.port}/api/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [TOKEN_HEADER]: daemon.token },
      body: JSON.stringify(params),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  try {
    assert.equal((await call('project/init', { root })).status, 200);
    writeRandomFile(path.join(root, 'big.safetensors'), 4 * 1024 * 1024);
    const full = await call('snapshot/create', { root, paths: ['big.safetensors'] });
    assert.equal(full.status, 500);
    assert.equal(full.body['kind'], 'io');
    assert.match(String(full.body['message']), /ENOSPC|no space/i);
    assert.deepEqual(fs.readdirSync(path.join(storeDir, 'tmp')), [], 'no temp file left');
    const blobsDir = path.join(storeDir, 'blobs');
    const blobs = fs.readdirSync(blobsDir).flatMap((d) => fs.readdirSync(path.join(blobsDir, d)));
    assert.deepEqual(blobs, [], 'no half blob under a hash name');
    // Still serving: a file that fits is recorded, and the store checks clean.
    fs.writeFileSync(path.join(root, 'metrics.json'), '{"acc": 0.5}');
    const small = await call('snapshot/create', { root, paths: ['metrics.json'] });
    assert.equal(small.status, 200, JSON.stringify(small.body));
    const check = await call('store/check', { root });
    assert.equal(check.body['ok'], true, JSON.stringify(check.body));
  } finally {
    await daemon.stop();
  }
});
