import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentInfo, ProjectInfo, VersionInfo } from '../../shared/src/domain';
import type { CheckResult, GcResult, RestoreResult, ShowResult, SnapshotResult } from '../../shared/src/protocol';
import { mlsnap, mlsnapBytes, mlsnapJson } from '../support/cli';
import { notebookJson } from '../support/project';
import { tempDir, waitFor, writeRandomFile } from '../support/tmp';

const home = tempDir('cli-home');
const root = tempDir('cli-project');
const opts = { cwd: root, home };

before(() => {
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: root });
  fs.writeFileSync(path.join(root, 'requirements.txt'), 'torch==1.13\n');
  execFileSync('git', ['add', 'requirements.txt'], { cwd: root });
  execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-q', '-m', 'start'], { cwd: root });
});

after(() => {
  mlsnap(['daemon', 'stop'], opts);
});

test('init starts the daemon, creates the store and ignores it in git', () => {
  const info = mlsnapJson<ProjectInfo>(['init'], opts);
  assert.equal(info.root, root);
  assert.ok(fs.existsSync(path.join(root, '.mlsnap', 'store.db')));
  assert.match(fs.readFileSync(path.join(root, '.gitignore'), 'utf8'), /^\.mlsnap\/$/m);
  assert.equal(info.watcher.backend, 'parcel');
  const st = mlsnap(['daemon', 'status'], opts);
  assert.equal(st.status, 0, st.stderr);
  assert.match(st.stdout, /daemon running/);
});

test('a notebook saved in the project gets a version from the watcher', async () => {
  fs.writeFileSync(path.join(root, 'train.ipynb'), notebookJson(['import torch', 'torch.save(m, "models/net.pt")']));
  const log = await waitFor('a watched version', () => {
    const v = mlsnapJson<VersionInfo[]>(['log', 'train.ipynb'], opts);
    return v.length > 0 ? v : null;
  });
  assert.equal(log[0]?.trigger, 'watch');
  assert.equal(log[0]?.seq, 1);
});

test('snapshot -m records a model with message, git state and lockfiles', () => {
  fs.mkdirSync(path.join(root, 'models'), { recursive: true });
  writeRandomFile(path.join(root, 'models', 'net.pt'), 300_000, 1);
  fs.appendFileSync(path.join(root, 'requirements.txt'), 'numpy==1.24\n');
  const r = mlsnapJson<SnapshotResult>(['snapshot', 'models/net.pt', '-m', 'first model'], opts);
  assert.ok(r.snapshot);
  const v = r.snapshot.versions[0] as VersionInfo;
  assert.equal(v.path, 'models/net.pt');
  assert.equal(v.message, 'first model');
  // The watcher may record the new file first; the message then goes to its version.
  assert.ok(v.trigger === 'manual' || v.trigger === 'watch', v.trigger);
  const show = mlsnapJson<ShowResult>(['show', 'models/net.pt@1'], opts);
  assert.equal(show.git?.branch, 'main');
  assert.equal(show.git?.dirty, true, 'a modified tracked file makes it dirty');
  assert.ok(show.git?.patchBlob, 'the uncommitted diff is stored');
  assert.ok(show.environment);
  assert.deepEqual(
    show.environment.lockfiles.map((l) => l.path),
    ['requirements.txt'],
  );
  assert.ok(show.environment.envVarNames.includes('MLSNAP_HOME'));
  assert.ok(!JSON.stringify(show.environment).includes(home), 'no environment variable values are recorded');
  // Paths work relative to the current folder too.
  const fromSub = mlsnapJson<ShowResult>(['show', 'net.pt@latest'], { cwd: path.join(root, 'models'), home });
  assert.equal(fromSub.version?.id, v.id);
  // Snapshot ids work as refs by prefix.
  const bySnap = mlsnapJson<ShowResult>(['show', r.snapshot.id.slice(0, 6)], opts);
  assert.equal(bySnap.snapshot.id, r.snapshot.id);
});

