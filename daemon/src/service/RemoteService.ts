import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { MlsnapError } from '../../../shared/src/errors';
import type {
  CloneParams,
  CloneResult,
  Credentials,
  PullResult,
  PushParams,
  PushResult,
  RemoteAddParams,
  RemoteCheckResult,
  RemoteInfo,
  RemoteSettingsParams,
} from '../../../shared/src/protocol';
import type { Project } from '../project/Project';
import { resolveInside } from '../project/ProjectPaths';
import { fingerprintOf } from '../project/WorkingFiles';
import { locationUrl, parseRemoteUrl } from '../remote/RemoteLocation';
import { createRemoteHome } from '../remote/sync/createRemoteHome';
import { fetchBlobs } from '../remote/sync/BlobFetcher';
import { pull } from '../remote/sync/Pull';
import { push } from '../remote/sync/Push';
import { checkRemote } from '../remote/sync/RemoteCheck';
import { RemoteSession, remoteInfo, remoteRow } from '../remote/sync/RemoteSession';
import { runPool } from '../remote/runPool';
import type { SnapshotStore } from '../store/SnapshotStore';
import type { CallContext } from './CallContext';
import type { ProjectRegistry } from './ProjectRegistry';
import { writeVersionTo } from './Restorer';

/**
 * Team remotes for the daemon's projects: adding and checking them, push, pull and clone,
 * and fetching a teammate's blob the first time something reads it. Credentials a caller
 * hands over (the CLI's environment, the editor's SecretStorage) live in this object only.
 */
export class RemoteService {
  private readonly secrets = new Map<string, Credentials>();

  constructor(private readonly registry: ProjectRegistry) {}

  /** Keep a remote's secrets for later calls (from the editor's SecretStorage); never written. */
  keepCredentials(root: string, name: string, creds: Credentials): number {
    this.secrets.set(`${root}\0${name}`, { ...creds });
    return Object.keys(creds).length;
  }

  private creds(root: string, name: string, given: Credentials | undefined): Credentials {
    return { ...(this.secrets.get(`${root}\0${name}`) ?? {}), ...(given ?? {}) };
  }

  /** The named (else default) remote opened with its kept credentials, overlaid by `given`. */
  session(project: Project, name: string | undefined, given: Credentials | undefined): RemoteSession {
    const row = remoteRow(project.store, name);
    return RemoteSession.open(row, this.creds(project.root, row.name, given));
  }

  async add(project: Project, p: RemoteAddParams): Promise<RemoteInfo> {
    const store = project.store;
    if (store.remotes.list().some((r) => r.name === p.name))
      throw new MlsnapError('conflict', `a remote named ${p.name} exists; remove it first or pick another name`);
    const settings = settingsOf(p);
    const loc = parseRemoteUrl(p.url, settings, project.root);
    if (loc.kind === 'folder') refuseInsideProject(project.root, loc.path);
    const creds = this.creds(project.root, p.name, p.credentials);
    const session = RemoteSession.fromLocation(p.name, loc, creds);
    if (p.create === true) await createRemoteHome(session);
    // Reachable and writable, or say exactly what is wrong: the format marker and this
    // writer's entry are the first (create-only) writes.
    await session.ensureFormat(store.writerId(), store.identity);
    const first = store.remotes.list().length === 0;
    store.remotes.add({
      name: p.name,
      url: locationUrl(loc),
      settings: JSON.stringify(settings),
      isDefault: first || p.default === true,
    });
    if (p.credentials !== undefined) this.keepCredentials(project.root, p.name, p.credentials);
    this.registry.announce(project);
    return this.info(project, p.name);
  }

  list(project: Project): RemoteInfo[] {
    return project.store.remotes.list().map((r) => remoteInfo(project.store, r));
  }

  info(project: Project, name: string): RemoteInfo {
    return remoteInfo(project.store, remoteRow(project.store, name));
  }

  remove(project: Project, name: string): { removed: string } {
    remoteRow(project.store, name);
    project.store.remotes.remove(name);
    this.secrets.delete(`${project.root}\0${name}`);
    this.registry.announce(project);
    return { removed: name };
  }

  async check(
    project: Project,
    p: { name?: string; readDataSubset?: number; credentials?: Credentials },
    call: CallContext,
  ): Promise<RemoteCheckResult> {
    const session = this.session(project, p.name, p.credentials);
    return checkRemote(session, { ...optionalOf(p.readDataSubset, 'readDataSubset'), ...call });
  }

  async push(project: Project, p: PushParams, call: CallContext): Promise<PushResult> {
    const session = this.session(project, p.remote, p.credentials);
    const paths = p.paths?.map((x) => resolveInside(project.root, x, { allowRoot: true }));
    const result = await push(project.store, project.blobs, session, {
      ...(paths ? { paths } : {}),
      stripOutputs: p.stripOutputs === true,
      allow: p.allow ?? [],
      ...call,
    });
    // Every window's marks and unpushed counts, not only the caller's.
    if (result.versions > 0) this.registry.announce(project);
    return result;
  }

