import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { Blake3Hasher } from '@napi-rs/blake-hash';
import Database from 'better-sqlite3';
import type { EnvironmentInfo, VersionInfo } from '../../shared/src/domain';
import type {
  CloneResult,
  DaemonFile,
  PullResult,
  PushResult,
  RemoteCheckResult,
  RemoteInfo,
} from '../../shared/src/protocol';
import { mlsnap, mlsnapAsync, mlsnapBytes, type CliOptions, type CliResult } from '../support/cli';
import { moto, motoBucket, motoClient, MOTO_ENV, stopStorageServers } from '../support/storageServers';
import { notebookJson } from '../support/project';
import { tempDir, waitFor, writeRandomFile } from '../support/tmp';

/**
 * Team remotes end to end through the real CLI and daemons (one MLSNAP_HOME per teammate),
 * against a moto S3 server and a folder on loopback: concurrent pushes, a push killed with
 * -9, objects altered in the bucket, a planted key, and the errors users meet.
 */

const homes: string[] = [];
function newHome(): string {
  const h = tempDir('remote-home');
  homes.push(h);
  return h;
}

after(async () => {
  for (const home of homes) run(['daemon', 'stop'], { cwd: home, home });
  await stopStorageServers();
});

type Who = { cwd: string; home: string; env?: Record<string, string> };

/** Every call talks to moto with its any-credentials, unless the caller blanks them. */
function withMoto(o: Who): CliOptions {
  return { ...o, env: { ...MOTO_ENV, ...o.env }, timeoutMs: 300_000 };
}

const run = (args: string[], o: Who): CliResult => mlsnap(args, withMoto(o));
const runAsync = (args: string[], o: Who): Promise<CliResult> => mlsnapAsync(args, withMoto(o));
const bytesOf = (args: string[], o: Who): Buffer => mlsnapBytes(args, withMoto(o));

function json<T>(args: string[], o: Who): T {
  const r = run([...args, '--json'], o);
  if (r.status !== 0)
    throw new Error(`mlsnap ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}\n${daemonLog(o.home)}`);
  return JSON.parse(r.stdout) as T;
}

/** The end of a home's daemon log, for failure messages. */
function daemonLog(home: string): string {
  try {
    return `daemon.log:\n${fs.readFileSync(path.join(home, 'daemon.log'), 'utf8').split('\n').slice(-30).join('\n')}`;
  } catch {
    return '(no daemon.log)';
  }
}

/** A project of a teammate: its own home (daemon), folder and author. */
interface Teammate {
  home: string;
  root: string;
  cwd: string;
  env: Record<string, string>;
}

function teammate(author: string): Teammate {
  const home = newHome();
  const root = tempDir(`remote-${author}`);
  const t = { home, root, cwd: root, env: { MLSNAP_AUTHOR: author } };
  assert.equal(run(['init'], t).status, 0);
  return t;
}

let serial = 0;
async function newBucket(): Promise<{ url: string; endpoint: string }> {
  const { url } = await moto();
  const bucket = `team-${process.pid}-${++serial}`;
  await motoBucket(url, bucket);
  return { url: `s3://${bucket}/ml`, endpoint: url };
}

async function allObjects(endpoint: string, s3url: string): Promise<Map<string, Buffer>> {
  const [, bucket] = /^s3:\/\/([^/]+)/.exec(s3url) as RegExpExecArray;
  const c = motoClient(endpoint);
  const out = new Map<string, Buffer>();
  const page = await c.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const o of page.Contents ?? []) {
    const got = await c.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
    out.set(
      o.Key as string,
      Buffer.from(await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()),
    );
  }
  c.destroy();
  return out;
}

function log(t: { cwd: string; home: string }, p?: string): VersionInfo[] {
  return json<VersionInfo[]>(['log', ...(p ? [p] : []), '--limit', '100000'], t);
}

/** Write files and record them with one manual snapshot (the watcher may record some first: same bytes). */
function writeAndSnapshot(t: Teammate, files: Record<string, Buffer | string>, message: string): void {
  for (const [rel, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(t.root, rel)), { recursive: true });
    fs.writeFileSync(path.join(t.root, rel), body);
  }
  const r = run(['snapshot', ...Object.keys(files), '-m', message], t);
  assert.equal(r.status, 0, r.stderr);
}

