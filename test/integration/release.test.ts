import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { BlobServiceClient } from '@azure/storage-blob';
import YAML from 'yaml';
import type { VersionInfo } from '../../shared/src/domain';
import type { ShowResult } from '../../shared/src/protocol';
import type { AuditRecord, BundleResult, PromoteResult, StageInfo, StagePointer } from '../../shared/src/release';
import { kubernetesQuantity } from '../../shared/src/estimateText';
import { parseRemoteUrl } from '../../daemon/src/remote/RemoteLocation';
import { RemoteSession } from '../../daemon/src/remote/sync/RemoteSession';
import { pointerKey } from '../../daemon/src/release/stages/StageFormat';
import { StageStore } from '../../daemon/src/release/stages/StageStore';
import { daemonApi, mlsnap, mlsnapAsync, REPO, type CliResult } from '../support/cli';
import { executeNotebook } from '../support/notebooks';
import {
  azurite,
  azuriteConnectionString,
  moto,
  motoBucket,
  motoClient,
  MOTO_ENV,
  stopStorageServers,
} from '../support/storageServers';
import { tempDir, waitFor } from '../support/tmp';

/**
 * Release management through the real CLI and daemons, on moto (S3), Azurite (Azure Blob) and
 * a folder: stages moved by compare-and-swap with an audit trail, gates on the demo notebook's
 * real torch model, `fetch-stage` verifying what it downloads, and deployment bundles whose
 * YAML parses back.
 */

const homes: string[] = [];
after(async () => {
  for (const home of homes) mlsnap(['daemon', 'stop'], { cwd: home, home });
  await stopStorageServers();
});

interface Teammate {
  home: string;
  root: string;
  cwd: string;
  env: Record<string, string>;
}

function teammate(author: string, extraEnv: Record<string, string> = {}): Teammate {
  const home = tempDir(`release-home-${author}`);
  homes.push(home);
  const root = tempDir(`release-${author}`);
  const t = { home, root, cwd: root, env: { MLSNAP_AUTHOR: author, ...extraEnv } };
  ok(['init'], t);
  return t;
}

function run(args: string[], t: Teammate): CliResult {
  return mlsnap(args, { cwd: t.cwd, home: t.home, env: t.env, timeoutMs: 300_000 });
}

function ok(args: string[], t: Teammate): string {
  const r = run(args, t);
  assert.equal(r.status, 0, `mlsnap ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}\n${daemonLog(t)}`);
  return r.stdout;
}

function json<T>(args: string[], t: Teammate): T {
  return JSON.parse(ok([...args, '--json'], t)) as T;
}

