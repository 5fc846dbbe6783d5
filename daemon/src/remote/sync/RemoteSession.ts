import * as fsp from 'node:fs/promises';
import { MlsnapError } from '../../../../shared/src/errors';
import type { RemoteInfo, RemoteSettingsParams } from '../../../../shared/src/protocol';
import type { SnapshotStore } from '../../store/SnapshotStore';
import type { RemoteRow } from '../../store/sql/RemoteTable';
import type { RemoteBackend } from '../backends/RemoteBackend';
import { checkConfig, CONFIG_KEY, encodeConfig, writerKey, type RemoteConfig } from '../format/RemoteFormat';
import { openBackend, parseRemoteUrl, type RemoteCredentials, type RemoteLocation } from '../RemoteLocation';
import { remoteError } from '../remoteErrors';

/** One remote of one project, opened for a call: its row, where it is and a backend with credentials. */
export class RemoteSession {
  private constructor(
    readonly name: string,
    readonly location: RemoteLocation,
    readonly backend: RemoteBackend,
  ) {}

  static open(row: RemoteRow, creds: RemoteCredentials): RemoteSession {
    return RemoteSession.fromLocation(row.name, locationOf(row), creds);
  }

  static fromLocation(name: string, loc: RemoteLocation, creds: RemoteCredentials): RemoteSession {
    try {
      return new RemoteSession(name, loc, openBackend(loc, creds));
    } catch (e) {
      throw remoteError(name, loc, e);
    }
  }

  /** Run a call against the remote, its failures said as one sentence naming it. */
  async run<T>(fn: (b: RemoteBackend) => Promise<T>): Promise<T> {
    try {
      return await fn(this.backend);
    } catch (e) {
      throw remoteError(this.name, this.location, e);
    }
  }

  /** A failure of this remote as one sentence naming it and the fix. */
  errorOf(e: unknown): Error {
    return remoteError(this.name, this.location, e);
  }

  get where(): string {
    return `remote ${this.name}`;
  }

  /** The remote's format, or null for an empty remote; a remote of a newer or foreign format is refused. */
  async readConfig(): Promise<RemoteConfig | null> {
    return this.run(async (b) => {
      if (this.location.kind === 'folder') await assertFolderExists(this.name, this.location.path);
      if ((await b.stat(CONFIG_KEY)) === null) return null;
      const bytes = await readAll(await b.get(CONFIG_KEY), 64 * 1024);
      return checkConfig(bytes, this.where);
    });
  }

  /** The config object, written create-only when the remote is empty; then this writer's entry. */
  async ensureFormat(writer: string, identity: { author: string; host: string }): Promise<void> {
    if ((await this.readConfig()) === null) {
      await this.run((b) => b.put(CONFIG_KEY, encodeConfig(Date.now())));
      // Two first writers race: whoever lost must still find a config it can use.
      await this.readConfig();
    }
    const entry = Buffer.from(`${JSON.stringify({ writer, ...identity, createdAt: Date.now() })}\n`);
    await this.run((b) => b.put(writerKey(writer), entry));
  }
}

/** A folder remote that is missing is an unmounted share, never a folder to make on the fly. */
async function assertFolderExists(name: string, root: string): Promise<void> {
  const st = await fsp.stat(root); // ENOENT is said by remoteError
  if (!st.isDirectory()) throw new MlsnapError('remote', `remote ${name}: ${root} is not a folder`, root);
}

export async function readAll(stream: AsyncIterable<unknown>, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream) {
    const c = chunk as Buffer;
    n += c.length;
    if (n > max) throw new MlsnapError('remote', `an object is larger than the ${max} bytes expected of it`);
    parts.push(c);
  }
  return Buffer.concat(parts, n);
}

export function locationOf(row: RemoteRow): RemoteLocation {
  return parseRemoteUrl(row.url, JSON.parse(row.settings) as RemoteSettingsParams);
}

export function remoteInfo(store: SnapshotStore, row: RemoteRow): RemoteInfo {
  return {
    name: row.name,
    url: row.url,
    kind: locationOf(row).kind,
    isDefault: row.isDefault,
    settings: JSON.parse(row.settings) as RemoteSettingsParams,
    unpushed: store.remotes.unpushedCount(row.name),
  };
}

/** The named remote, or the default one; a clear error when there is none. */
export function remoteRow(store: SnapshotStore, name: string | undefined): RemoteRow {
  const rows = store.remotes.list();
  if (rows.length === 0)
    throw new MlsnapError('not-found', 'this project has no remote; add one with `mlsnap remote add <name> <url>`');
  const row = name === undefined ? (rows.find((r) => r.isDefault) ?? rows[0]) : rows.find((r) => r.name === name);
  if (row === undefined)
    throw new MlsnapError(
      'not-found',
      `no remote named ${name}; the remotes are ${rows.map((r) => r.name).join(', ')}`,
    );
  return row;
}
