import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  defaultConfig,
  kindOfPath,
  type ProjectConfig,
  type RunInfo,
  type VersionInfo,
  type ProjectInfo,
  type SnapshotInfo,
  type Trigger,
} from '../../../shared/src/domain';
import { MlsnapError } from '../../../shared/src/errors';
import type { SnapshotResult } from '../../../shared/src/protocol';
import { Emitter } from '../Emitter';
import type { Log } from '../Log';
import { ContentStore } from '../store/blobs/ContentStore';
import { LocalBackend } from '../store/blobs/LocalBackend';
import { SnapshotStore } from '../store/SnapshotStore';
import { IGNORED_DIR_NAMES, type FileWatcher, type RawChange } from '../watch/FileWatcher';
import { startWatcher } from '../watch/startWatcher';
import { SettleTracker } from '../watch/SettleTracker';
import { SnapshotPipeline, type EnvironmentSource } from './SnapshotPipeline';
import { TrackedPaths } from './TrackedPaths';
import { insideProject, STORE_DIR_NAME } from '../../../shared/src/projectPath';
import { lexicalInside } from './ProjectPaths';
import { readConfigFile } from './ProjectConfigFile';
import { fingerprintOf } from './WorkingFiles';
import { InterpreterHints, type RunHint } from '../env/InterpreterHints';
import type { RunEnd, RunStart } from '../store/sql/RunTable';
import { RunRecorder } from '../runs/RunRecorder';

export const STORE_DIR = STORE_DIR_NAME;
export const CONFIG_FILE = 'config.json';
export const DB_FILE = 'store.db';

export interface ProjectDeps {
  log: Log;
  /** Builds environment capture for the project; tests may pass a fixed one. */
  environment(
    root: string,
    config: ProjectConfig,
    blobs: ContentStore,
    store: SnapshotStore,
    hints: InterpreterHints,
  ): EnvironmentSource;
}

/**
 * One project's history: its store, its watcher and the pipeline between them.
 * Built store → pipeline → watcher, torn down in reverse.
 */
export class Project {
  private readonly _onDidRecord = new Emitter<SnapshotInfo>();
  readonly onDidRecord = this._onDidRecord.event;
  private readonly _onDidRun = new Emitter<RunInfo>();
  /** A run was inferred, gained outputs, or ended: its summary may have changed. */
  readonly onDidRun = this._onDidRun.event;
  private readonly recorder: RunRecorder;
  /** Run inference after snapshots, one at a time, off the snapshot queue (it reads blobs back). */
  private runWork: Promise<unknown> = Promise.resolve();
  private readonly _onDidSkipInvalid = new Emitter<{ path: string; reason: string }>();
  readonly onDidSkipInvalid = this._onDidSkipInvalid.event;

  /** Set by the registry when an edit of config.json was refused (the config in force stays). */
  configProblem: string | undefined;
  private watcher: FileWatcher | null = null;
  private settle: SettleTracker | null = null;
  private readonly pipeline: SnapshotPipeline;
  private readonly paths: TrackedPaths;
  /** What the editor and `mlsnap run` say about which interpreter runs a file. */
  readonly hints: InterpreterHints;

  private constructor(
    readonly root: string,
    readonly config: ProjectConfig,
    readonly store: SnapshotStore,
    readonly blobs: ContentStore,
    readonly log: Log,
    env: EnvironmentSource,
    hints: InterpreterHints,
  ) {
    this.hints = hints;
    this.recorder = new RunRecorder(root, store, blobs, log);
    this.paths = new TrackedPaths(root, config);
    this.pipeline = new SnapshotPipeline(root, store, blobs, env, config.settleMs, log);
  }

  static storeDirOf(root: string): string {
    return path.join(root, STORE_DIR);
  }

  static isInitialized(root: string): boolean {
    return fs.existsSync(path.join(root, STORE_DIR, CONFIG_FILE));
  }

  /** Create `<root>/.mlsnap` with a default config; add it to .gitignore in a git repo. */
  static init(root: string): void {
    const dir = Project.storeDirOf(root);
    fs.mkdirSync(dir, { recursive: true });
    // Inside the store too, so git skips it even where the user's .gitignore is not edited.
    fs.writeFileSync(path.join(dir, '.gitignore'), '*\n');
    if (!fs.existsSync(path.join(dir, CONFIG_FILE))) writeConfig(root, defaultConfig());
    if (fs.existsSync(path.join(root, '.git'))) addToGitignore(root);
  }