  async pull(
    project: Project,
    p: { remote?: string; blobs?: boolean; credentials?: Credentials },
    call: CallContext,
  ): Promise<PullResult> {
    const session = this.session(project, p.remote, p.credentials);
    const result = await pull(project.store, project.blobs, session, { blobs: p.blobs === true, ...call });
    if (result.versions > 0) this.registry.announce(project);
    return result;
  }

  /**
   * Blobs of versions pulled from a teammate are fetched the first time they are read, from
   * a remote known to hold them, hashed before use.
   */
  async ensureHere(project: Project, hashes: readonly string[], call: CallContext = {}): Promise<void> {
    const missing = hashes.filter((h) => project.store.blob(h)?.here === false);
    if (missing.length === 0) return;
    const sessions = project.store.remotes
      .list()
      .map((r) => RemoteSession.open(r, this.creds(project.root, r.name, undefined)));
    if (sessions.length === 0)
      throw new MlsnapError('not-found', 'these bytes were only on a remote this project no longer has; add it again');
    await fetchBlobs(project.store, project.blobs, sessions, missing, call);
  }

  /**
   * A new project in `dir` from a remote: the store is made and filled before the watcher
   * starts, and each file written out has its fingerprint recorded, so the first scan finds
   * nothing new to record.
   */
  async clone(p: CloneParams, call: CallContext): Promise<CloneResult> {
    const started = Date.now();
    const settings = settingsOf(p);
    const loc = parseRemoteUrl(p.url, settings);
    const name = p.name ?? 'origin';
    const dir = path.resolve(p.dir);
    await refuseNonEmpty(dir);
    const session = RemoteSession.fromLocation(name, loc, p.credentials ?? {});
    if ((await session.readConfig()) === null)
      throw new MlsnapError('remote', `${session.where} holds no mlsnap history (no "config" object); check the URL`);
    let written = { files: 0, bytes: 0 };
    let versions = 0;
    const project = await this.registry.cloneInto(dir, async (fresh) => {
      fresh.store.remotes.add({ name, url: locationUrl(loc), settings: JSON.stringify(settings), isDefault: true });
      versions = (await pull(fresh.store, fresh.blobs, session, call)).versions;
      written = await checkoutLatest(fresh, session, call);
    });
    if (p.credentials !== undefined) this.keepCredentials(project.root, name, p.credentials);
    return {
      project: project.info(),
      remote: name,
      versions,
      files: written.files,
      bytes: written.bytes,
      seconds: (Date.now() - started) / 1000,
    };
  }
}

/** The latest version of every file, fetched and written into the working folder with its fingerprint. */
async function checkoutLatest(
  project: Project,
  session: RemoteSession,
  call: CallContext,
): Promise<{ files: number; bytes: number }> {
  const files = project.store.files();
  const latest = files.flatMap((f) => (f.latest ? [{ v: f.latest, kind: f.kind }] : []));
  await fetchBlobs(
    project.store,
    project.blobs,
    [session],
    latest.map((l) => l.v.blob),
    call,
  );
  let bytes = 0;
  const written: Parameters<SnapshotStore['saveFingerprints']>[0][number][] = [];
  await runPool(latest, 8, async ({ v, kind }) => {
    call.signal?.throwIfAborted();
    const target = path.join(project.root, ...v.path.split('/'));
    await writeVersionTo(project.blobs, v, target);
    const when = new Date(v.mtimeMs);
    await fsp.utimes(target, when, when);
    const st = await fsp.stat(target, { bigint: true });
    written.push({ path: v.path, kind, fp: fingerprintOf(st), hash: v.blob, takenNs: BigInt(Date.now()) * 1_000_000n });
    bytes += v.size;
  });
  // One transaction for all: a fingerprint per commit cost a 2,000-file clone seconds of fsyncs.
  project.store.saveFingerprints(written);
  return { files: latest.length, bytes };
}

function settingsOf(p: RemoteSettingsParams): RemoteSettingsParams {
  return {
    ...optionalOf(p.endpoint, 'endpoint'),
    ...optionalOf(p.region, 'region'),
    ...optionalOf(p.profile, 'profile'),
    ...optionalOf(p.pathStyle, 'pathStyle'),
  };
}

function optionalOf<K extends string, T>(v: T | undefined, key: K): { [P in K]?: T } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: T };
}

/** A folder remote inside the project would be recorded as the project's own files. */
function refuseInsideProject(root: string, folder: string): void {
  const rel = path.relative(root, folder);
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel)))
    throw new MlsnapError('bad-request', `${folder} is inside the project; put a folder remote outside it`, folder);
}

async function refuseNonEmpty(dir: string): Promise<void> {
  if (!fs.existsSync(dir)) return;
  if (!(await fsp.stat(dir)).isDirectory())
    throw new MlsnapError('conflict', `${dir} is a file; clone into a new folder`, dir);
  if ((await fsp.readdir(dir)).length > 0)
    throw new MlsnapError('conflict', `${dir} is not empty; clone into a new or empty folder`, dir);
}
