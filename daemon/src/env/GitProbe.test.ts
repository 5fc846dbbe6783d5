import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { EnvironmentProbe } from './EnvironmentProbe';
import { GIT_PATCH_MAX_BYTES } from './GitProbe';
import { MemoryBlobSink, RecordingLog, tempDir } from './env.testkit';

const tmp = tempDir('git');
after(tmp.cleanup);

function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args],
    {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' },
    },
  ).trim();
}

function repo(name: string): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  return dir;
}

function probeFor(projectRoot: string) {
  const blobs = new MemoryBlobSink();
  const log = new RecordingLog();
  const probe = new EnvironmentProbe({ projectRoot, config: { envTimeoutMs: 10_000 }, blobs, log });
  return { probe, blobs, log };
}

function commitFile(dir: string, file: string, content: string): void {
  writeFileSync(path.join(dir, file), content);
  git(dir, 'add', file);
  git(dir, 'commit', '-q', '-m', `add ${file}`);
}

describe('(f) captureGit', () => {
  test('commit, branch, dirty and a compressed patch of the uncommitted change', async () => {
    const dir = repo('dirty');
    commitFile(dir, 'train.py', 'lr = 0.1\n');
    writeFileSync(path.join(dir, 'train.py'), 'lr = 0.01\n');
    writeFileSync(path.join(dir, 'untracked.txt'), 'not in the patch\n');
    const { probe, blobs } = probeFor(dir);
    const state = await probe.captureGit();
    assert.ok(state);
    assert.equal(state.commit, git(dir, 'rev-parse', 'HEAD'));
    assert.equal(state.branch, 'main');
    assert.equal(state.dirty, true);
    assert.equal(state.patchTruncated, undefined);
    const patch = blobs.text(state.patchBlob);
    assert.match(patch, /^diff --git a\/train\.py b\/train\.py/m);
    assert.match(patch, /^-lr = 0\.1$/m);
    assert.match(patch, /^\+lr = 0\.01$/m);
    assert.doesNotMatch(patch, /untracked/);
    assert.deepEqual(blobs.compressFlags, [true]);
    // The patch is what `git apply` needs to get back to the working tree.
    execFileSync('git', ['apply', '--check', '-R'], { cwd: dir, input: patch });
  });

  test('a staged change counts too; a clean tree with only untracked files is not dirty', async () => {
    const dir = repo('staged');
    commitFile(dir, 'a.txt', 'one\n');
    writeFileSync(path.join(dir, 'model.pt'), 'untracked output');
    const clean = await probeFor(dir).probe.captureGit();
    assert.deepEqual(clean, { commit: git(dir, 'rev-parse', 'HEAD'), branch: 'main', dirty: false });

    writeFileSync(path.join(dir, 'a.txt'), 'two\n');
    git(dir, 'add', 'a.txt');
    const { probe, blobs } = probeFor(dir);
    const staged = await probe.captureGit();
    assert.equal(staged?.dirty, true);
    assert.match(blobs.text(staged?.patchBlob), /^\+two$/m);
  });

  test('a patch over 1 MiB is cut at a line end and marked truncated', async () => {
    const dir = repo('big');
    commitFile(dir, 'data.csv', 'x\n');
    const line = `${'y'.repeat(99)}\n`;
    writeFileSync(path.join(dir, 'data.csv'), line.repeat(Math.ceil((2 * GIT_PATCH_MAX_BYTES) / line.length)));
    const { probe, blobs } = probeFor(dir);
    const state = await probe.captureGit();
    assert.equal(state?.dirty, true);
    assert.equal(state?.patchTruncated, true);
    const patch = blobs.text(state?.patchBlob);
    assert.ok(Buffer.byteLength(patch) <= GIT_PATCH_MAX_BYTES, `${Buffer.byteLength(patch)} bytes`);
    assert.ok(Buffer.byteLength(patch) > GIT_PATCH_MAX_BYTES / 2);
    assert.ok(patch.endsWith('\n'));
  });

  test('before the first commit: commit null, the staged files as patch', async () => {
    const dir = repo('unborn');
    writeFileSync(path.join(dir, 'first.py'), 'print("hi")\n');
    git(dir, 'add', 'first.py');
    const { probe, blobs } = probeFor(dir);
    const state = await probe.captureGit();
    assert.equal(state?.commit, null);
    assert.equal(state?.branch, 'main');
    assert.equal(state?.dirty, true);
    assert.match(blobs.text(state?.patchBlob), /^\+print\("hi"\)$/m);
  });

  test('detached HEAD has no branch', async () => {
    const dir = repo('detached');
    commitFile(dir, 'a.txt', '1\n');
    commitFile(dir, 'b.txt', '2\n');
    git(dir, 'checkout', '-q', '--detach', 'HEAD~1');
    const state = await probeFor(dir).probe.captureGit();
    assert.equal(state?.branch, null);
    assert.equal(state?.commit, git(dir, 'rev-parse', 'HEAD'));
  });

  test('not a git repository gives null without warnings', async () => {
    const dir = path.join(tmp.dir, 'plain');
    mkdirSync(dir);
    const { probe, log } = probeFor(dir);
    assert.equal(await probe.captureGit(), null);
    assert.deepEqual(log.warnings, []);
  });

  test('git missing from PATH gives null', async () => {
    const dir = repo('nogit');
    const emptyBin = path.join(tmp.dir, 'empty-bin');
    mkdirSync(emptyBin);
    const probe = new EnvironmentProbe({
      projectRoot: dir,
      config: { envTimeoutMs: 10_000 },
      blobs: new MemoryBlobSink(),
      log: new RecordingLog(),
      env: { ...process.env, PATH: emptyBin },
    });
    assert.equal(await probe.captureGit(), null);
  });
});