  static open(root: string, deps: ProjectDeps): Project {
    if (!Project.isInitialized(root)) {
      throw new MlsnapError('not-initialized', `${root} has no mlsnap store; run \`mlsnap init\` there first`, root);
    }
    const config = readConfig(root);
    const dir = Project.storeDirOf(root);
    const backend = new LocalBackend(dir);
    const swept = backend.sweepTemp();
    if (swept > 0) deps.log.info(`removed ${swept} temp file(s) left by an interrupted write`);
    // Decompressed copies for the model parsers go to the store's tmp/ too: swept like the rest.
    const blobs = new ContentStore(backend, { scratchDir: backend.tmpDir });
    const store = new SnapshotStore(path.join(dir, DB_FILE));
    const hints = new InterpreterHints();
    // A run still going when the project was last closed (a daemon restart, a config reload)
    // keeps binding what its command writes; one whose CLI is gone ends at the first look.
    for (const run of store.runs.unfinished()) hints.startRun(runHint(run, run.pid));
    const env = deps.environment(root, config, blobs, store, hints);
    return new Project(root, config, store, blobs, deps.log, env, hints);
  }

  /**
   * Watch for changes, and find those made while the daemon was down. `background` lets a
   * restarting daemon answer at once while the scan runs (requests queue behind it).
   */
  async start(opts: { reconcile: 'await' | 'background' } = { reconcile: 'await' }): Promise<void> {
    this.settle = new SettleTracker(this.config.settleMs, (abs) => void this.onSettled(abs));
    this.watcher = await startWatcher(this.config.watcher, this.root, IGNORED_DIR_NAMES, {
      onChanges: (changes) => this.onChanges(changes),
      onRescanNeeded: (reason) => {
        this.log.warn(`watching ${this.root}: ${reason}; rescanning the project`);
        void this.reconcile();
      },
      log: this.log,
    });
    const scan = this.reconcile();
    if (opts.reconcile === 'await') await scan;
  }

  /** Project-relative posix path of an absolute path, or null when outside the project. */
  pathsRelative(abs: string): string | null {
    return lexicalInside(this.root, abs);
  }

  private onChanges(changes: RawChange[]): void {
    const deleted: string[] = [];
    for (const c of changes) {
      if (c.type === 'delete') {
        deleted.push(...this.goneAt(c.path));
        continue;
      }
      if (this.isTracked(c.path)) {
        this.settle?.touch(c.path);
      } else if (c.type === 'create') {
        this.touchNewFolder(c.path);
      }
    }
    // Marked at once (before a new path's bytes settle), so a rename finds its source gone.
    if (deleted.length > 0) this.store.markDeleted(deleted);
  }

  /**
   * The tracked files a delete event took away: the file itself, or, for a folder, the files
   * under it (a moved folder is reported as the folder alone, never file by file). Only
   * paths really gone count: an editor's atomic save reports a delete of a file that is back.
   */
  private goneAt(abs: string): string[] {
    const rel = this.paths.relative(abs);
    if (rel === null || rel === '' || fs.existsSync(abs)) return [];
    return this.store.presentAt(rel).filter((p) => p === rel || !fs.existsSync(path.join(this.root, p)));
  }

  /**
   * Files created in a new folder before the watcher added its watch on that folder are
   * never reported (inotify races), so a new folder is walked once.
   */
  private touchNewFolder(abs: string): void {
    const rel = this.pathsRelative(abs);
    if (rel === null || IGNORED_DIR_NAMES.includes(path.basename(abs))) return;
    let isDir = false;
    try {
      isDir = fs.lstatSync(abs).isDirectory();
    } catch {
      return;
    }
    if (isDir) for (const f of this.paths.walk(rel)) this.settle?.touch(path.join(this.root, f));
  }

  private isTracked(abs: string): boolean {
    const rel = this.paths.relative(abs);
    return rel !== null && this.paths.matches(rel);
  }

  private async onSettled(absPaths: string[]): Promise<void> {
    const rels = absPaths.map((a) => this.paths.relative(a)).filter((r): r is string => r !== null);
    await this.record(rels, 'watch', null);
  }

  /** The tracked files on disk under a project-relative folder ('' = the whole project). */
  trackedFilesUnder(relDir: string): string[] {
    return this.paths.walk(relDir);
  }

