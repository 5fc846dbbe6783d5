/**
 * Domain types shared by the daemon, the CLI and the editor.
 * Pure data: no runtime dependencies, no `vscode`, no `node:*` (enforced by lint).
 */
import { extensionsOf, fileKindSpec, type FileKind } from './fileKinds';
import type { StageGateConfig } from './release';

/** What caused a version to be recorded. */
/** `restore`: the bytes a restore wrote, recorded with the environment of the version restored. */
/** `run`: the files an `mlsnap run` command wrote, recorded when it ended. */
export type Trigger = 'watch' | 'save' | 'manual' | 'reconcile' | 'restore' | 'run';
export const TRIGGERS: readonly Trigger[] = ['watch', 'save', 'manual', 'reconcile', 'restore', 'run'];

export type { FileKind } from './fileKinds';

/** How the interpreter of a version was found, so a wrong guess can be seen and corrected. */
export type InterpreterSource =
  | 'configured' // project setting `interpreter` overrides everything
  | 'run' // `mlsnap run`: the interpreter of the command that wrote the file
  | 'editor' // the editor said which interpreter the notebook's kernel runs
  | 'live-kernel' // a running Jupyter kernel serving the notebook (server session or working folder)
  | 'notebook-metadata' // the notebook's kernelspec display name, VS Code's interpreter hash, language_info.version
  | 'kernelspec' // notebook metadata.kernelspec resolved on Jupyter's kernel search path
  | 'lineage' // model/metrics file: the notebook or script that names it and ran last
  | 'virtualenv' // the project's .venv / venv
  | 'VIRTUAL_ENV' // the daemon's VIRTUAL_ENV variable
  | 'conda' // an active or project conda env
  | 'path'; // python3 on PATH, the last resort

export interface InterpreterInfo {
  executable: string;
  version: string;
  /** sys.prefix of the interpreter. */
  prefix: string;
  foundBy: InterpreterSource;
  /** One sentence: why this interpreter (kernelspec file, lineage source, ...). */
  detail: string;
}

export interface PackageInfo {
  name: string;
  version: string;
  /** Contents of INSTALLER (pip, conda, debian, uv...), when present. */
  installer?: string;
  /** Parsed direct_url.json (PEP 610), when present. */
  directUrl?: unknown;
  /** The sys.path entry holding the metadata. */
  location: string;
}

export interface CondaInfo {
  prefix: string;
  packages: { name: string; version: string; build?: string; channel?: string }[];
}

export interface MachineInfo {
  os: string;
  release: string;
  kernel: string;
  arch: string;
  cpu: string;
  cpus: number;
  memoryBytes: number;
}

export interface GpuInfo {
  name: string;
  driver: string;
  cuda?: string;
  memoryMiB?: number;
}

export interface LockfileRef {
  /** Project-relative path. */
  path: string;
  /** Blob hash of its contents. */
  blob: string;
}

/** The environment a version was produced in. Stored once per distinct content. */
export interface EnvironmentInfo {
  interpreter: InterpreterInfo | null;
  packages: PackageInfo[];
  conda: CondaInfo | null;
  machine: MachineInfo;
  gpus: GpuInfo[];
  /** Why GPUs are empty: "nvidia-smi not found", or its error. */
  gpuNote?: string;
  lockfiles: LockfileRef[];
  /** Names only, never values. */
  envVarNames: string[];
  complete: boolean;
  incompleteReason?: string;
}

export interface GitState {
  commit: string | null;
  branch: string | null;
  dirty: boolean;
  /** Blob hash of the uncommitted diff, capped in size. */
  patchBlob?: string;
  patchTruncated?: boolean;
}

/** The notebook or script that is believed to have written a model or metrics file. */
export interface LineageLink {
  sourcePath: string;
  reason: string;
}

export interface VersionInfo {
  id: number;
  path: string;
  /** 1-based position in the file's history. */
  seq: number;
  blob: string;
  size: number;
  createdAt: number;
  mtimeMs: number;
  trigger: Trigger;
  message: string | null;
  snapshotId: string;
  environmentId: number | null;
  tags: string[];
  lineage: LineageLink | null;
  /** Set when this path's first version has the bytes of a file deleted meanwhile: a rename. */
  renamedFrom?: string;
  /**
   * The version's id, the same on every machine (`v` + 16 hex digits): refs accept it where
   * `path@N` is this project's own numbering.
   */
  uid: string;
  /** Who recorded it and where (absent only for versions recorded before remotes existed; see ProjectInfo.author). */
  author?: string;
  host?: string;
  /** Set when its bytes are only on a remote: they are fetched (and checked) when first read. */
  bytesOnRemote?: true;
  /** Names of the remotes known to hold it (pushed there or pulled from there). */
  remotes: string[];
  /** The `mlsnap run` whose command wrote it. */
  runId?: string;
}

