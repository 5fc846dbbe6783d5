import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { VersionInfo } from '../../shared/src/domain';
import type { DaemonFile, SnapshotResult } from '../../shared/src/protocol';
import { mlsnap, mlsnapJson } from '../support/cli';
import { tempDir, writeRandomFile } from '../support/tmp';

const home = tempDir('refuse-home');
const root = tempDir('refuse-project');
const opts = { cwd: root, home };

after(() => {
  mlsnap(['daemon', 'stop'], opts);
});

test('snapshot and log of a folder mean the tracked files under it; a missing file is said to be missing', () => {
  assert.equal(mlsnap(['init'], opts).status, 0);
  fs.mkdirSync(path.join(root, 'models', 'sub'), { recursive: true });
  writeRandomFile(path.join(root, 'models', 'a.pt'), 20_000, 1);
  writeRandomFile(path.join(root, 'models', 'sub', 'b.onnx'), 20_000, 2);
  fs.mkdirSync(path.join(root, 'empty'));
  const r = mlsnapJson<SnapshotResult>(['snapshot', 'models', '-m', 'both'], opts);
  const recorded = (r.snapshot?.versions ?? []).map((v) => v.path).sort();
  // The watcher may have recorded one of them first; each is in history either way.
  const log = mlsnapJson<VersionInfo[]>(['log', 'models'], opts);
  assert.deepEqual([...new Set(log.map((v) => v.path))].sort(), ['models/a.pt', 'models/sub/b.onnx']);
  assert.ok(recorded.every((p) => p.startsWith('models/')));
  assert.equal(mlsnapJson<VersionInfo[]>(['log', '.'], opts).length, log.length);

  const missing = mlsnap(['snapshot', 'models/nope.pt'], opts);
  assert.equal(missing.status, 3);
  assert.match(missing.stdout, /models\/nope\.pt: does not exist/);
  const empty = mlsnap(['snapshot', 'empty'], opts);
  assert.equal(empty.status, 0);
  assert.match(empty.stdout, /empty: a folder with no tracked files/);
});

test('diffing two files of different kinds says so', () => {
  fs.writeFileSync(path.join(root, 'metrics.json'), JSON.stringify({ accuracy: 0.5 }));
  assert.equal(mlsnap(['snapshot', 'metrics.json'], opts).status, 0);
  const r = mlsnap(['diff', 'metrics.json@1', 'models/a.pt@1'], opts);
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    /metrics\.json@1 is a metrics file and models\/a\.pt@1 is a model: only versions of the same kind can be compared/,
  );
});

test('a refused token is exit 5 at once with the reason, not a wait for a second daemon', () => {
  const file = path.join(home, 'daemon.json');
  const info = JSON.parse(fs.readFileSync(file, 'utf8')) as DaemonFile;
  fs.writeFileSync(file, JSON.stringify({ ...info, token: 'x'.repeat(info.token.length) }), { mode: 0o600 });
  try {
    const t0 = Date.now();
    const r = mlsnap(['status'], opts);
    assert.equal(r.status, 5, r.stderr);
    assert.match(r.stderr, /refused/);
    assert.match(r.stderr, new RegExp(`kill ${info.pid}`));
    assert.ok(Date.now() - t0 < 5000, `${Date.now() - t0} ms`);
  } finally {
    fs.writeFileSync(file, JSON.stringify(info), { mode: 0o600 });
  }
});

test('daemon status without a daemon exits 9', () => {
  assert.equal(mlsnap(['daemon', 'stop'], opts).status, 0);
  const r = mlsnap(['daemon', 'status'], opts);
  assert.equal(r.status, 9);
  assert.match(r.stdout, /daemon not running/);
});

test('init says when a folder does not exist, and when it is a project already', () => {
  const missing = mlsnap(['init', path.join(root, 'no-such-folder')], opts);
  assert.equal(missing.status, 3);
  assert.match(missing.stderr, /no-such-folder does not exist; create it first/);
  const again = mlsnap(['init'], opts);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /is already an mlsnap project; nothing changed/);
});