  /** Record every tracked file that changed since it was last seen. */
  async reconcile(): Promise<SnapshotResult> {
    const present = this.paths.walk();
    // Files deleted while the daemon was down (or without an event) are marked here.
    const onDisk = new Set(present);
    const gone = this.store.trackedPaths().filter((p) => !onDisk.has(p) && !fs.existsSync(path.join(this.root, p)));
    this.store.markDeleted(gone);
    return this.record(present, 'reconcile', null);
  }

  /** Record the given project-relative paths now (all tracked files when none are given). */
  snapshot(relPaths: string[] | undefined, trigger: Trigger, message: string | null): Promise<SnapshotResult> {
    let paths = relPaths && relPaths.length > 0 ? relPaths : this.paths.walk();
    // The editor asks on every save; only files the project tracks are recorded then.
    if (trigger === 'save') paths = paths.filter((p) => this.paths.matches(p));
    if (paths.length === 0)
      return Promise.resolve({
        snapshot: null,
        skipped: (relPaths ?? []).map((p) => ({ path: p, reason: 'not tracked' })),
      });
    for (const p of paths) {
      // Explicit paths need not match the include patterns, but must stay inside the project.
      // Callers resolve what users typed (ProjectPaths.resolveInside); here only the normal form passes.
      const v = insideProject(this.root, p);
      if (!v.ok || v.rel !== p)
        throw new MlsnapError('bad-request', `${p} is not a file inside the project ${this.root}`, p);
    }
    return this.record(paths, trigger, message);
  }

  /** Run inference of a snapshot, queued; its errors are logged (the versions are recorded either way). */
  private inferRuns(snapshot: SnapshotInfo): void {
    this.runWork = this.runWork
      .then(() => this.recorder.recorded(snapshot))
      .then((runs) => {
        for (const run of runs) this._onDidRun.fire(run);
      })
      .catch((err: unknown) => this.log.error(`runs of snapshot ${snapshot.id} in ${this.root}`, err));
  }

  /** Resolves once every queued run inference is done (queries wait for it, so they see the runs). */
  runsSettled(): Promise<void> {
    return this.runWork.then(() => undefined);
  }

  /** An `mlsnap run` begins: files written from now on are recorded with its interpreter. */
  startRun(start: RunStart): RunInfo {
    const run = this.store.runs.insert(start);
    this.hints.startRun(runHint(run, start.pid));
    return run;
  }

  /**
   * The run's command ended: record every tracked file it wrote now (mtime within the run)
   * rather than after the watcher's settle delay, since the caller waits for the list.
   */
  async finishRun(id: string, end: RunEnd): Promise<{ run: RunInfo; versions: VersionInfo[] }> {
    const known = this.hints.finishRun(id, end.finishedAt) !== null;
    const run = this.store.runs.finish(id, end);
    if (run === null) throw new MlsnapError('not-found', `no run ${id} in ${this.root}`);
    if (!known) {
      // Forgotten (ten minutes after it was taken as over): the row still says when it began.
      this.hints.startRun(runHint(run, null));
    }
    const written = this.paths.walk().filter((rel) => {
      let mtimeMs: number;
      try {
        mtimeMs = fs.statSync(path.join(this.root, rel)).mtimeMs;
      } catch {
        return false; // gone meanwhile: nothing to record
      }
      return this.hints.runFor(mtimeMs, end.finishedAt)?.runId === id;
    });
    if (written.length > 0) await this.record(written, 'run', `mlsnap run ${id}`);
    await this.runsSettled();
    const described = (await this.recorder.commandFinished(id)) ?? run;
    this._onDidRun.fire(described);
    return { run: described, versions: this.store.versionsOfRun(id) };
  }

  private async record(relPaths: string[], trigger: Trigger, message: string | null): Promise<SnapshotResult> {
    try {
      const result = await this.pipeline.run(relPaths, trigger, message);
      for (const s of result.skipped) if (s.reason.includes('not recorded')) this._onDidSkipInvalid.fire(s);
      this.syncDeleted(relPaths, result);
      if (result.snapshot) {
        this._onDidRecord.fire(result.snapshot);
        this.inferRuns(result.snapshot);
      }
      return result;
    } catch (e) {
      if (trigger === 'watch' || trigger === 'reconcile') {
        this.log.error(`snapshot of ${relPaths.length} file(s) in ${this.root} failed`, e);
        return { snapshot: null, skipped: relPaths.map((p) => ({ path: p, reason: String(e) })) };
      }
      throw e;
    }
  }