test('cat and restore --to bring back the exact bytes of an old version', () => {
  const first = fs.readFileSync(path.join(root, 'models', 'net.pt'));
  writeRandomFile(path.join(root, 'models', 'net.pt'), 500_000, 2);
  mlsnapJson<SnapshotResult>(['snapshot', 'models/net.pt'], opts);
  assert.ok(mlsnapBytes(['cat', 'models/net.pt@1'], opts).equals(first));
  const target = path.join(tempDir('cli-out'), 'restored.pt');
  const r = mlsnapJson<RestoreResult>(['restore', 'models/net.pt@1', '--to', target], opts);
  assert.equal(r.path, target);
  assert.ok(fs.readFileSync(target).equals(first));
});

test('restore in place saves unsnapshotted work first', () => {
  const file = path.join(root, 'models', 'net.pt');
  writeRandomFile(file, 200_000, 3); // never snapshotted
  const unsaved = fs.readFileSync(file);
  const r = mlsnapJson<RestoreResult>(['restore', 'models/net.pt@1'], opts);
  assert.ok(r.savedFirst, 'the unsaved work got a version');
  assert.ok(mlsnapBytes(['cat', `models/net.pt@${r.savedFirst.seq}`], opts).equals(unsaved));
  assert.ok(fs.readFileSync(file).equals(mlsnapBytes(['cat', 'models/net.pt@1'], opts)));
});

test('restore moves aside work it cannot record (a notebook with merge conflict markers)', () => {
  const nb = path.join(root, 'train.ipynb');
  fs.writeFileSync(nb, '<<<<<<< HEAD\n{"cells": []}\n=======\n');
  const r = mlsnapJson<RestoreResult>(['restore', 'train.ipynb@1'], opts);
  assert.equal(r.savedFirst, null);
  assert.ok(r.movedAside, 'the broken contents were kept somewhere');
  assert.match(fs.readFileSync(r.movedAside, 'utf8'), /<<<<<<< HEAD/);
  assert.ok(fs.readFileSync(nb).equals(mlsnapBytes(['cat', 'train.ipynb@1'], opts)));
});

test('paths that leave the project, or name the store, are refused', () => {
  for (const bad of ['../outside.pt', 'models/../../outside.pt', '.mlsnap/store.db']) {
    const r = mlsnap(['snapshot', '--json', '--project', root, '--', bad], { cwd: root, home });
    assert.notEqual(r.status, 0, bad);
  }
  const intoStore = mlsnap(['restore', 'models/net.pt@1', '--to', path.join(root, '.mlsnap', 'blobs', 'x')], opts);
  assert.equal(intoStore.status, 2);
  assert.match(intoStore.stderr, /inside the mlsnap store/);
});

test('a folder that merely holds a .mlsnap store is not opened until it is initialized', () => {
  const cloned = tempDir('cli-cloned');
  fs.mkdirSync(path.join(cloned, '.mlsnap'));
  fs.writeFileSync(path.join(cloned, '.mlsnap', 'config.json'), JSON.stringify({ interpreter: '/tmp/evil-python' }));
  const r = mlsnap(['status'], { cwd: cloned, home });
  assert.equal(r.status, 4);
  assert.match(r.stderr, /has not been asked to record; run `mlsnap init`/);
  const rootInit = mlsnap(['init', '/'], opts);
  assert.equal(rootInit.status, 2);
  assert.match(rootInit.stderr, /cannot be an mlsnap project/);
});

