import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { MlsnapError } from '../../../shared/src/errors';
import type { VersionInfo } from '../../../shared/src/domain';
import { MAX_READ_BYTES, type DaemonStatus, type MethodName, type ParamsOf, type ResultOf } from '../../../shared/src/protocol';
import { Emitter } from '../Emitter';
import { validateTagName } from '../../../shared/src/refs';
import { Project, STORE_DIR } from '../project/Project';
import { resolveRef, resolveVersion } from './resolveRef';
import type { ProjectRegistry } from './ProjectRegistry';
import { writeVersionTo } from './Restorer';
import { checkStore, collectGarbage } from './StoreMaintenance';

export type Handlers = { [M in MethodName]: (params: ParamsOf<M>) => Promise<ResultOf<M>> };

/**
 * Every daemon method, independent of transport: the HTTP API and the editor's JSON-RPC
 * endpoint both dispatch here.
 */
export class DaemonService {
  readonly handlers: Handlers;
  private readonly _onDidTag = new Emitter<{ root: string; version: VersionInfo }>();
  readonly onDidTag = this._onDidTag.event;

  constructor(
    private readonly registry: ProjectRegistry,
    private readonly identity: { version: string; startedAt: number },
    private readonly requestShutdown: () => void,
  ) {
    this.handlers = this.buildHandlers();
  }

  private buildHandlers(): Handlers {
    return {
      'daemon/status': async () => this.status(),
      'daemon/shutdown': async () => {
        // Answer first, then stop.
        setImmediate(this.requestShutdown);
        return { stopping: true };
      },
      'project/init': async (p) => (await this.registry.init(requireString(p.root, 'root'))).info(),
      'project/status': async (p) => (await this.project(p.root)).info(),
      'project/files': async (p) => (await this.project(p.root)).store.files(),
      'snapshot/create': async (p) => {
        const project = await this.project(p.root);
        const { paths, trigger, message } = snapshotParams(p);
        return project.snapshot(paths.map((x) => projectPath(project, x)), trigger, message);
      },
      'version/log': async (p) => {
        const project = await this.project(p.root);
        const limit = p.limit ?? 50;
        if (p.path !== undefined) projectPath(project, p.path);
        if (!Number.isInteger(limit) || limit < 1) throw new MlsnapError('bad-request', '--limit must be a positive integer');
        return project.store.log(p.path === undefined ? undefined : projectPath(project, p.path), limit);
      },
      'ref/show': async (p) => {
        const project = await this.project(p.root);
        const r = resolveRef(project.store, requireString(p.ref, 'ref'));
        const envId = r.version?.environmentId ?? null;
        return {
          version: r.version,
          snapshot: r.snapshot,
          environment: envId === null ? null : project.store.environment(envId),
          git: r.snapshot.git,
        };
      },
      'version/restore': async (p) => this.restore(p),
      'version/read': async (p) => {
        const project = await this.project(p.root);
        const v = resolveVersion(project.store, requireString(p.ref, 'ref'));
        if (v.size > MAX_READ_BYTES) {
          throw new MlsnapError('conflict', `${v.path}@${v.seq} is ${v.size} bytes, too large to open in the editor; use \`mlsnap cat\``, v.path);
        }
        return { base64: (await project.blobs.readBuffer(v.blob)).toString('base64'), size: v.size };
      },
      'project/configure': async (p) => (await this.registry.configure(requireString(p.root, 'root'), p.settings ?? {})).info(),
      'version/tag': async (p) => {
        const project = await this.project(p.root);
        const problem = validateTagName(requireString(p.name, 'name'));
        if (problem) throw new MlsnapError('bad-request', problem);
        const version = await project.exclusive(() => project.store.addTag(resolveVersion(project.store, p.ref), p.name));
        this._onDidTag.fire({ root: project.root, version });
        return version;
      },
      'environment/get': async (p) => {
        const project = await this.project(p.root);
        const v = resolveVersion(project.store, requireString(p.ref, 'ref'));
        const env = v.environmentId === null ? null : project.store.environment(v.environmentId);
        if (!env) throw new MlsnapError('not-found', `${p.ref} was recorded without an environment`, v.path);
        return env;
      },
      'diff/versions': async (p) => {
        const project = await this.project(p.root);
        const after = resolveVersion(project.store, requireString(p.after ?? p.before, p.after === undefined ? 'before' : 'after'));
        const before = p.after === undefined ? previousOf(project, after) : resolveVersion(project.store, requireString(p.before, 'before'));
        // Loaded on first use: the format parsers (protobufjs, yaml) cost ~16 MB of memory
        // that an idle daemon should not carry.
        const { diffVersions } = await import('../diff/VersionDiffer.js');
        return diffVersions(project.store, project.blobs, before, after, {
          showMetadata: p.showMetadata === true,
          showExecutionCounts: p.showExecutionCounts === true,
          compareBytes: p.compareBytes === true,
        });
      },
      'store/gc': async (p) => {
        const project = await this.project(p.root);
        if (!Number.isInteger(p.keepLast) || p.keepLast < 1) throw new MlsnapError('bad-request', '--keep-last must be an integer of at least 1');
        return project.exclusive(() => collectGarbage(project.store, project.blobs, p.keepLast, p.dryRun === true));
      },
      'store/check': async (p) => {
        const project = await this.project(p.root);
        return project.exclusive(() => checkStore(project.store, project.blobs));
      },
    };
  }