  /**
   * After a run: tracked files it found missing are marked deleted, and marked ones that are
   * on disk now are not. Checked by stat here, synchronously, so this and a delete event
   * (handled on the same thread) agree whatever order they come in.
   */
  private syncDeleted(relPaths: readonly string[], result: SnapshotResult): void {
    this.store.markDeleted(
      result.skipped.filter((s) => s.reason === 'missing' && this.store.latestHash(s.path) !== null).map((s) => s.path),
    );
    const deleted = this.store.deletedFiles();
    if (deleted.size === 0) return;
    this.store.markPresent(relPaths.filter((p) => deleted.has(p) && fs.existsSync(path.join(this.root, p))));
  }

  /**
   * The bytes of `version` were just written to `rel` by a restore: record them as a version
   * of `rel` (trigger `restore`) with the environment and lineage of the version restored,
   * not a new capture, and with the written file's fingerprint, so the watcher's event for the
   * same write finds it unchanged. Call inside `exclusive`, right after the write.
   */
  recordRestored(rel: string, version: VersionInfo): VersionInfo | null {
    const st = fs.lstatSync(path.join(this.root, rel), { bigint: true });
    const fingerprint = fingerprintOf(st);
    const takenNs = BigInt(Date.now()) * 1_000_000n;
    this.store.markPresent([rel]);
    if (this.store.latestVersion(rel)?.blob === version.blob) {
      this.store.saveFingerprint(rel, kindOfPath(rel), fingerprint, version.blob, takenNs);
      return null;
    }
    const id = this.store.recordSnapshot({
      trigger: 'restore',
      message: `restored from ${version.path}@${version.seq}`,
      git: this.store.snapshot(version.snapshotId).git,
      takenNs,
      versions: [
        {
          path: rel,
          kind: kindOfPath(rel),
          // The blob is stored already (its row exists): only its hash and size are used.
          blob: { hash: version.blob, size: version.size, storedSize: version.size, encoding: 'raw', created: false },
          mtimeMs: Number(st.mtimeMs),
          fingerprint,
          environment: version.environmentId === null ? null : this.store.environment(version.environmentId),
          lineage: version.lineage,
        },
      ],
    });
    const snapshot = this.store.snapshot(id);
    this._onDidRecord.fire(snapshot);
    return snapshot.versions.find((v) => v.path === rel) ?? null;
  }

  /** Run `fn` between snapshots, never during one. */
  exclusive<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.pipeline.exclusive(fn);
  }

  /** Wait for writes in flight (tests and shutdown). */
  async idle(): Promise<void> {
    await this.pipeline.exclusive(() => undefined);
  }

  info(): ProjectInfo {
    return {
      root: this.root,
      storeDir: Project.storeDirOf(this.root),
      author: this.store.identity.author,
      host: this.store.identity.host,
      ...this.store.counts(),
      watcher: this.watcher?.state ?? { backend: 'none' },
      ...(this.configProblem === undefined ? {} : { configProblem: this.configProblem }),
    };
  }

  async close(): Promise<void> {
    this.settle?.dispose();
    await this.watcher?.stop();
    await this.idle();
    await this.runsSettled();
    this.store.close();
    this._onDidRecord.dispose();
    this._onDidRun.dispose();
    this._onDidSkipInvalid.dispose();
  }
}

export function readConfig(root: string): ProjectConfig {
  return readConfigFile(path.join(Project.storeDirOf(root), CONFIG_FILE));
}

export function writeConfig(root: string, config: ProjectConfig): void {
  const file = path.join(Project.storeDirOf(root), CONFIG_FILE);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(config, null, 2) + '\n');
  fs.renameSync(`${file}.tmp`, file);
}

function addToGitignore(root: string): void {
  const file = path.join(root, '.gitignore');
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (
    existing
      .split(/\r?\n/)
      .some((l) => l.trim() === STORE_DIR || l.trim() === `${STORE_DIR}/` || l.trim() === `/${STORE_DIR}/`)
  )
    return;
  const sep = existing === '' || existing.endsWith('\n') ? '' : '\n';
  fs.writeFileSync(file, `${existing}${sep}${STORE_DIR}/\n`);
}

/** What the interpreter resolver needs to know of a run. */
function runHint(run: RunInfo, pid: number | null): RunHint {
  return {
    runId: run.id,
    argv: run.argv,
    cwd: run.cwd,
    pid,
    executable: run.executable ?? '',
    detail: run.interpreterDetail ?? '',
    startedMs: run.startedAt,
    finishedMs: run.finishedAt,
  };
}
