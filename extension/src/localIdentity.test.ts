import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { localIdentity } from './localIdentity';

test("the editor names this machine's author and host by the daemon's rule", () => {
  assert.deepEqual(localIdentity({ MLSNAP_AUTHOR: 'alice', MLSNAP_HOST: 'gpu-box' }), {
    author: 'alice',
    host: 'gpu-box',
  });
  assert.deepEqual(localIdentity({}), { author: os.userInfo().username, host: os.hostname() });
});
