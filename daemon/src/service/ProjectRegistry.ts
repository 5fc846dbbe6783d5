import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProjectConfig, ProjectInfo, SnapshotInfo } from '../../../shared/src/domain';
import { MlsnapError } from '../../../shared/src/errors';
import { Emitter } from '../Emitter';
import type { Log } from '../Log';
import { RunQueries } from '../runs/RunQueries';
import type { DaemonNotifications } from '../../../shared/src/protocol';
import { Project, writeConfig, type ProjectDeps } from '../project/Project';
import { readConfigFile } from '../project/ProjectConfigFile';
import { configFileOf, watchConfigFile } from './ConfigFileWatch';

/**
 * The projects one daemon serves. Their roots are remembered in `<MLSNAP_HOME>/projects.json`
 * so a restarted daemon reopens them and reconciles what changed while it was down.
 */
export class ProjectRegistry {
  private readonly open = new Map<string, Project>();
  private readonly opening = new Map<string, Promise<Project>>();
  private readonly configWatches = new Map<string, { dispose(): void }>();
  private readonly _onDidRecord = new Emitter<{ root: string; snapshot: SnapshotInfo }>();
  readonly onDidRecord = this._onDidRecord.event;
  private readonly _onDidRun = new Emitter<DaemonNotifications['mlsnap/didRun']>();
  /** A run was inferred, gained outputs or ended, with the run of its source before it (for regression alerts). */
  readonly onDidRun = this._onDidRun.event;
  private readonly _onDidChangeProject = new Emitter<ProjectInfo>();
  readonly onDidChangeProject = this._onDidChangeProject.event;

  constructor(
    private readonly home: string,
    private readonly deps: ProjectDeps,
    private readonly log: Log,
  ) {}

  private get file(): string {
    return path.join(this.home, 'projects.json');
  }

  rememberedRoots(): string[] {
    try {
      const roots = JSON.parse(fs.readFileSync(this.file, 'utf8')) as unknown;
      return Array.isArray(roots) ? roots.filter((r): r is string => typeof r === 'string') : [];
    } catch {
      return [];
    }
  }