/** One `mlsnap run`: a command, the interpreter it ran on, and how it ended. */
export interface RunInfo {
  /** `r` + 16 hex digits. */
  id: string;
  /** `command`: an `mlsnap run`; `notebook`: one execution of a notebook, inferred from its versions. */
  kind: 'command' | 'notebook';
  /** The notebook or script it ran (project-relative), when known. */
  sourcePath: string | null;
  /** The version of the source that ran (a notebook run: the version its execution produced). */
  sourceVersionId: number | null;
  /** Parsed from code and command lines, never executed (shared/src/runs.ts RunParam). */
  params: { name: string; value: unknown; source: string }[];
  git: GitState | null;
  argv: string[];
  cwd: string;
  executable: string | null;
  interpreterDetail: string | null;
  startedAt: number;
  finishedAt: number | null;
  exitCode: number | null;
  /** The signal that ended it (SIGINT, SIGKILL...), when one did. */
  signal: string | null;
  outputTail: string | null;
}

export interface SnapshotInfo {
  id: string;
  createdAt: number;
  trigger: Trigger;
  message: string | null;
  git: GitState | null;
  /** The versions, by path; only the first SNAPSHOT_VERSIONS_LISTED when there are more. */
  versions: VersionInfo[];
  /** How many versions the snapshot holds in all. */
  versionCount: number;
}

/** A snapshot lists at most this many versions (a first scan can record 20,000). */
export const SNAPSHOT_VERSIONS_LISTED = 1000;

export interface TrackedFileInfo {
  path: string;
  kind: FileKind;
  versions: number;
  latest: VersionInfo | null;
  /** When the file was found gone from the working folder; absent while it exists. */
  deletedAt?: number;
}

export interface ProjectInfo {
  root: string;
  storeDir: string;
  trackedFiles: number;
  /** Tracked files gone from the working folder (their history stays). */
  deletedFiles?: number;
  versions: number;
  blobs: number;
  storedBytes: number;
  watcher: WatcherState;
  /** Who this project's new versions are recorded as (MLSNAP_AUTHOR / MLSNAP_HOST, else login and host name). */
  author: string;
  host: string;
  /**
   * Why the last edit of `.mlsnap/config.json` was refused (not JSON, a bad value); the last
   * good config stays in force. Absent when the file on disk is the config in force.
   */
  configProblem?: string;
}

export interface WatcherState {
  backend: 'parcel' | 'chokidar-polling' | 'none';
  /** Why the backend differs from the requested one, or a watch problem (inotify limits). */
  note?: string;
}

export interface ProjectConfig {
  /** Interpreter override: an absolute path to a python executable. */
  interpreter?: string;
  include: string[];
  exclude: string[];
  watcher: 'parcel' | 'polling';
  settleMs: number;
  /** Environment capture never holds a snapshot back longer than this. */
  envTimeoutMs: number;
  /** Release gates per stage (`production` has all of them unless configured here). */
  stages?: Record<string, StageGateConfig>;
}

/**
 * The logs training tools write where they write them, so a run's metrics are recorded with it:
 * Lightning's CSVLogger, Hugging Face's trainer_state.json, DVCLive, TensorBoard, MLflow's file store.
 */
export const TRAINING_LOG_INCLUDE: readonly string[] = [
  '**/lightning_logs/**/metrics.csv',
  '**/trainer_state.json',
  '**/dvclive/metrics.json',
  '**/dvclive/plots/metrics/**/*.tsv',
  '**/events.out.tfevents.*',
  '**/mlruns/*/*/metrics/**',
];

export const DEFAULT_INCLUDE: readonly string[] = [
  '**/*.ipynb',
  `**/*.{${extensionsOf('model').join(',')}}`,
  '**/metrics*.json',
  '**/{output,outputs,results,runs}/**/*.csv',
  ...TRAINING_LOG_INCLUDE,
];

export const DEFAULT_EXCLUDE: readonly string[] = [
  '**/.git/**',
  '**/.mlsnap/**',
  '**/node_modules/**',
  '**/.venv/**',
  '**/venv/**',
  '**/__pycache__/**',
  '**/.ipynb_checkpoints/**',
];

export function defaultConfig(): ProjectConfig {
  return {
    include: [...DEFAULT_INCLUDE],
    exclude: [...DEFAULT_EXCLUDE],
    watcher: 'parcel',
    settleMs: 300,
    envTimeoutMs: 10_000,
  };
}

/** The kind of a tracked file, from the one table in fileKinds.ts. */
export function kindOfPath(path: string): FileKind {
  return fileKindSpec(path).kind;
}