function daemonLog(t: Teammate): string {
  try {
    return fs.readFileSync(path.join(t.home, 'daemon.log'), 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

/** A valid safetensors file: one F32 tensor of `rows` × 3, its values made from `seed`. */
function safetensors(rows: number, seed: number): Buffer {
  const data = Buffer.alloc(rows * 3 * 4);
  for (let i = 0; i < rows * 3; i++) data.writeFloatLE(seed + i / 10, i * 4);
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [rows, 3], data_offsets: [0, data.length] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, data]);
}

function writeModel(t: Teammate, rel: string, bytes: Buffer): VersionInfo {
  fs.mkdirSync(path.dirname(path.join(t.root, rel)), { recursive: true });
  fs.writeFileSync(path.join(t.root, rel), bytes);
  ok(['snapshot', rel, '-m', `write ${rel}`], t);
  const [latest] = json<VersionInfo[]>(['log', rel, '--limit', '1'], t);
  assert.ok(latest !== undefined);
  return latest;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface Backend {
  name: string;
  /** Whether the server decides concurrent conditional writes atomically (its emulator here does). */
  atomicConditionalWrites: boolean;
  /** A fresh remote: its URL, the flags `remote add` and `fetch-stage` need, and the env. */
  make(): Promise<{ url: string; flags: string[]; env: Record<string, string> }>;
  /** Replace an object's bytes behind mlsnap's back (as a person with bucket access could). */
  overwrite(url: string, key: string, bytes: Buffer, env: Record<string, string>, flags: string[]): Promise<void>;
}

let serial = 0;
const BACKENDS: Backend[] = [
  {
    name: 's3 (moto)',
    atomicConditionalWrites: false,
    async make() {
      const { url } = await moto();
      const bucket = `release-${process.pid}-${++serial}`;
      await motoBucket(url, bucket);
      return { url: `s3://${bucket}/ml`, flags: ['--endpoint', url], env: MOTO_ENV };
    },
    async overwrite(url, key, bytes, _env, flags) {
      const [, bucket, prefix] = /^s3:\/\/([^/]+)\/(.*)$/.exec(url) as RegExpExecArray;
      const c = motoClient(flags[1] as string);
      await c.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${key}`, Body: bytes }));
      c.destroy();
    },
  },
  {
    name: 'azure (Azurite)',
    atomicConditionalWrites: true,
    async make() {
      const { url } = await azurite();
      const env = { AZURE_STORAGE_CONNECTION_STRING: azuriteConnectionString(url) };
      const container = `release-${process.pid}-${++serial}`;
      await BlobServiceClient.fromConnectionString(env.AZURE_STORAGE_CONNECTION_STRING)
        .getContainerClient(container)
        .create();
      return { url: `azure://devstoreaccount1/${container}/ml`, flags: [], env };
    },
    async overwrite(url, key, bytes, env) {
      const [, container, prefix] = /^azure:\/\/[^/]+\/([^/]+)\/(.*)$/.exec(url) as RegExpExecArray;
      await BlobServiceClient.fromConnectionString(env['AZURE_STORAGE_CONNECTION_STRING'] as string)
        .getContainerClient(container as string)
        .getBlockBlobClient(`${prefix}/${key}`)
        .uploadData(bytes);
    },
  },
  {
    name: 'folder',
    atomicConditionalWrites: true,
    make() {
      return Promise.resolve({ url: path.join(tempDir('release-share'), 'remote'), flags: ['--create'], env: {} });
    },
    overwrite(url, key, bytes) {
      const file = path.join(url, ...key.split('/'));
      fs.chmodSync(file, 0o644);
      fs.writeFileSync(file, bytes);
      return Promise.resolve();
    },
  },
];

for (const backend of BACKENDS) {
  describe(`stages on ${backend.name}`, () => {
    let remote: { url: string; flags: string[]; env: Record<string, string> };
    let alice: Teammate;
    let bob: Teammate;
    const model = 'models/m.safetensors';

    test('promote, promote again, demote: each move is in the audit trail with its author', async () => {
      remote = await backend.make();
      alice = teammate('alice', remote.env);
      bob = teammate('bob', remote.env);
      ok(['remote', 'add', 'team', remote.url, ...remote.flags], alice);
      const addFlags = remote.flags.filter((f) => f !== '--create');
      ok(['remote', 'add', 'team', remote.url, ...addFlags], bob);
      const a1 = writeModel(alice, model, safetensors(2, 1));
      const first = json<PromoteResult>(['promote', `${model}@1`, 'staging', '-m', 'first try'], alice);
      assert.equal(first.stage.pointer.target?.versionId, a1.uid);
      assert.equal(first.previous, null);
      assert.deepEqual(first.gates, [], 'staging has no gates by default');
      // Bob promotes his own model under the same path: the stage is per model path on the remote.
      const b1 = writeModel(bob, model, safetensors(4, 2));
      const second = json<PromoteResult>(['promote', `${model}@latest`, 'staging', '-m', 'bigger'], bob);
      assert.equal(second.previous, a1.uid);
      const listed = json<StageInfo[]>(['stages', model], alice);
      assert.equal(listed.length, 1);
      assert.equal(listed[0]?.pointer.target?.versionId, b1.uid);
      assert.equal(listed[0]?.pointer.movedBy, 'bob');
      assert.equal(listed[0]?.local, null, "alice has not pulled bob's version");
      ok(['demote', model, 'staging', '-m', 'not ready'], alice);
      const trail = json<AuditRecord[]>(['stages', '--history'], alice);
      assert.deepEqual(
        trail.map((r) => [r.action, r.author, r.from, r.to, r.reason]),
        [
          ['promote', 'alice', null, a1.uid, 'first try'],
          ['promote', 'bob', a1.uid, b1.uid, 'bigger'],
          ['demote', 'alice', b1.uid, null, 'not ready'],
        ],
      );
      assert.equal(json<StageInfo[]>(['stages'], bob)[0]?.pointer.target, null, 'the stage is empty');
      const text = ok(['stages', '--history'], bob);
      assert.match(text, /models\/m\.safetensors staging: v[0-9a-f]{16} → v[0-9a-f]{16} by bob/);
    });

    test('two promotions of one stage read at the same pointer: exactly one wins, the other is told', async () => {
      const loc = parseRemoteUrl(remote.url, remote.flags[0] === '--endpoint' ? { endpoint: remote.flags[1] } : {});
      const stores = [0, 1].map(() => new StageStore(RemoteSession.fromLocation('team', loc, remote.env)));
      const [s0, s1] = stores as [StageStore, StageStore];
      const before = await s0.read(model, 'staging');
      assert.ok(before !== null);
      // Each move writes its own audit record first, and its pointer names it (as move() does).
      const pointer = async (who: string, from: StagePointer): Promise<StagePointer> => {
        const at = Date.now();
        const record: AuditRecord = {
          format: 'mlsnap-audit',
          version: 1,
          model,
          stage: 'staging',
          action: 'demote',
          from: null,
          to: null,
          author: who,
          host: 'test',
          at,
          reason: null,
          gates: [],
          forced: false,
          previous: from.audit,
        };
        return { ...from, movedBy: who, movedAt: at, audit: await s0.writeAudit(record) };
      };
      // Both read the same etag; the second swap to arrive names an etag that is gone.
      assert.equal((await s0.swap(await pointer('x', before.pointer), before.etag)).swapped, true);
      const late = await s1.swap(await pointer('y', before.pointer), before.etag);
      assert.ok(!late.swapped && late.current?.pointer.movedBy === 'x', 'the loser sees the winner');
      if (backend.atomicConditionalWrites) {
        // At the same instant. (moto checks If-Match without a lock, so two concurrent
        // conditional PUTs can both succeed there; S3 itself serializes them.)
        const now = await s0.read(model, 'staging');
        assert.ok(now !== null);
        const [p, q] = [await pointer('p', now.pointer), await pointer('q', now.pointer)];
        const results = await Promise.all([s0.swap(p, now.etag), s1.swap(q, now.etag)]);
        assert.equal(results.filter((r) => r.swapped).length, 1, JSON.stringify(results));
      }
      // Through the CLI: two teammates promote at once. Whoever loses is told who moved it.
      const v = writeModel(alice, model, safetensors(3, 3));
      ok(['push'], alice);
      ok(['pull'], bob);
      const both = await Promise.all([
        mlsnapAsync(['promote', `${model}@latest`, 'canary'], { cwd: alice.cwd, home: alice.home, env: alice.env }),
        mlsnapAsync(['promote', v.uid, 'canary'], { cwd: bob.cwd, home: bob.home, env: bob.env }),
      ]);
      const won = both.filter((r) => r.status === 0).length;
      for (const r of both.filter((x) => x.status !== 0)) {
        assert.equal(r.status, 7, r.stderr);
        assert.match(r.stderr, /changed while you moved it: (alice|bob) on .* moved it to v[0-9a-f]{16}/);
      }
      assert.ok(won >= 1);
      const canary = json<AuditRecord[]>(['stages', '--history', '--stage', 'canary'], alice);
      if (backend.atomicConditionalWrites) assert.equal(canary.length, won, 'a lost promotion is not in the trail');
      else assert.ok(canary.length >= 1 && canary.length <= won);
    });

    test('fetch-stage verifies the bytes; a pointer naming an altered or missing object fails and writes nothing', async () => {
      const v = writeModel(alice, model, safetensors(5, 4));
      const promoted = json<PromoteResult>(
        ['promote', `${model}@latest`, 'production', '--force', '--reason', 'test'],
        alice,
      );
      const target = promoted.stage.pointer.target;
      assert.ok(target !== null);
      const deploy = tempDir('release-deploy');
      const fetchArgs = [
        'fetch-stage',
        remote.url,
        model,
        'production',
        deploy,
        ...remote.flags.filter((f) => f !== '--create'),
      ];
      const fetched = JSON.parse(ok([...fetchArgs, '--json'], alice)) as { file: string; etag: string };
      const bytes = fs.readFileSync(path.join(deploy, 'm.safetensors'));
      assert.equal(sha256(bytes), target.object.sha256);
      assert.equal(bytes.length, v.size);
      // Polling: an unchanged pointer writes nothing.
      assert.match(ok([...fetchArgs, '--unless-etag', fetched.etag], alice), /^unchanged/);
      fs.rmSync(path.join(deploy, 'm.safetensors'));
      await backend.overwrite(remote.url, target.object.key, safetensors(5, 99), remote.env, remote.flags);
      const altered = run(fetchArgs, alice);
      assert.equal(altered.status, 11, altered.stderr);
      assert.match(altered.stderr, /does not match the stage's pointer \(sha256 /);
      assert.deepEqual(fs.readdirSync(deploy), [], 'nothing written, no temp file left');
      // A pointer naming an object that is not there.
      const missing = {
        ...promoted.stage.pointer,
        target: { ...target, object: { ...target.object, key: `data/00/${'0'.repeat(64)}`, blake3: '0'.repeat(64) } },
      };
      await backend.overwrite(
        remote.url,
        pointerKey(model, 'production'),
        Buffer.from(JSON.stringify(missing)),
        remote.env,
        remote.flags,
      );
      const gone = run(fetchArgs, alice);
      assert.equal(gone.status, 11, gone.stderr);
      assert.match(gone.stderr, /names object data\/00\/0+, which is not there/);
      // A pointer edited into nonsense is refused, naming it.
      await backend.overwrite(
        remote.url,
        pointerKey(model, 'production'),
        Buffer.from('{"format":"x"}'),
        remote.env,
        remote.flags,
      );
      const bad = run(fetchArgs, alice);
      assert.equal(bad.status, 11, bad.stderr);
      assert.match(bad.stderr, /stages\/models\/m\.safetensors\/production\.json was refused/);
      assert.deepEqual(fs.readdirSync(deploy), []);
    });
  });
}

describe('gates on the demo notebook, production on S3 (moto)', () => {
  let alice: Teammate;
  let remoteUrl = '';
  let endpoint = '';
  const pt = 'models/mlp.pt';

  function setHidden(value: number): void {
    const file = path.join(alice.root, 'train.ipynb');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/HIDDEN = \d+/, `HIDDEN = ${value}`));
  }

  /** Execute the notebook for real and wait until the model's new version belongs to a run with metrics. */
  async function execute(versionsBefore: number): Promise<VersionInfo> {
    executeNotebook(alice.root);
    return waitFor(
      `version ${versionsBefore + 1} of ${pt} with its run`,
      () => {
        const [v] = json<VersionInfo[]>(['log', pt, '--limit', '1'], alice);
        if (v === undefined || v.seq <= versionsBefore || v.runId === undefined) return null;
        const run = json<{ metrics: unknown[] }>(['runs', 'show', v.runId], alice);
        return run.metrics.length > 0 ? v : null;
      },
      120_000,
    );
  }

  function promoteFails(args: string[], gate: RegExp): string {
    const r = run(['promote', ...args], alice);
    assert.equal(r.status, 14, `${r.stderr}${r.stdout}`);
    assert.match(r.stderr, gate);
    return r.stderr;
  }

  test('a clean version passes every production gate; the AWS CLI reads its pointer and its sha256 matches', async () => {
    const { url } = await moto();
    endpoint = url;
    const bucket = `prod-${process.pid}`;
    await motoBucket(url, bucket);
    remoteUrl = `s3://${bucket}/ml`;
    alice = teammate('alice', MOTO_ENV);
    fs.cpSync(path.join(REPO, 'examples', 'demo'), alice.root, { recursive: true });
    ok(['remote', 'add', 'team', remoteUrl, '--endpoint', endpoint], alice);
    const v1 = await execute(0);
    const r = json<PromoteResult>(['promote', `${pt}@${v1.seq}`, 'production', '-m', 'first release'], alice);
    assert.deepEqual(
      r.gates.map((g) => [g.gate, g.passed]),
      [
        ['environment', true],
        ['pickle', true],
        ['secrets', true],
        ['metric', true],
      ],
      JSON.stringify(r.gates),
    );
    const aws = (args: string[]): Buffer =>
      execFileSync('aws', ['--endpoint-url', endpoint, 's3', 'cp', ...args, '-'], {
        env: { ...process.env, ...MOTO_ENV },
        maxBuffer: 64 << 20,
      });
    const pointer = JSON.parse(aws([`${remoteUrl}/stages/${pt}/production.json`]).toString()) as StagePointer;
    assert.equal(pointer.target?.versionId, v1.uid);
    const modelBytes = fs.readFileSync(path.join(alice.root, pt));
    assert.equal(pointer.target?.object.sha256, sha256(modelBytes));
    assert.equal(sha256(aws([pointer.target?.object.url ?? ''])), sha256(modelBytes), 'the object is the raw bytes');
    // The README's polling loop: a conditional GET with the pointer's ETag is answered 304.
    const s3api = (args: string[]): ReturnType<typeof spawnSync> =>
      spawnSync(
        'aws',
        ['--endpoint-url', endpoint, 's3api', ...args, '--bucket', bucket, '--key', `ml/stages/${pt}/production.json`],
        {
          env: { ...process.env, ...MOTO_ENV },
          encoding: 'utf8',
        },
      );
    const head = s3api(['head-object']);
    assert.equal(head.status, 0, String(head.stderr));
    const etag = (JSON.parse(String(head.stdout)) as { ETag: string }).ETag;
    const out = path.join(tempDir('poll'), 'pointer.json');
    const unchanged = s3api(['get-object', '--if-none-match', etag, out]);
    assert.notEqual(unchanged.status, 0);
    assert.match(String(unchanged.stderr), /304|Not Modified/);
    assert.equal(s3api(['get-object', out]).status, 0);
    assert.equal((JSON.parse(fs.readFileSync(out, 'utf8')) as StagePointer).target?.versionId, v1.uid);
    assert.equal(pointer.target?.modelFormat, 'pytorch');
    assert.ok((pointer.target?.estimate?.parameters ?? 0) > 0);
    assert.ok(pointer.target?.environment?.pins.some((p) => p.startsWith('torch==')));
    assert.ok(Object.keys(pointer.target?.run?.metrics ?? {}).length > 0, 'the run metrics are in the pointer');
    assert.equal(pointer.target?.run?.params['HIDDEN'], 32);
  });

  test('a worse headline metric is refused; --force needs --reason, and the override is audited', async () => {
    setHidden(1);
    const v2 = await execute(json<VersionInfo[]>(['log', pt, '--limit', '1'], alice)[0]?.seq ?? 0);
    const stderr = promoteFails(
      [`${pt}@${v2.seq}`, 'production'],
      /1 gate failed \(metric: .* vs .* now \((higher|lower) is better\): worse\)/,
    );
    assert.match(stderr, /--force --reason/);
    assert.equal(run(['promote', `${pt}@${v2.seq}`, 'production', '--force'], alice).status, 2);
    const forced = json<PromoteResult>(
      ['promote', `${pt}@${v2.seq}`, 'production', '--force', '--reason', 'smaller is fine for the demo'],
      alice,
    );
    assert.equal(forced.forced, true);
    const [last] = json<AuditRecord[]>(['stages', pt, '--history'], alice).slice(-1);
    assert.equal(last?.forced, true);
    assert.equal(last?.reason, 'smaller is fine for the demo');
    assert.equal(last?.to, v2.uid);
    assert.deepEqual(
      last?.gates.filter((g) => !g.passed).map((g) => g.gate),
      ['metric'],
    );
  });

  test('the producing notebook with a secret in an output is refused by the secrets gate', async () => {
    setHidden(32);
    const token = `ghp_${Array.from({ length: 36 }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[randomInt(62)]).join('')}`;
    const file = path.join(alice.root, 'train.ipynb');
    const nb = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      cells: { cell_type: string; source: string[] | string }[];
    };
    const code = nb.cells.find((c) => c.cell_type === 'code');
    assert.ok(code !== undefined);
    code.source = [...(Array.isArray(code.source) ? code.source : [code.source]), `\nprint("${token}")\n`];
    fs.writeFileSync(file, JSON.stringify(nb, null, 1));
    const v3 = await execute(json<VersionInfo[]>(['log', pt, '--limit', '1'], alice)[0]?.seq ?? 0);
    const stderr = promoteFails(
      [`${pt}@${v3.seq}`, 'production'],
      /secrets: the producing notebook train\.ipynb@\d+ holds \d+ possible secrets?: cell \d+/,
    );
    assert.ok(!stderr.includes(token), 'the secret itself is never printed');
  });

  test('a pickle that would run code on load is refused unless forced; the forced push is audited', async () => {
    // protocol 0: GLOBAL os.system, then a call. Never loaded: only parsed.
    const evil = Buffer.from("cos\nsystem\n(S'echo pwned'\ntR.");
    const v = writeModel(alice, 'models/evil.pkl', evil);
    promoteFails(['models/evil.pkl@latest', 'production'], /pickle: .*os\.system/);
    const forced = json<PromoteResult>(
      ['promote', 'models/evil.pkl@latest', 'production', '--force', '--reason', 'known sample'],
      alice,
    );
    assert.equal(forced.stage.pointer.target?.versionId, v.uid);
    assert.ok(forced.gates.some((g) => g.gate === 'pickle' && !g.passed));
  });

  test('an environment that was not captured completely is refused', () => {
    const broken = teammate('carol', MOTO_ENV);
    ok(['daemon', 'stop'], broken);
    const config = path.join(broken.root, '.mlsnap', 'config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({ ...JSON.parse(fs.readFileSync(config, 'utf8')), interpreter: '/nonexistent/bin/python3' }),
    );
    ok(['remote', 'add', 'team', remoteUrl, '--endpoint', endpoint], broken);
    writeModel(broken, 'models/c.safetensors', safetensors(2, 5));
    const r = run(['promote', 'models/c.safetensors@latest', 'production'], broken);
    assert.equal(r.status, 14, r.stderr);
    assert.match(
      r.stderr,
      /environment: the environment of models\/c\.safetensors@1 is incomplete \(.*\/nonexistent\/bin\/python3/,
    );
  });

  test('a protected stage refuses authors it does not name', () => {
    ok(['protect', 'production', 'alice'], alice);
    const bob = teammate('bob', MOTO_ENV);
    ok(['remote', 'add', 'team', remoteUrl, '--endpoint', endpoint], bob);
    writeModel(bob, 'models/b.safetensors', safetensors(2, 6));
    const r = run(['promote', 'models/b.safetensors@latest', 'production', '--force', '--reason', 'me'], bob);
    assert.equal(r.status, 14, r.stderr);
    assert.match(r.stderr, /stage production on remote team is protected: only alice may move it \(you are bob\)/);
    assert.equal(run(['protect', 'production'], bob).status, 14, 'nor may he lift it');
    ok(['protect', 'production'], alice);
  });

  test('show gives a model version its estimate; other readers of the version are not charged for it', async () => {
    const shown = json<ShowResult>(['show', `${pt}@1`], alice);
    assert.ok(shown.estimate && shown.estimate.parameters > 0, JSON.stringify(shown.estimate));
    assert.equal(shown.estimate.format, 'pytorch');
    assert.match(ok(['show', `${pt}@1`], alice), /^estimate: [\d.]+K? parameters · /m);
    // A torch.save of a state dict: the pickle scanner's verdict, as the gates see it.
    assert.deepEqual(shown.pickle, { verdict: 'safe', suspicious: [] });
    assert.match(ok(['show', `${pt}@1`], alice), /^pickle: safe \(only data/m);
    const plain = await daemonApi(alice.home, 'ref/show', { root: alice.root, ref: `${pt}@1` });
    assert.equal(plain.status, 200);
    assert.equal((plain.body as ShowResult).estimate, undefined, 'no parse unless asked');
    assert.equal((plain.body as ShowResult).pickle, undefined, 'no scan unless asked');
  });

  test('export writes a bundle whose YAML parses and carries the estimate and the version', () => {
    for (const format of ['kserve', 'k8s', 'docker'] as const) {
      const dir = tempDir(`bundle-${format}`);
      const b = json<BundleResult>(['export', `${pt}@1`, '--to', dir, '--format', format], alice);
      assert.ok(b.estimate !== null && b.estimate.parameters > 0);
      const [v1] = json<VersionInfo[]>(['log', pt, '--limit', '1000'], alice).filter((v) => v.seq === 1);
      assert.ok(fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8').includes(v1?.uid ?? '?'));
      const model = fs.readFileSync(path.join(dir, 'model', 'mlp.pt'));
      assert.equal(model.length, v1?.size);
      const yamlFile = { kserve: 'inferenceservice.yaml', k8s: 'deployment.yaml', docker: 'compose.yaml' }[format];
      const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(dir, yamlFile), 'utf8')).map(
        (d) => d.toJS() as Record<string, unknown>,
      );
      const text = JSON.stringify(docs);
      assert.ok(text.includes(`:${v1?.uid ?? '?'}`), `${yamlFile}: the image tag names the version`);
      if (format !== 'docker')
        assert.ok(text.includes(kubernetesQuantity(b.estimate.servingBytes)), `${yamlFile}: memory from the estimate`);
      const again = run(['export', `${pt}@1`, '--to', dir, '--format', format], alice);
      assert.equal(again.status, 7, 'an existing bundle is not overwritten without --force');
    }
  });
});

test('promote outside a project with a remote, and of a file that is not a model, says what to do', () => {
  const t = teammate('dave');
  fs.writeFileSync(path.join(t.root, 'notes.ipynb'), '{"cells":[],"metadata":{},"nbformat":4,"nbformat_minor":5}');
  ok(['snapshot', 'notes.ipynb'], t);
  const notModel = run(['promote', 'notes.ipynb@latest', 'staging'], t);
  assert.equal(notModel.status, 2, notModel.stderr);
  assert.match(notModel.stderr, /notes\.ipynb is not a model file/);
  writeModel(t, 'models/d.safetensors', safetensors(1, 1));
  const noRemote = run(['promote', 'models/d.safetensors@latest', 'staging'], t);
  assert.equal(noRemote.status, 3, noRemote.stderr);
  assert.match(noRemote.stderr, /no remote; add one with `mlsnap remote add/);
  const badStage = run(['promote', 'models/d.safetensors@latest', 'Prod!'], t);
  assert.equal(badStage.status, 2);
  assert.match(badStage.stderr, /stage name/);
});

test('forcing past another gate does not push an unsafe pickle; a stage named `constructor` has no gates', () => {
  const erin = teammate('erin');
  ok(['daemon', 'stop'], erin);
  const config = path.join(erin.root, '.mlsnap', 'config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      ...JSON.parse(fs.readFileSync(config, 'utf8')),
      // The environment gate fails (no interpreter), and qa has no pickle gate.
      interpreter: '/nonexistent/bin/python3',
      stages: { qa: { gates: ['environment'] } },
    }),
  );
  const share = path.join(tempDir('release-share'), 'remote');
  ok(['remote', 'add', 'team', share, '--create'], erin);
  writeModel(erin, 'models/evil.pkl', Buffer.from("cos\nsystem\n(S'echo pwned'\ntR."));
  const r = run(['promote', 'models/evil.pkl@latest', 'qa', '--force', '--reason', 'the env is fine'], erin);
  assert.equal(r.status, 14, `${r.stderr}${r.stdout}`);
  assert.match(r.stderr, /could not be pushed to remote team: .*pickle-code-execution in models\/evil\.pkl/);
  assert.match(r.stderr, /mlsnap push --allow pickle-code-execution-[0-9a-f]{12}/);
  assert.equal(fs.existsSync(path.join(share, 'stages', 'models', 'evil.pkl', 'qa.json')), false, 'not promoted');
  // An Object.prototype name is a stage like any other (no gates unless configured).
  writeModel(erin, 'models/e.safetensors', safetensors(2, 7));
  const c = json<PromoteResult>(['promote', 'models/e.safetensors@latest', 'constructor'], erin);
  assert.deepEqual(c.gates, []);
  assert.equal(c.stage.stage, 'constructor');
});

describe('the raw object a pointer names, on a folder remote', () => {
  let t: Teammate;
  let share = '';
  const pointerOf = (model: string, stage: string): StagePointer =>
    JSON.parse(
      fs.readFileSync(path.join(share, 'stages', ...model.split('/'), `${stage}.json`), 'utf8'),
    ) as StagePointer;
  const dataFile = (hash: string, suffix = ''): string =>
    path.join(share, 'data', hash.slice(0, 2), `${hash}${suffix}`);

  /** A safetensors file of zeros: compresses well. */
  function zeros(rows: number): Buffer {
    const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [rows, 3], data_offsets: [0, rows * 12] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    return Buffer.concat([len, header, Buffer.alloc(rows * 12)]);
  }

  test('a blob pushed zstd-compressed gets a raw copy on promote, which fetch-stage reads', () => {
    t = teammate('fay');
    share = path.join(tempDir('release-share'), 'remote');
    ok(['remote', 'add', 'team', share, '--create'], t);
    const bytes = zeros(20_000);
    // The same bytes recorded first as a metrics file are stored (and pushed) compressed.
    fs.writeFileSync(path.join(t.root, 'weights.json'), bytes);
    ok(['snapshot', 'weights.json'], t);
    const v = writeModel(t, 'models/z.safetensors', bytes);
    ok(['push'], t);
    assert.ok(fs.existsSync(dataFile(v.blob, '.zst')), 'pushed compressed');
    assert.ok(!fs.existsSync(dataFile(v.blob)), 'no raw copy yet');
    ok(['promote', 'models/z.safetensors@latest', 'staging'], t);
    const p = pointerOf('models/z.safetensors', 'staging');
    assert.equal(p.target?.object.key, `data/${v.blob.slice(0, 2)}/${v.blob}`);
    assert.deepEqual(fs.readFileSync(dataFile(v.blob)), bytes, 'the raw copy is the bytes themselves');
    assert.equal(p.target?.object.sha256, sha256(bytes));
    const dest = tempDir('release-deploy');
    ok(['fetch-stage', share, 'models/z.safetensors', 'staging', dest], t);
    assert.deepEqual(fs.readFileSync(path.join(dest, 'z.safetensors')), bytes);
  });

  test('a raw object altered on the remote is refused before the pointer names it', () => {
    const v = writeModel(t, 'models/y.safetensors', safetensors(3, 11));
    ok(['push'], t);
    const file = dataFile(v.blob);
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, 'short');
    const r = run(['promote', 'models/y.safetensors@latest', 'staging'], t);
    assert.equal(r.status, 11, r.stderr);
    assert.match(
      r.stderr,
      /data\/[0-9a-f]{2}\/[0-9a-f]{64} holds 5 bytes, but models\/y\.safetensors@1 has \d+; it was altered by hand/,
    );
    assert.ok(!fs.existsSync(path.join(share, 'stages', 'models', 'y.safetensors')), 'nothing promoted');
  });

  test('local bytes that no longer match their hash are not promoted (the pointer would fail every fetch)', () => {
    const v = writeModel(t, 'models/x.safetensors', safetensors(3, 12));
    ok(['push'], t);
    const local = path.join(t.root, '.mlsnap', 'blobs', v.blob.slice(0, 2), v.blob);
    const bytes = fs.readFileSync(local);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff; // bit rot, same length
    fs.chmodSync(local, 0o644);
    fs.writeFileSync(local, bytes);
    const r = run(['promote', 'models/x.safetensors@latest', 'staging'], t);
    assert.equal(r.status, 8, r.stderr);
    assert.match(r.stderr, /the stored bytes of models\/x\.safetensors@1 do not match their hash .*mlsnap check/);
    assert.ok(!fs.existsSync(path.join(share, 'stages', 'models', 'x.safetensors')), 'nothing promoted');
  });
});
