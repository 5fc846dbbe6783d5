import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PullResult, PushResult, RemoteInfo, SecretFinding, TransferProgress } from '../../../shared/src/protocol';
import {
  distinctFindings,
  endpointProblem,
  findingLine,
  findingLocation,
  findingPickItem,
  progressFraction,
  progressMessage,
  ProgressTracker,
  pullSummary,
  pushSummary,
  refusalDetail,
  refusalSentence,
  remoteNameProblem,
  remotePickItem,
  remoteUrlProblem,
  strippingHelps,
  suggestRemoteName,
  unpushedStatus,
} from './remotes';

function progress(p: Partial<TransferProgress>): TransferProgress {
  return {
    phase: 'upload',
    objectsDone: 0,
    objectsTotal: 0,
    bytesDone: 0,
    bytesTotal: 0,
    bytesPerSecond: 0,
    secondsLeft: 0,
    ...p,
  };
}

function finding(p: Partial<SecretFinding>): SecretFinding {
  return {
    id: 'github-token-0123456789ab',
    rule: 'github-token',
    path: 'train.ipynb',
    cell: 3,
    line: 2,
    where: 'output',
    excerpt: 'token: ghp_…(40 chars)',
    message: 'A GitHub token is printed in an output.',
    version: 'v0000000000000001',
    ...p,
  };
}

function remote(p: Partial<RemoteInfo>): RemoteInfo {
  return { name: 'origin', url: 'file:///team', kind: 'folder', isDefault: true, settings: {}, unpushed: 0, ...p };
}

test('progress shows objects, bytes, rate and time left, each only when known', () => {
  assert.equal(
    progressMessage(
      progress({
        objectsDone: 12,
        objectsTotal: 40,
        bytesDone: 3.1 * 2 ** 20,
        bytesTotal: 10 * 2 ** 20,
        bytesPerSecond: 1.2 * 2 ** 20,
        secondsLeft: 5.4,
      }),
    ),
    'Uploading 12/40 objects · 3.1 MiB of 10.0 MiB · 1.2 MiB/s · 5 s left',
  );
  assert.equal(progressMessage(progress({ phase: 'scan', objectsDone: 0, objectsTotal: 1 })), 'Scanning 0/1 object');
  assert.equal(
    progressMessage(progress({ phase: 'download', objectsDone: 1, objectsTotal: 2, secondsLeft: 125 })),
    'Downloading 1/2 objects · 2 min 5 s left',
  );
});

test('the fraction follows bytes when a phase moves bytes, else objects, and stays within 0..1', () => {
  assert.equal(progressFraction(progress({ bytesDone: 25, bytesTotal: 100, objectsDone: 9, objectsTotal: 10 })), 0.25);
  assert.equal(progressFraction(progress({ objectsDone: 1, objectsTotal: 4 })), 0.25);
  assert.equal(progressFraction(progress({})), 0);
  assert.equal(progressFraction(progress({ bytesDone: 150, bytesTotal: 100 })), 1);
});

test('the tracker gives increments that sum to at most 100 and never go back', () => {
  const t = new ProgressTracker();
  assert.equal(t.next(progress({ phase: 'scan', objectsDone: 5, objectsTotal: 10 })).increment, undefined);
  assert.equal(t.next(progress({ bytesDone: 30, bytesTotal: 100 })).increment, 30);
  assert.equal(t.next(progress({ bytesDone: 20, bytesTotal: 100 })).increment, undefined);
  assert.equal(t.next(progress({ bytesDone: 100, bytesTotal: 100 })).increment, 70);
  assert.equal(t.next(progress({ phase: 'history', objectsDone: 1, objectsTotal: 1 })).increment, undefined);
  assert.match(t.next(progress({ phase: 'history', objectsDone: 1, objectsTotal: 1 })).message, /^Writing history/);
});

test('findings say file, cell, where, line and rule', () => {
  assert.equal(findingLocation(finding({})), 'train.ipynb, cell 3 output, line 2');
  assert.equal(findingLocation(finding({ where: 'source' })), 'train.ipynb, cell 3, line 2');
  assert.equal(findingLocation(finding({ path: 'cfg.py', cell: undefined, where: 'text', line: 7 })), 'cfg.py, line 7');
  assert.equal(
    findingLocation(finding({ cell: undefined, where: 'metadata', line: 1 })),
    'train.ipynb, metadata, line 1',
  );
  assert.equal(findingLine(finding({})), 'train.ipynb, cell 3 output, line 2: github-token (token: ghp_…(40 chars))');
  assert.deepEqual(findingPickItem(finding({})), {
    label: 'train.ipynb, cell 3 output, line 2',
    description: 'github-token',
    detail: 'token: ghp_…(40 chars) · A GitHub token is printed in an output.',
    id: 'github-token-0123456789ab',
  });
});