test('env prints requirements and conda formats', () => {
  const env = mlsnapJson<EnvironmentInfo>(['env', 'models/net.pt@1'], opts);
  assert.ok(env.interpreter);
  const req = mlsnap(['env', 'models/net.pt@1', '--format', 'requirements'], opts);
  assert.equal(req.status, 0, req.stderr);
  assert.match(req.stdout, /^# python \d+\.\d+/);
  for (const p of env.packages.slice(0, 3)) assert.ok(req.stdout.includes(p.name), p.name);
  const conda = mlsnap(['env', 'models/net.pt@1', '--format', 'conda'], opts);
  assert.match(conda.stdout, /^name: .*\ndependencies:\n/);
  const bad = mlsnap(['env', 'models/net.pt@1', '--format', 'xml'], opts);
  assert.equal(bad.status, 2);
});

test('tag names a version; gc keeps it and says what it frees', () => {
  const tagged = mlsnapJson<VersionInfo>(['tag', 'models/net.pt@1', 'baseline'], opts);
  assert.deepEqual(tagged.tags, ['baseline']);
  assert.equal(mlsnapJson<ShowResult>(['show', 'models/net.pt@baseline'], opts).version?.seq, 1);
  assert.equal(mlsnap(['tag', 'models/net.pt@2', 'baseline'], opts).status, 7, 'a tag names one version');
  const before = mlsnapJson<VersionInfo[]>(['log', 'models/net.pt'], opts).length;
  const dry = mlsnapJson<GcResult>(['gc', '--keep-last', '1', '--dry-run'], opts);
  assert.equal(dry.dryRun, true);
  assert.ok(dry.versionsDropped >= 1);
  assert.equal(mlsnapJson<VersionInfo[]>(['log', 'models/net.pt'], opts).length, before, 'dry run changes nothing');
  const gc = mlsnapJson<GcResult>(['gc', '--keep-last', '1'], opts);
  assert.equal(gc.versionsDropped, dry.versionsDropped);
  assert.equal(gc.bytesFreed, dry.bytesFreed);
  const left = mlsnapJson<VersionInfo[]>(['log', 'models/net.pt'], opts)
    .map((v) => v.seq)
    .sort();
  assert.ok(left.includes(1), 'tagged version survives');
  assert.ok(mlsnapBytes(['cat', 'models/net.pt@baseline'], opts).length > 0);
});

test('check passes on a healthy store and finds a corrupted blob', () => {
  const ok = mlsnapJson<CheckResult>(['check'], opts);
  assert.equal(ok.ok, true, JSON.stringify(ok.problems));
  assert.ok(ok.blobsChecked >= 3);
  const v = mlsnapJson<ShowResult>(['show', 'models/net.pt@baseline'], opts).version as VersionInfo;
  const blob = path.join(root, '.mlsnap', 'blobs', v.blob.slice(0, 2), v.blob);
  fs.chmodSync(blob, 0o644);
  const fd = fs.openSync(blob, 'r+');
  fs.writeSync(fd, Buffer.from('CORRUPT'), 0, 7, 100);
  fs.closeSync(fd);
  const bad = mlsnap(['check', '--json'], opts);
  assert.equal(bad.status, 10);
  const r = JSON.parse(bad.stdout) as CheckResult;
  assert.ok(r.problems.some((p) => p.kind === 'blob-corrupt' && p.message.includes(v.blob)));
  // Restoring from a corrupt blob is refused rather than writing wrong bytes.
  const out = path.join(tempDir('cli-out'), 'x.pt');
  const restore = mlsnap(['restore', 'models/net.pt@baseline', '--to', out], opts);
  assert.equal(restore.status, 8);
  assert.match(restore.stderr, /corrupt/);
  assert.ok(!fs.existsSync(out));
});

test('errors name the file and the fix, with meaningful exit codes', () => {
  const missing = mlsnap(['show', 'nope.pt@1'], opts);
  assert.equal(missing.status, 3);
  assert.match(missing.stderr, /nope\.pt has no recorded versions/);
  const range = mlsnap(['show', 'train.ipynb@99'], opts);
  assert.equal(range.status, 3);
  assert.match(range.stderr, /has versions 1$/m);
  const badRef = mlsnap(['show', 'x'], opts);
  assert.equal(badRef.status, 2);
  const outside = mlsnap(['log'], { cwd: tempDir('cli-elsewhere'), home });
  assert.equal(outside.status, 4);
  assert.match(outside.stderr, /mlsnap init/);
  assert.equal(mlsnap(['frobnicate'], opts).status, 2);
});

test('daemon stop stops it; the next command starts it again and history is intact', () => {
  const stop = mlsnap(['daemon', 'stop'], opts);
  assert.equal(stop.status, 0, stop.stderr);
  assert.equal(mlsnap(['daemon', 'status'], opts).status, 9);
  const log = mlsnapJson<VersionInfo[]>(['log'], opts);
  assert.ok(log.length >= 3);
  assert.equal(mlsnap(['daemon', 'status'], opts).status, 0);
});