function random(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

describe('S3 (moto)', () => {
  test('two projects push at once; a third clones every version of both, byte for byte, with environments', async () => {
    const remote = await newBucket();
    const alice = teammate('alice');
    const bob = teammate('bob');
    writeAndSnapshot(alice, { 'models/a.pt': random(300_000, 1), 'metrics.json': '{"loss": 0.5}\n' }, 'alice 1');
    writeAndSnapshot(alice, { 'models/a.pt': random(300_000, 2), 'metrics.json': '{"loss": 0.4}\n' }, 'alice 2');
    writeAndSnapshot(bob, { 'models/b.onnx': random(200_000, 3), 'notes.ipynb': notebookJson(['print(1)']) }, 'bob 1');
    // The same weights pushed by both are stored once.
    writeAndSnapshot(bob, { 'models/shared.pt': random(2_000_000, 9) }, 'bob 2');
    writeAndSnapshot(alice, { 'models/shared.pt': random(2_000_000, 9) }, 'alice 3');
    for (const t of [alice, bob]) {
      const add = run(['remote', 'add', 'origin', remote.url, '--endpoint', remote.endpoint], t);
      assert.equal(add.status, 0, add.stderr);
    }
    const [pa, pb] = await Promise.all([alice, bob].map((t) => runAsync(['push', '--json'], t)));
    for (const p of [pa, pb]) assert.equal(p?.status, 0, p?.stderr);
    const pushedA = JSON.parse(pa?.stdout ?? '') as PushResult;
    const pushedB = JSON.parse(pb?.stdout ?? '') as PushResult;
    assert.equal(pushedA.versions, log(alice).length);
    assert.equal(pushedB.versions, log(bob).length);

    const objects = await allObjects(remote.endpoint, remote.url);
    const sharedKeys = [...objects.keys()].filter((k) => objects.get(k)?.length === 2_000_000);
    assert.equal(sharedKeys.length, 1, 'the same weights are one object');
    assert.equal(objects.get('ml/config')?.toString().includes('"version": 1'), true);

    // Nothing left to push: an answer from the local record, no upload.
    const again = json<PushResult>(['push'], alice);
    assert.equal(again.versions, 0);
    assert.ok(again.seconds < 5, `an empty push took ${again.seconds} s`);

    const carol = { home: newHome(), cwd: tempDir('remote-carol-parent'), env: { MLSNAP_AUTHOR: 'carol' } };
    const dir = path.join(carol.cwd, 'project');
    const cloned = json<CloneResult>(['clone', remote.url, dir, '--endpoint', remote.endpoint], carol);
    const c = { ...carol, cwd: dir };
    const alices = new Set(log(alice).map((v) => v.uid));
    const theirs = [...log(alice), ...log(bob)];
    assert.equal(cloned.versions, theirs.length);
    const mine = log(c);
    assert.equal(mine.length, theirs.length, 'every version of both, and no new ones from the clone');
    for (const v of theirs) {
      const owner = alices.has(v.uid) ? alice : bob;
      const got = mine.find((x) => x.uid === v.uid);
      assert.ok(got, `${v.path} ${v.uid} arrived`);
      assert.equal(got.author, owner.env.MLSNAP_AUTHOR);
      assert.deepEqual(got.remotes, ['origin']);
      assert.deepEqual(bytesOf(['cat', v.uid], c), bytesOf(['cat', v.uid], owner), `${v.path} byte for byte`);
      assert.deepEqual(
        json<EnvironmentInfo>(['env', v.uid], c),
        json<EnvironmentInfo>(['env', v.uid], owner),
        `${v.path}: the same environment`,
      );
    }
    // The working folder holds the latest of each file, not recorded again.
    assert.deepEqual(fs.readFileSync(path.join(dir, 'models', 'b.onnx')), random(200_000, 3));
    assert.equal(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'), '{"loss": 0.4}\n');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(log(c).length, theirs.length, 'the watcher found nothing new in the cloned files');

    // Pull brings bob's next version to alice without touching her working files.
    writeAndSnapshot(bob, { 'models/b.onnx': random(200_000, 4) }, 'bob 3');
    assert.equal(json<PushResult>(['push'], bob).versions, 1);
    const before = fs.readdirSync(alice.root).sort();
    const pulled = json<PullResult>(['pull'], alice);
    assert.equal(pulled.versions, log(bob).length, "bob's versions are new to alice");
    assert.deepEqual(fs.readdirSync(alice.root).sort(), before, 'pull wrote nothing into the working folder');
    const bobs = log(alice, 'models/b.onnx');
    assert.equal(bobs[0]?.author, 'bob');
    assert.equal(bobs[0]?.seq, 2, 'teammates’ versions take the next local numbers, oldest first');
    // Their bytes come when first read, checked.
    assert.deepEqual(bytesOf(['cat', 'models/b.onnx@2'], alice), random(200_000, 4));
    const restored = run(['restore', 'models/b.onnx@latest'], alice);
    assert.equal(restored.status, 0, restored.stderr);
    assert.deepEqual(fs.readFileSync(path.join(alice.root, 'models', 'b.onnx')), random(200_000, 4));
  });

  test('a push killed with -9 half-way sends only the missing parts when run again', async () => {
    const remote = await newBucket();
    const t = teammate('kill');
    const size = 160 * 1024 * 1024;
    writeRandomFile(path.join(t.root, 'big.pt'), size, 5);
    assert.equal(run(['snapshot', 'big.pt'], t).status, 0);
    assert.equal(run(['remote', 'add', 'origin', remote.url, '--endpoint', remote.endpoint], t).status, 0);
    const daemon = JSON.parse(fs.readFileSync(path.join(t.home, 'daemon.json'), 'utf8')) as DaemonFile;
    const pushing = runAsync(['push', '--json'], t);
    // Parts are recorded in SQLite as they land: kill once a few are there.
    const db = new Database(path.join(t.root, '.mlsnap', 'store.db'), { readonly: true, fileMustExist: true });
    const partsBefore = await waitFor(
      'three parts uploaded',
      () => {
        const row = db.prepare('SELECT state FROM remote_upload').get() as { state: string } | undefined;
        const parts = row ? (JSON.parse(row.state) as { parts: { size: number }[] }).parts : [];
        return parts.length >= 3 ? parts : null;
      },
      60_000,
    );
    process.kill(daemon.pid, 'SIGKILL');
    const killed = await pushing;
    assert.notEqual(killed.status, 0, 'the interrupted push failed');
    const kept = (
      JSON.parse((db.prepare('SELECT state FROM remote_upload').get() as { state: string }).state) as {
        parts: { size: number }[];
      }
    ).parts;
    db.close();
    assert.ok(kept.length >= partsBefore.length);
    const keptBytes = kept.reduce((n, p) => n + p.size, 0);

    const second = json<PushResult>(['push'], t);
    assert.equal(second.versions, 1);
    assert.equal(second.bytes, size);
    // Parts in flight when the daemon died may have landed unrecorded: the resume asks the
    // remote (ListParts), so it sends at most what the record lacked, and never all of it.
    const partSize = 16 * 1024 * 1024;
    assert.ok(second.bytesSent <= size - keptBytes, `${second.bytesSent} sent, ${size - keptBytes} were missing`);
    assert.ok(second.bytesSent >= size - keptBytes - 4 * partSize, `${second.bytesSent} sent`);
    assert.ok(second.bytesSent < size - 2 * partSize, 'the parts sent before the kill were not sent again');
    const clone = { home: newHome(), cwd: tempDir('kill-clone') };
    json<CloneResult>(['clone', remote.url, path.join(clone.cwd, 'p'), '--endpoint', remote.endpoint], clone);
    const a = fs.readFileSync(path.join(clone.cwd, 'p', 'big.pt'));
    const b = fs.readFileSync(path.join(t.root, 'big.pt'));
    assert.ok(a.equals(b), 'the cloned file is the pushed one, byte for byte');
  });

  test('a notebook with a cloud key in an output is refused; --strip-outputs pushes a copy without it', async () => {
    const remote = await newBucket();
    const t = teammate('leaky');
    const key = 'AKIAQ3EGRTYPL7MXZW2B';
    const nb = JSON.parse(notebookJson(['import os', 'print(os.environ)'])) as {
      cells: { outputs?: unknown[] }[];
    };
    (nb.cells[0] as { outputs: unknown[] }).outputs = [
      { output_type: 'stream', name: 'stdout', text: [`{'AWS_ACCESS_KEY_ID': '${key}', 'HOME': '/root'}\n`] },
    ];
    writeAndSnapshot(t, { 'explore.ipynb': JSON.stringify(nb, null, 1) }, 'leak');
    assert.equal(run(['remote', 'add', 'origin', remote.url, '--endpoint', remote.endpoint], t).status, 0);
    const refused = run(['push'], t);
    assert.equal(refused.status, 12, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /explore\.ipynb: cell 1 output, line 1: aws-access-key/);
    assert.doesNotMatch(refused.stdout, new RegExp(key), 'the report does not repeat the key');
    const objects = await allObjects(remote.endpoint, remote.url);
    assert.deepEqual(
      [...objects.keys()].filter((k) => k.includes('/data/') || k.includes('/history/')),
      [],
      'nothing of the version was pushed',
    );
    const stripped = json<PushResult>(['push', '--strip-outputs'], t);
    assert.equal(stripped.pushed, true);
    assert.equal(stripped.versions, 1);
    const after = await allObjects(remote.endpoint, remote.url);
    for (const [k, body] of after) assert.ok(!body.includes(key), `${k} holds the key`);
    // Local history keeps the outputs.
    assert.ok(bytesOf(['cat', 'explore.ipynb@latest'], t).includes(key));

    // A finding can be accepted by id; the push records it.
    writeAndSnapshot(t, { 'settings.txt': 'api_token = "q8Zr2LmX9vTn4WbKp7YcHs3D"\n' }, 'token');
    const found = run(['push', '--json'], t);
    assert.equal(found.status, 12);
    const report = JSON.parse(found.stdout) as PushResult;
    assert.equal(report.findings.length, 1);
    const finding = report.findings[0] as PushResult['findings'][number];
    assert.equal(finding.rule, 'high-entropy-assignment');
    assert.equal(finding.path, 'settings.txt');
    const allowed = json<PushResult>(['push', '--allow', finding.id], t);
    assert.equal(allowed.versions, 1);
    const history = [...(await allObjects(remote.endpoint, remote.url))].filter(([k]) => k.includes('/history/'));
    const recorded = history.flatMap(
      ([, body]) => (JSON.parse(body.toString()) as { versions: { allowed?: string[] }[] }).versions,
    );
    assert.ok(
      recorded.some((v) => v.allowed?.includes(finding.id)),
      'the accepted finding travels with the version',
    );
  });

  test('a model whose pickle would run code on load is flagged by the gate', async () => {
    const remote = await newBucket();
    const t = teammate('pickler');
    const evil = path.join(t.root, 'model.pkl');
    // Written by Python, never loaded: its __reduce__ would call os.system.
    const py = spawnSync('/usr/bin/python3', [
      '-c',
      `import os, pickle\nclass E:\n    def __reduce__(self):\n        return (os.system, ('echo pwned',))\nopen(${JSON.stringify(evil)}, 'wb').write(pickle.dumps(E()))`,
    ]);
    assert.equal(py.status, 0, py.stderr.toString());
    assert.equal(run(['snapshot', 'model.pkl'], t).status, 0);
    assert.equal(run(['remote', 'add', 'origin', remote.url, '--endpoint', remote.endpoint], t).status, 0);
    const r = run(['push'], t);
    assert.equal(r.status, 12, r.stdout + r.stderr);
    assert.match(r.stdout, /model\.pkl: line 1: pickle-code-execution .*system/);
  });

  test('an object altered in the bucket is refused by pull and clone and named by remote check', async () => {
    const remote = await newBucket();
    const t = teammate('victim');
    writeAndSnapshot(t, { 'models/m.pt': random(100_000, 7) }, 'one');
    assert.equal(run(['remote', 'add', 'origin', remote.url, '--endpoint', remote.endpoint], t).status, 0);
    json<PushResult>(['push'], t);
    const objects = await allObjects(remote.endpoint, remote.url);
    const dataKey = [...objects.keys()].find((k) => k.includes('/data/')) as string;
    const [, bucket] = /^s3:\/\/([^/]+)/.exec(remote.url) as RegExpExecArray;
    const c = motoClient(remote.endpoint);
    const altered = Buffer.from(objects.get(dataKey) as Buffer);
    altered[100] = (altered[100] as number) ^ 0xff;
    await c.send(new PutObjectCommand({ Bucket: bucket, Key: dataKey, Body: altered }));
    c.destroy();

    const check = run(['remote', 'check', '--read-data-subset', '100'], t);
    assert.equal(check.status, 10, check.stdout + check.stderr);
    assert.match(check.stdout, new RegExp(`corrupt: ${dataKey.replace(/^ml\//, '')}`));
    const checked = json<RemoteCheckResult>(['remote', 'check'], t);
    assert.equal(checked.dataChecked, 0, 'without --read-data-subset nothing is downloaded');

    const clone = { home: newHome(), cwd: tempDir('altered-clone') };
    const dir = path.join(clone.cwd, 'p');
    const cl = run(['clone', remote.url, dir, '--endpoint', remote.endpoint], clone);
    assert.equal(cl.status, 11, cl.stderr);
    assert.match(cl.stderr, /remote origin: object data\/[0-9a-f]{2}\/[0-9a-f]{64} is corrupt/);
    assert.equal(fs.existsSync(dir), false, 'a failed clone leaves nothing');

    const pullHome = teammate('reader');
    assert.equal(run(['remote', 'add', 'origin', remote.url, '--endpoint', remote.endpoint], pullHome).status, 0);
    const p = run(['pull', '--blobs'], pullHome);
    assert.equal(p.status, 11, p.stderr);
    assert.match(p.stderr, /is corrupt/);
    assert.equal(run(['cat', 'models/m.pt@1'], pullHome).status, 11, 'the bytes are refused when read, too');
  });

  test('errors name the remote and the fix, and change nothing locally', async () => {
    const t = teammate('errors');
    const { endpoint } = await newBucket();
    const noBucket = run(['remote', 'add', 'x', 's3://no-such-bucket-here/p', '--endpoint', endpoint], t);
    assert.equal(noBucket.status, 11, noBucket.stderr);
    assert.match(
      noBucket.stderr,
      /remote x \(s3:\/\/no-such-bucket-here\/p\): bucket no-such-bucket-here does not exist.*--create/,
    );
    const created = run(['remote', 'add', 'made', 's3://made-by-create/p', '--endpoint', endpoint, '--create'], t);
    assert.equal(created.status, 0, created.stderr);

    const down = run(['remote', 'add', 'y', 's3://bucket-down/p', '--endpoint', 'http://127.0.0.1:9'], t);
    assert.equal(down.status, 11, down.stderr);
    assert.match(down.stderr, /remote y .* cannot be reached .*check the network and the endpoint/);

    const badUrl = run(['remote', 'add', 'z', 'ftp://host/x'], t);
    assert.equal(badUrl.status, 2);
    assert.match(badUrl.stderr, /s3:\/\/bucket\/prefix, azure:\/\/account\/container\/prefix/);

    const newer = await newBucket();
    const [, bucket] = /^s3:\/\/([^/]+)/.exec(newer.url) as RegExpExecArray;
    const c = motoClient(newer.endpoint);
    await c.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'ml/config', Body: '{"format":"mlsnap-remote","version":99}' }),
    );
    c.destroy();
    const future = run(['remote', 'add', 'future', newer.url, '--endpoint', newer.endpoint], t);
    assert.equal(future.status, 11);
    assert.match(future.stderr, /written by a newer mlsnap \(remote format 99.*upgrade mlsnap/);
    assert.deepEqual(
      json<RemoteInfo[]>(['remote', 'list'], t).map((r) => r.name),
      ['made'],
      'refused remotes were not added',
    );
    // No credentials anywhere (the daemon of this home starts without any either).
    const bare = {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_CONFIG_FILE: '/nonexistent/config',
    };
    const nobody = { home: newHome(), cwd: tempDir('remote-nocreds'), env: bare };
    assert.equal(run(['init'], nobody).status, 0);
    const nocreds = run(['remote', 'add', 'origin', newer.url, '--endpoint', newer.endpoint], nobody);
    assert.equal(nocreds.status, 11, nocreds.stderr);
    assert.match(nocreds.stderr, /remote origin .*: no credentials found .*set AWS_PROFILE/);

    const noRemote = teammate('lonely');
    const push = run(['push'], noRemote);
    assert.equal(push.status, 3);
    assert.match(push.stderr, /no remote; add one with `mlsnap remote add <name> <url>`/);
  });
});

