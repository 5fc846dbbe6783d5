import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import type { EnvironmentInfo, VersionInfo } from '../../shared/src/domain';
import type { CloneResult, PushResult } from '../../shared/src/protocol';
import { mlsnap, mlsnapBytes, REPO, type CliOptions } from '../support/cli';
import { executeNotebook } from '../support/notebooks';
import {
  azurite,
  azuriteConnectionString,
  moto,
  motoBucket,
  MOTO_ENV,
  stopStorageServers,
} from '../support/storageServers';
import { tempDir, waitFor } from '../support/tmp';

/**
 * The acceptance run for team remotes: the demo notebook executed by Debian's
 * nbconvert writes torch, ONNX and joblib models, twice; the project is pushed to S3 (moto),
 * Azure Blob (Azurite) and a folder, and cloned from each under another MLSNAP_HOME, where
 * every version restores byte for byte with its environment.
 */
const author = { home: tempDir('team-author-home'), cwd: tempDir('team-author') };
const FILES = ['train.ipynb', 'models/mlp.pt', 'models/mlp.onnx', 'models/logreg.joblib', 'metrics.json'];
const homes = [author.home];

let azureEnv: Record<string, string> = {};

type Who = { cwd: string; home: string };

/** Every teammate has the storage servers' credentials and records as "author". */
function withServers(o: Who): CliOptions {
  return { ...o, env: { ...MOTO_ENV, ...azureEnv, MLSNAP_AUTHOR: 'author' }, timeoutMs: 300_000 };
}

function cli(args: string[], o: Who): string {
  const r = mlsnap(args, withServers(o));
  if (r.status !== 0) throw new Error(`mlsnap ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const json = <T>(args: string[], o: Who): T => JSON.parse(cli([...args, '--json'], o)) as T;
const bytes = (args: string[], o: Who): Buffer => mlsnapBytes(args, withServers(o));

after(async () => {
  for (const home of homes) mlsnap(['daemon', 'stop'], withServers({ cwd: home, home }));
  await stopStorageServers();
});

const count = (p: string): number => json<VersionInfo[]>(['log', p], author).length;

test('the demo notebook and its models, in two versions, recorded by the author', async () => {
  fs.cpSync(path.join(REPO, 'examples', 'demo'), author.cwd, { recursive: true });
  cli(['init'], author);
  executeNotebook(author.cwd);
  for (const p of FILES) await waitFor(`a version of ${p}`, () => count(p) >= 1 || null, 60_000);
  const nb = path.join(author.cwd, 'train.ipynb');
  fs.writeFileSync(nb, fs.readFileSync(nb, 'utf8').replace('HIDDEN = 32', 'HIDDEN = 64'));
  executeNotebook(author.cwd);
  for (const p of ['models/mlp.pt', 'models/mlp.onnx', 'metrics.json'])
    await waitFor(`a second version of ${p}`, () => count(p) >= 2 || null, 60_000);
});

async function s3Remote(): Promise<{ url: string; flags: string[] }> {
  const { url } = await moto();
  await motoBucket(url, 'team-models');
  return { url: 's3://team-models/demo', flags: ['--endpoint', url] };
}

async function azureRemote(): Promise<{ url: string; flags: string[] }> {
  const { url } = await azurite();
  azureEnv = { AZURE_STORAGE_CONNECTION_STRING: azuriteConnectionString(url) };
  await BlobServiceClient.fromConnectionString(azureEnv.AZURE_STORAGE_CONNECTION_STRING as string)
    .getContainerClient('team-models')
    .create();
  return { url: 'azure://devstoreaccount1/team-models/demo', flags: [] };
}

function folderRemote(): Promise<{ url: string; flags: string[] }> {
  return Promise.resolve({ url: path.join(tempDir('team-share'), 'remote'), flags: ['--create'] });
}

const REMOTES: [string, () => Promise<{ url: string; flags: string[] }>][] = [
  ['s3', s3Remote],
  ['azure', azureRemote],
  ['folder', folderRemote],
];

for (const [name, make] of REMOTES) {
  test(`pushed to ${name} and cloned under another home: every version byte for byte, with its environment`, async () => {
    const remote = await make();
    cli(['remote', 'add', name, remote.url, ...remote.flags], author);
    const pushed = json<PushResult>(['push', '--remote', name], author);
    const mine = json<VersionInfo[]>(['log', '--limit', '1000'], author);
    assert.equal(pushed.pushed, true, JSON.stringify(pushed.findings));
    assert.equal(pushed.versions, mine.length);

    const teammate = { home: tempDir(`team-${name}-home`), cwd: tempDir(`team-${name}`) };
    homes.push(teammate.home);
    const dir = path.join(teammate.cwd, 'demo');
    const flags = remote.flags.filter((f) => f !== '--create');
    const cloned = json<CloneResult>(['clone', remote.url, dir, ...flags], teammate);
    assert.equal(cloned.versions, mine.length);
    const there = { ...teammate, cwd: dir };
    for (const v of mine) {
      assert.deepEqual(bytes(['cat', v.uid], there), bytes(['cat', v.uid], author), `${v.path}@${v.seq}`);
      assert.deepEqual(
        json<EnvironmentInfo>(['env', v.uid], there),
        json<EnvironmentInfo>(['env', v.uid], author),
        `${v.path}@${v.seq}: its environment`,
      );
    }
    // Restoring the first model version there gives the author's first bytes.
    const first = mine.filter((v) => v.path === 'models/mlp.pt').sort((a, b) => a.seq - b.seq)[0] as VersionInfo;
    const to = path.join(dir, 'restored.pt');
    cli(['restore', first.uid, '--to', to], there);
    assert.deepEqual(fs.readFileSync(to), bytes(['cat', 'models/mlp.pt@1'], author));
    for (const f of FILES) {
      assert.deepEqual(
        fs.readFileSync(path.join(dir, f)),
        fs.readFileSync(path.join(author.cwd, f)),
        `${f} in the clone is the latest version`,
      );
    }
    const show = json<{ version: VersionInfo }>(['show', first.uid], there);
    assert.equal(show.version.author, 'author');
    assert.deepEqual(show.version.remotes, ['origin'], 'a clone names its remote origin');
  });
}
