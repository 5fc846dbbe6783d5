import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { tempDir } from '../../../../test/support/tmp';
import { fsyncFolder } from './durable';

/** Make every folder fsync fail with `code` while `run` runs (files still sync). */
async function whileFolderSyncFails(code: string, run: () => Promise<void>): Promise<void> {
  const probe = await fsp.open(tempDir('durable-probe'), 'r');
  const proto = Object.getPrototypeOf(probe) as { sync: (this: fsp.FileHandle) => Promise<void> };
  await probe.close();
  const sync = proto.sync;
  const m = mock.method(proto, 'sync', async function (this: fsp.FileHandle) {
    if (fs.fstatSync(this.fd).isDirectory()) throw Object.assign(new Error(`${code}: fsync`), { code });
    return sync.call(this);
  });
  try {
    await run();
  } finally {
    m.mock.restore();
  }
}

test('a folder fsync refused as network file systems refuse it (EINVAL, ENOTSUP, EPERM) is not a failure', async () => {
  const dir = tempDir('durable');
  fs.writeFileSync(path.join(dir, 'a'), 'x');
  await fsyncFolder(dir);
  for (const code of ['EINVAL', 'ENOTSUP', 'EPERM']) await whileFolderSyncFails(code, () => fsyncFolder(dir));
});

test('any other folder fsync error (EIO: the disk failed) is thrown, and a missing folder too', async () => {
  const dir = tempDir('durable');
  await whileFolderSyncFails('EIO', () => assert.rejects(fsyncFolder(dir), { code: 'EIO' }));
  await assert.rejects(fsyncFolder(path.join(dir, 'gone')), { code: 'ENOENT' });
});