describe('folder remote', () => {
  test('a full disk during pull --blobs is an io error; nothing half-stored, the bytes come later', () => {
    const remoteDir = path.join(tempDir('full-remote'), 'shared');
    const writer = teammate('filler');
    writeAndSnapshot(writer, { 'models/big.pt': random(4 * 1024 * 1024, 21) }, 'big');
    assert.equal(run(['remote', 'add', 'share', remoteDir, '--create'], writer).status, 0);
    json<PushResult>(['push'], writer);

    const root = tempDir('full-project');
    const store = path.join(root, '.mlsnap');
    fs.mkdirSync(store);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', store]);
    try {
      const reader = { home: newHome(), root, cwd: root, env: {} };
      assert.equal(run(['init'], reader).status, 0);
      assert.equal(run(['remote', 'add', 'share', remoteDir], reader).status, 0);
      const full = run(['pull', '--blobs'], reader);
      assert.equal(full.status, 8, full.stderr);
      assert.match(full.stderr, /ENOSPC|no space/i);
      assert.deepEqual(fs.readdirSync(path.join(store, 'tmp')), [], 'no temp file left');
      const v = log(reader, 'models/big.pt')[0];
      assert.equal(v?.bytesOnRemote, true, 'the version is known, its bytes still on the remote');
      run(['daemon', 'stop'], reader);
    } finally {
      // Lazily: a daemon that is still closing its files must not fail the test.
      execFileSync('umount', ['-l', store]);
    }
  });

  test('push and clone through a folder; hostile history is refused whole and nothing is recorded', () => {
    const remoteDir = path.join(tempDir('folder-remote'), 'shared');
    const t = teammate('folder');
    writeAndSnapshot(t, { 'models/f.pt': random(50_000, 11), 'a.ipynb': notebookJson(['x = 1']) }, 'one');
    const missing = run(['remote', 'add', 'share', remoteDir], t);
    assert.equal(missing.status, 11);
    assert.match(missing.stderr, /does not exist; mount it, fix the path, or add it with --create/);
    assert.equal(run(['remote', 'add', 'share', remoteDir, '--create'], t).status, 0);
    json<PushResult>(['push'], t);
    const clone = { home: newHome(), cwd: tempDir('folder-clone') };
    const dir = path.join(clone.cwd, 'p');
    json<CloneResult>(['clone', remoteDir, dir], clone);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'models', 'f.pt')), random(50_000, 11));

    // A hostile writer's object: a path out of the project, under a key hashed to match.
    const reader = teammate('reader2');
    assert.equal(run(['remote', 'add', 'share', remoteDir], reader).status, 0);
    const historyDir = path.join(remoteDir, 'history');
    const writer = fs.readdirSync(historyDir)[0] as string;
    const file = fs.readdirSync(path.join(historyDir, writer))[0] as string;
    const body = JSON.parse(fs.readFileSync(path.join(historyDir, writer, file), 'utf8')) as {
      versions: { path: string; id: string }[];
    };
    const v0 = body.versions[0] as { path: string; id: string };
    v0.path = '../../etc/cron.d/evil';
    v0.id = 'v00000000000000ff';
    const hostile = Buffer.from(JSON.stringify(body));
    const h = new Blake3Hasher();
    h.update(hostile);
    const hostileKey = `9999999999999-${h.digest('hex').slice(0, 16)}.json`;
    fs.writeFileSync(path.join(historyDir, writer, hostileKey), hostile);
    const before = log(reader).length;
    const p = run(['pull'], reader);
    assert.equal(p.status, 11, p.stderr);
    assert.match(
      p.stderr,
      new RegExp(
        `history object history/${writer}/${hostileKey} is malformed .*project-relative path.*nothing was pulled`,
      ),
    );
    assert.equal(log(reader).length, before, 'nothing was recorded');
    assert.equal(fs.existsSync(path.resolve(reader.root, '../../etc/cron.d/evil')), false);
    // An object altered after it was written no longer matches its key.
    fs.rmSync(path.join(historyDir, writer, hostileKey));
    const original = path.join(historyDir, writer, file);
    fs.chmodSync(original, 0o644);
    fs.writeFileSync(original, fs.readFileSync(original, 'utf8').replace('"one"', '"two"'));
    const p2 = run(['pull'], reader);
    assert.equal(p2.status, 11);
    assert.match(p2.stderr, /do not match the hash in its key \(it was altered\)/);
  });
});