test('a refused push: one sentence, the findings in the detail, one secret counted once', () => {
  const twice = [finding({ where: 'source', line: 1 }), finding({})];
  const other = finding({
    id: 'aws-access-key-aaaaaaaaaaaa',
    rule: 'aws-access-key',
    path: 'keys.py',
    cell: undefined,
    where: 'text',
  });
  const r = { remote: 'origin', pushed: false, findings: [...twice, other] } as unknown as PushResult;
  assert.equal(distinctFindings(r.findings).length, 2);
  assert.equal(refusalSentence(r), 'Nothing was pushed to origin: the secret gate found 2 possible secrets.');
  assert.equal(refusalDetail(r.findings).split('\n').length, 2);
  assert.match(refusalDetail(r.findings, 1), /… and 1 more \(see the mlsnap log\)$/);
  assert.equal(strippingHelps(r.findings), true);
  assert.equal(strippingHelps([other]), false);
});

test('push and pull results in one line', () => {
  const pushed = {
    remote: 'origin',
    pushed: true,
    findings: [],
    versions: 3,
    objects: 5,
    bytes: 4096,
    bytesSent: 1024,
    seconds: 1.25,
  } as PushResult;
  assert.equal(pushSummary(pushed), 'pushed 3 versions to origin (5 objects, 4.0 KiB, 1.0 KiB sent) in 1.3 s');
  assert.equal(pushSummary({ ...pushed, versions: 0 }), 'origin is up to date');
  const pulled: PullResult = {
    remote: 'origin',
    versions: 1,
    historyObjects: 1,
    blobsFetched: 0,
    bytes: 0,
    seconds: 0,
  };
  assert.equal(pullSummary(pulled), 'pulled 1 version from origin');
  assert.equal(pullSummary({ ...pulled, versions: 0 }), 'nothing new on origin');
  assert.equal(
    pullSummary({ ...pulled, blobsFetched: 2, bytes: 2048 }),
    'pulled 1 version from origin; fetched 2 blobs (2.0 KiB)',
  );
});

test("the status bar counts the default remote's unpushed versions of every project", () => {
  assert.equal(unpushedStatus([{ root: '/w/a', remotes: [] }]), null);
  const s = unpushedStatus([
    { root: '/w/a', remotes: [remote({ name: 'backup', isDefault: false, unpushed: 9 }), remote({ unpushed: 3 })] },
    { root: '/w/b', remotes: [remote({ unpushed: 1 })] },
  ]);
  assert.equal(s?.text, '$(cloud-upload) 4 not pushed');
  assert.match(s?.tooltip ?? '', /^a → origin: 3 versions not pushed\nb → origin: 1 version not pushed\n/);
  assert.equal(unpushedStatus([{ root: '/w/a', remotes: [remote({})] }])?.text, '$(cloud) pushed');
});

test('remote picker rows, suggested names and light URL checks', () => {
  assert.deepEqual(remotePickItem(remote({ unpushed: 2 }), 'demo'), {
    label: 'demo → origin',
    description: 'file:///team (default)',
    detail: '2 versions not pushed',
  });
  assert.equal(remoteNameProblem('origin', []), null);
  assert.equal(remoteNameProblem('origin', ['origin']), 'this project already has a remote named origin');
  assert.match(remoteNameProblem('my remote', []) ?? '', /^a remote name is 1-64 letters/);
  assert.equal(suggestRemoteName([]), 'origin');
  assert.equal(suggestRemoteName(['origin']), 'team');
  assert.equal(suggestRemoteName(['origin', 'team', 'team-2']), 'team-3');
  assert.equal(remoteUrlProblem('s3', 's3://bucket/ml'), null);
  assert.equal(remoteUrlProblem('s3', 's3://bucket'), null);
  assert.match(remoteUrlProblem('s3', 'bucket/ml') ?? '', /s3:\/\/bucket/);
  assert.equal(remoteUrlProblem('azure', 'azure://acct/models/team'), null);
  assert.match(remoteUrlProblem('azure', 'azure://acct') ?? '', /account\/container/);
  assert.equal(endpointProblem('https://minio.local:9000'), null);
  assert.match(endpointProblem('minio.local') ?? '', /URL/);
  assert.match(endpointProblem('ftp://x') ?? '', /http/);
});