  private status(): DaemonStatus {
    return { pid: process.pid, ...this.identity, projects: this.registry.all().map((p) => p.info()) };
  }

  private async project(root: unknown): Promise<Project> {
    return this.registry.get(requireString(root, 'root'));
  }

  private async restore(p: ParamsOf<'version/restore'>): Promise<ResultOf<'version/restore'>> {
    const project = await this.project(p.root);
    const version = resolveVersion(project.store, requireString(p.ref, 'ref'));
    const target = p.to === undefined ? path.join(project.root, version.path) : absoluteTarget(p.to);
    if (isInside(target, Project.storeDirOf(project.root))) {
      throw new MlsnapError('bad-request', `${target} is inside the mlsnap store; choose another --to`, target);
    }
    const rel = project.pathsRelative(target);
    if (rel === null && fileExists(target)) {
      throw new MlsnapError('conflict', `${target} exists outside the project, so its contents could not be saved first; move it or choose another --to`, target);
    }
    const { savedFirst, movedAside } = rel === null ? { savedFirst: null, movedAside: null } : await this.saveBeforeRestore(project, rel, target, version);
    await project.exclusive(() => writeVersionTo(project.blobs, version, target));
    return { path: target, restored: version, savedFirst, ...(movedAside ? { movedAside } : {}) };
  }

  /**
   * Unsnapshotted work in the file about to be overwritten is recorded first. When it cannot
   * be recorded (a notebook with merge conflict markers is not JSON; a file that keeps
   * changing), it is moved aside instead of being lost.
   */
  private async saveBeforeRestore(project: Project, rel: string, target: string, version: VersionInfo): Promise<{ savedFirst: VersionInfo | null; movedAside: string | null }> {
    let reason: string;
    try {
      const pre = await project.snapshot([rel], 'manual', `before restoring ${version.path}@${version.seq}`);
      const saved = pre.snapshot?.versions.find((v) => v.path === rel) ?? null;
      if (saved) return { savedFirst: saved, movedAside: null };
      reason = pre.skipped.find((s) => s.path === rel)?.reason ?? 'unchanged';
      if (reason === 'unchanged' || reason === 'missing') return { savedFirst: null, movedAside: null };
    } catch (e) {
      reason = e instanceof Error ? e.message : String(e);
    }
    const aside = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    fs.renameSync(target, aside);
    return { savedFirst: null, movedAside: aside };
  }

  /** The raw bytes of a version, for `cat` and the editor's read-only documents. */
  async content(root: string, ref: string): Promise<{ stream: Readable; size: number }> {
    const project = await this.project(root);
    const v = resolveVersion(project.store, ref);
    return { stream: project.blobs.openRead(v.blob), size: v.size };
  }
}

/** The version recorded before `v` of the same file. */
function previousOf(project: Project, v: VersionInfo): VersionInfo {
  const prev = project.store.previousVersion(v.path, v.seq);
  if (!prev) throw new MlsnapError('not-found', `${v.path}@${v.seq} is the first version; name two versions to compare`, v.path);
  return prev;
}

function requireString(v: unknown, name: string): string {
  if (typeof v !== 'string' || v === '') throw new MlsnapError('bad-request', `"${name}" must be a non-empty string`);
  return v;
}

/** Accept an absolute path inside the project or a project-relative one. */
/**
 * A path from a client as a normalised project-relative posix path. `a/../../x`, absolute
 * paths elsewhere and the store itself are refused: versions are read and restored inside
 * the project only, and one file never gets two histories under two spellings.
 */
export function projectPath(project: Project, p: unknown): string {
  const given = requireString(p, 'path');
  if (given.includes('\0')) throw new MlsnapError('bad-request', 'a path contains a NUL byte');
  if (path.isAbsolute(given)) {
    const rel = project.pathsRelative(path.resolve(given));
    if (rel === null) throw new MlsnapError('bad-request', `${given} is outside the project ${project.root}`, given);
    return rel;
  }
  const rel = path.posix.normalize(given.split(path.sep).join('/'));
  if (rel === '.' || rel === '..' || rel.startsWith('../') || rel.split('/')[0] === STORE_DIR) {
    throw new MlsnapError('bad-request', `${given} is not a file inside the project ${project.root}`, given);
  }
  return rel;
}

function isInside(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/** Validates what the CLI and the editor send to snapshot/create. */
function snapshotParams(p: ParamsOf<'snapshot/create'>): { paths: unknown[]; trigger: 'manual' | 'save'; message: string | null } {
  if (p.paths !== undefined && !Array.isArray(p.paths)) throw new MlsnapError('bad-request', '"paths" must be an array of project-relative paths');
  if (p.trigger !== undefined && p.trigger !== 'manual' && p.trigger !== 'save') throw new MlsnapError('bad-request', '"trigger" must be "manual" or "save"');
  if (p.message !== undefined && typeof p.message !== 'string') throw new MlsnapError('bad-request', '"message" must be a string');
  return { paths: p.paths ?? [], trigger: p.trigger ?? 'manual', message: p.message ?? null };
}

function absoluteTarget(to: string): string {
  if (!path.isAbsolute(to)) throw new MlsnapError('bad-request', `--to must be an absolute path, got ${to}`);
  return path.resolve(to);
}

function fileExists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