  private remember(roots: string[]): void {
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify([...new Set(roots)].sort(), null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  /** Reopen every remembered project that still has a store; forget the others. */
  async openRemembered(): Promise<void> {
    const kept: string[] = [];
    for (const root of this.rememberedRoots()) {
      if (!Project.isInitialized(root)) {
        this.log.warn(`forgetting ${root}: its .mlsnap store is gone`);
        continue;
      }
      kept.push(root);
      try {
        await this.load(normalizeRoot(root), 'background');
      } catch (e) {
        this.log.error(`could not open ${root}`, e);
      }
    }
    this.remember(kept);
  }

  /**
   * The open project at `root`. Only projects this daemon was asked to record (`init`, then
   * remembered) are opened: a folder that merely holds a `.mlsnap/` (a cloned repository, an
   * untrusted workspace) could name any program as its interpreter, which capture would run.
   */
  async get(root: string): Promise<Project> {
    const key = normalizeRoot(root);
    const ready = this.open.get(key) ?? this.opening.get(key);
    if (ready) return ready;
    if (!this.rememberedRoots().includes(key)) {
      const why = Project.isInitialized(key)
        ? 'has an mlsnap store this daemon has not been asked to record'
        : 'has no mlsnap store';
      throw new MlsnapError(
        'not-initialized',
        `${key} ${why}; run \`mlsnap init\` there (or "mlsnap: Initialize Project")`,
        key,
      );
    }
    return this.load(key, 'await');
  }

  private load(key: string, reconcile: 'await' | 'background'): Promise<Project> {
    const ready = this.open.get(key) ?? this.opening.get(key);
    if (ready) return Promise.resolve(ready);
    const pending = this.start(key, reconcile);
    this.opening.set(key, pending);
    pending.then(
      () => this.opening.delete(key),
      () => this.opening.delete(key),
    );
    return pending;
  }

  private async start(root: string, reconcile: 'await' | 'background'): Promise<Project> {
    const project = Project.open(root, this.deps);
    project.onDidRecord((snapshot) => this._onDidRecord.fire({ root, snapshot }));
    project.onDidRun((info) => {
      const queries = new RunQueries(project.store);
      const previous = queries.previous(info);
      this._onDidRun.fire({
        root,
        run: queries.show(info.id),
        previous: previous === null ? null : queries.show(previous.id),
      });
    });
    // Each save of a broken notebook is another event; its warning is logged once, until it
    // is recorded again or its reason changes.
    const warned = new Map<string, string>();
    project.onDidSkipInvalid((s) => {
      if (warned.get(s.path) === s.reason) return;
      warned.set(s.path, s.reason);
      this.log.warn(`${root}: ${s.reason}`);
    });
    project.onDidRecord((snapshot) => {
      for (const v of snapshot.versions) warned.delete(v.path);
    });
    this.open.set(root, project);
    this.configWatches.get(root)?.dispose();
    this.configWatches.set(
      root,
      watchConfigFile(Project.storeDirOf(root), () => void this.reloadConfig(root)),
    );
    try {
      await project.start({ reconcile });
    } catch (e) {
      this.open.delete(root);
      await project.close();
      throw e;
    }
    if (!this.rememberedRoots().includes(root)) this.remember([...this.rememberedRoots(), root]);
    this._onDidChangeProject.fire(project.info());
    return project;
  }

  /** Write editor settings into the project's config and reopen it with them. */
  async configure(
    root: string,
    settings: Partial<Pick<ProjectConfig, 'interpreter' | 'include' | 'exclude'>>,
  ): Promise<Project> {
    const project = await this.get(root);
    const next: ProjectConfig = { ...project.config };
    if (settings.interpreter !== undefined) {
      if (settings.interpreter === '') delete next.interpreter;
      else next.interpreter = settings.interpreter;
    }
    if (settings.include !== undefined && settings.include.length > 0) next.include = settings.include;
    if (settings.exclude !== undefined && settings.exclude.length > 0) next.exclude = settings.exclude;
    if (JSON.stringify(next) === JSON.stringify(project.config)) return project;
    writeConfig(project.root, next);
    return this.reopen(project);
  }

  /** Close the project and open it again with the config on disk. */
  private reopen(project: Project): Promise<Project> {
    // Callers during the reopen wait for it, rather than opening a second instance.
    const reopening = project.close().then(() => this.start(project.root, 'await'));
    this.open.delete(project.root);
    this.opening.set(project.root, reopening);
    reopening.then(
      () => this.opening.delete(project.root),
      () => this.opening.delete(project.root),
    );
    return reopening;
  }

  /**
   * `.mlsnap/config.json` was edited by hand: a valid edit reopens the project with it (within
   * a second), an invalid one is reported (log, status, editor) and the last good config stays.
   */
  private async reloadConfig(root: string): Promise<void> {
    const project = this.open.get(root);
    if (!project || this.opening.has(root)) return;
    let next: ProjectConfig;
    try {
      next = readConfigFile(configFileOf(Project.storeDirOf(root)));
    } catch (e) {
      const problem = `${(e as Error).message}; the previous settings stay in force`;
      if (project.configProblem === problem) return;
      project.configProblem = problem;
      this.log.warn(problem);
      this._onDidChangeProject.fire(project.info());
      return;
    }
    const hadProblem = project.configProblem !== undefined;
    project.configProblem = undefined;
    if (JSON.stringify(next) !== JSON.stringify(project.config)) {
      this.log.info(`${root}: config.json changed; applying it`);
      await this.reopen(project).catch((e: unknown) =>
        this.log.error(`${root}: reopening with the new config failed`, e),
      );
    } else if (hadProblem) {
      this._onDidChangeProject.fire(project.info());
    }
  }

  async init(root: string): Promise<Project> {
    const key = normalizeRoot(root);
    if (!fs.existsSync(key))
      throw new MlsnapError('not-found', `${key} does not exist; create it first (mkdir -p ${key})`, key);
    if (!fs.statSync(key).isDirectory())
      throw new MlsnapError('bad-request', `${key} is a file, not a folder; init the folder that holds it`, key);
    this.refuseAsRoot(key);
    Project.init(key);
    if (!this.rememberedRoots().includes(key)) this.remember([...this.rememberedRoots(), key]);
    return this.load(key, 'await');
  }

  /**
   * A new project at `root` filled by `fill` before anything watches it (a clone): the store
   * is opened on its own, filled, closed, and only then opened as usual, so the first scan
   * sees files whose fingerprints are already recorded.
   */
  async cloneInto(root: string, fill: (project: Project) => Promise<void>): Promise<Project> {
    const key = normalizeRoot(root);
    this.refuseAsRoot(key);
    fs.mkdirSync(key, { recursive: true });
    Project.init(key);
    const fresh = Project.open(key, this.deps);
    try {
      await fill(fresh);
    } catch (e) {
      await fresh.close();
      // Nothing half-made is left: the folder was new or empty.
      fs.rmSync(key, { recursive: true, force: true });
      throw e;
    }
    await fresh.close();
    this.remember([...this.rememberedRoots(), key]);
    return this.load(key, 'await');
  }

  /** Tell editors a project's history changed without a local recording (a pull). */
  announce(project: Project): void {
    this._onDidChangeProject.fire(project.info());
  }

  /** Folders that must not become projects: the file system root, the home folder, stores. */
  private refuseAsRoot(key: string): void {
    const home = normalizeRoot(os.homedir());
    const inside = (dir: string): boolean => key === dir || key.startsWith(dir + path.sep);
    if (
      key === path.parse(key).root ||
      key === home ||
      inside(normalizeRoot(this.home)) ||
      key.split(path.sep).includes('.mlsnap')
    ) {
      throw new MlsnapError(
        'bad-request',
        `${key} cannot be an mlsnap project (a file system root, the home folder or a store); init a project folder instead`,
        key,
      );
    }
  }

  all(): Project[] {
    return [...this.open.values()];
  }

  async closeAll(): Promise<void> {
    for (const w of this.configWatches.values()) w.dispose();
    this.configWatches.clear();
    const projects = this.all();
    this.open.clear();
    for (const p of projects.reverse()) await p.close();
    this._onDidRecord.dispose();
    this._onDidChangeProject.dispose();
  }
}

function normalizeRoot(root: string): string {
  if (!path.isAbsolute(root))
    throw new MlsnapError('bad-request', `project root must be an absolute path, got ${root}`);
  const resolved = path.resolve(root);
  try {
    return fs.realpathSync(resolved);
  } catch {
    return resolved;
  }
}
