/**
 * The daemon's protocol, declared once. Every method the daemon serves is a key of
 * `DaemonApi` (params → result) and has an entry in `METHODS` (its one-line purpose and how
 * it travels). The HTTP API serves `POST /api/<method>`; the editor's JSON-RPC endpoint
 * serves the same names. No caller spells a method name as a bare string.
 */
import type {
  EnvironmentInfo,
  ProjectConfig,
  GitState,
  ProjectInfo,
  SnapshotInfo,
  TrackedFileInfo,
  RunInfo,
  Trigger,
  VersionInfo,
} from './domain';
import type { PickleSafety, VersionDiff } from './diff';
import { EXPORT_FORMATS, type ExportFormat, type ExportResult } from './environmentExport';
import type { ReproduceResult } from './reproduce';
import type { MetricSeries, MetricTrend, RunComparison, RunSummary } from './runs';
import {
  BUNDLE_FORMATS,
  STAGE_NAME,
  type AuditRecord,
  type BundleFormat,
  type BundleResult,
  type GateCheckResult,
  type PromoteResult,
  type ResourceEstimate,
  type StageInfo,
  type StagePolicy,
} from './release';
import { arrayOf, bool, int, obj, oneOf, optional, record, str, text, type Check } from './check';
import { MlsnapError, type ErrorPayload } from './errors';

/** Every request names the project by its root folder (absolute path). */
export interface ProjectParams {
  root: string;
}

export interface RefParams extends ProjectParams {
  /** `path@N`, `path@latest`, `path@<tag>` or a snapshot id prefix. Paths are project-relative. */
  ref: string;
}

export interface DaemonStatus {
  pid: number;
  version: string;
  startedAt: number;
  projects: ProjectInfo[];
}

export interface SnapshotParams extends ProjectParams {
  /** Project-relative paths; empty or absent means every tracked file. */
  paths?: string[];
  message?: string;
  trigger?: Extract<Trigger, 'manual' | 'save'>;
}

export interface SnapshotResult {
  /** Null when nothing had changed. */
  snapshot: SnapshotInfo | null;
  /** Files that were looked at but not recorded, with the reason (unchanged, invalid...). */
  skipped: { path: string; reason: string }[];
}

export interface LogParams extends ProjectParams {
  path?: string;
  limit?: number;
}

export interface ShowParams extends RefParams {
  /**
   * Parse a model version to estimate its serving needs (`mlsnap show`). Off by default: the
   * editor's rows and `cat` ask for a version often and need no parse of its file.
   */
  estimate?: boolean;
}

export interface ShowResult {
  /** Set when the ref named a version. */
  version: VersionInfo | null;
  /** The snapshot the version belongs to, or the one the ref named. */
  snapshot: SnapshotInfo;
  environment: EnvironmentInfo | null;
  git: GitState | null;
  /** With `estimate`: a model version's serving needs from its parsed file; null for other files or when it does not parse. */
  estimate?: ResourceEstimate | null;
  /** With `estimate`: what loading the version would run; null for files no loader unpickles, or absent here. */
  pickle?: PickleSafety | null;
}

export interface RestoreParams extends RefParams {
  /** Absolute target path; defaults to the version's own path. */
  to?: string;
}

export interface RestoreResult {
  path: string;
  restored: VersionInfo;
  /** The version taken of unsnapshotted work before it was overwritten. */
  savedFirst: VersionInfo | null;
  /** The version the restore recorded of the bytes it wrote (trigger `restore`); absent outside the project or when the file already held them. */
  recorded?: VersionInfo;
  /** Where the old contents went when they could not be recorded (e.g. a notebook that is not JSON). */
  movedAside?: string;
}

export interface TagParams extends RefParams {
  name: string;
}

export interface GcParams extends ProjectParams {
  keepLast: number;
  dryRun?: boolean;
}

export interface GcResult {
  dryRun: boolean;
  versionsDropped: number;
  blobsFreed: number;
  bytesFreed: number;
  keptTagged: number;
}

export interface CheckProblem {
  kind: 'blob-missing' | 'blob-corrupt' | 'blob-orphan' | 'sqlite' | 'foreign-key';
  message: string;
  path?: string;
}

export interface CheckResult {
  ok: boolean;
  blobsChecked: number;
  bytesChecked: number;
  problems: CheckProblem[];
}

export interface ReadResult {
  /** The version's bytes, base64: the editor opens notebooks and text through this. */
  base64: string;
  size: number;
}

export interface ConfigureParams extends ProjectParams {
  /** Settings from the editor, written to .mlsnap/config.json; the project reopens with them. */
  settings: Partial<Pick<ProjectConfig, 'interpreter' | 'include' | 'exclude'>>;
}

export interface DiffParams extends ProjectParams {
  /** The older version's ref. */
  before: string;
  /** The newer version's ref; absent: `before` is compared with the version before it. */
  after?: string;
  /** Show cell and notebook metadata changes. */
  showMetadata?: boolean;
  /** Show cells whose execution count alone changed. */
  showExecutionCounts?: boolean;
  /** Models: compare tensor bytes, not only headers (reads both files whole). */
  compareBytes?: boolean;
}

/** The editor says which interpreter a notebook's kernel runs (Jupyter or Python extension). */
export interface KernelHintParams extends ProjectParams {
  /** The notebook, project-relative or absolute. */
  path: string;
  executable: string;
  /** How the editor knows, in words ("the Jupyter extension's kernel: sys.executable"). */
  how: string;
}

/** `mlsnap run` begins: the command and the interpreter it resolved the way the shell would. */
export interface RunStartParams extends ProjectParams {
  argv: string[];
  cwd: string;
  /** The `mlsnap run` process: when it is gone, the run is over even if it never said so. */
  pid?: number;
  /** Absent when the command runs no Python the CLI could tell. */
  executable?: string;
  /** How the interpreter was found (PATH at the call, an active venv, `uv run`, ...). */
  interpreterDetail?: string;
}

export interface RunFinishParams extends ProjectParams {
  runId: string;
  /** Absent when a signal ended it. */
  exitCode?: number;
  signal?: string;
  /** The last lines of what it printed. */
  outputTail: string;
}

export interface RunResult {
  run: RunInfo;
  /** The versions its command wrote (by path). */
  versions: VersionInfo[];
}

export interface ExportParams extends RefParams {
  format: ExportFormat;
}

export interface ReproduceParams extends RefParams, LongCallParams {
  /** The folder to make the venv in: absent or empty. */
  dir: string;
  /** A folder of wheels to install from (pip --find-links; with no indexUrl, offline: --no-index). */
  findLinks?: string;
  indexUrl?: string;
  /** The caller's PIP_* and proxy variables (pip honours them unless findLinks or indexUrl is given). */
  pipEnvironment?: Record<string, string>;
}

/** How far a push, pull, clone or check has got; sent as it goes (HTTP: NDJSON lines; RPC: mlsnap/didProgress). */
export interface TransferProgress {
  /** Transfers: scan … check. Reproduce: python (finding one), venv, install (objects = packages), verify. */
  phase: 'scan' | 'upload' | 'download' | 'history' | 'checkout' | 'check' | 'python' | 'venv' | 'install' | 'verify';
  objectsDone: number;
  objectsTotal: number;
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number;
  secondsLeft: number;
  /** What is being done right now, in words (the package being installed, ...). */
  message?: string;
}

/**
 * Credentials for this call, by the SDKs' own variable names (the CLI forwards its
 * environment's AWS_* / AZURE_STORAGE_*; the editor its SecretStorage): held in memory only.
 */
export type Credentials = Record<string, string>;

/** The variables the CLI forwards from its environment to the daemon: credentials and endpoints, nothing else. */
export const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_S3',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  'AZURE_STORAGE_CONNECTION_STRING',
  'AZURE_STORAGE_SAS_TOKEN',
  'AZURE_STORAGE_BLOB_ENDPOINT',
] as const;

/** Long calls may carry these: a token the editor's progress notifications name. */
export interface LongCallParams {
  progressToken?: string;
  credentials?: Credentials;
}

export interface RemoteSettingsParams {
  endpoint?: string;
  region?: string;
  profile?: string;
  pathStyle?: boolean;
}

export interface RemoteAddParams extends ProjectParams, RemoteSettingsParams, LongCallParams {
  name: string;
  url: string;
  /** Make the bucket, container or folder when it does not exist. */
  create?: boolean;
  default?: boolean;
}

export interface RemoteInfo {
  name: string;
  url: string;
  kind: 's3' | 'azure' | 'folder';
  isDefault: boolean;
  settings: RemoteSettingsParams;
  /** Versions of this project not yet on the remote. */
  unpushed: number;
}

export interface RemoteNameParams extends ProjectParams, LongCallParams {
  /** Absent: the default remote. */
  name?: string;
}

export interface RemoteCheckParams extends RemoteNameParams {
  /** Also download and hash this percentage (0-100) of the data objects. */
  readDataSubset?: number;
}

export interface RemoteCheckResult {
  remote: string;
  historyObjects: number;
  versions: number;
  dataObjects: number;
  /** Data objects downloaded and hashed. */
  dataChecked: number;
  /** Blobs that history needs and the remote lacks. */
  missing: string[];
  /** Objects that failed their check: history that does not parse, data that does not hash. */
  corrupt: { key: string; reason: string }[];
  ok: boolean;
}

/** What the secret gate found in a version about to be pushed. */
export interface SecretFinding {
  id: string;
  rule: string;
  path: string;
  cell?: number;
  line: number;
  where: 'source' | 'output' | 'metadata' | 'text';
  excerpt: string;
  message: string;
  /** The version it was found in. */
  version: string;
}

export interface PushParams extends ProjectParams, LongCallParams {
  remote?: string;
  paths?: string[];
  /** Push notebooks with outputs stripped (local history keeps them). */
  stripOutputs?: boolean;
  /** Finding ids accepted for this push; recorded with the pushed versions. */
  allow?: string[];
}

/** Which remote a release call acts on (the default when absent), with its credentials. */
export interface ReleaseRemoteParams extends ProjectParams {
  remote?: string;
  credentials?: Credentials;
}

export interface PromoteParams extends ReleaseRemoteParams, LongCallParams {
  /** The version to promote (`models/mlp.pt@3`, `@latest`, a tag, a version id). */
  ref: string;
  stage: string;
  reason?: string;
  /** Promote although gates failed; needs `reason`, and both go into the audit record. */
  force?: boolean;
}

export interface DemoteParams extends ReleaseRemoteParams {
  model: string;
  stage: string;
  reason?: string;
}

export interface BundleParams extends RefParams {
  /** Absolute folder to write the bundle into (made if missing). */
  dir: string;
  format: BundleFormat;
  /** Overwrite files of an earlier bundle there. */
  force?: boolean;
}

export interface PushResult {
  remote: string;
  /** False when the secret gate refused: `findings` says why, nothing was pushed. */
  pushed: boolean;
  findings: SecretFinding[];
  versions: number;
  objects: number;
  /** Bytes of the objects pushed, and of them those that crossed the network in this run. */
  bytes: number;
  bytesSent: number;
  seconds: number;
}

export interface PullParams extends ProjectParams, LongCallParams {
  remote?: string;
  /** Fetch every blob now rather than when first read. */
  blobs?: boolean;
}

export interface PullResult {
  remote: string;
  /** Versions new to this project. */
  versions: number;
  historyObjects: number;
  blobsFetched: number;
  bytes: number;
  seconds: number;
}

export interface CloneParams extends RemoteSettingsParams, LongCallParams {
  url: string;
  /** The new project's folder: absent or empty. */
  dir: string;
  /** The remote's name in the new project (default "origin"). */
  name?: string;
}

export interface CloneResult {
  project: ProjectInfo;
  remote: string;
  versions: number;
  files: number;
  bytes: number;
  seconds: number;
}

export interface DaemonApi {
  'daemon/status': (p: Record<string, never>) => DaemonStatus;
  'daemon/shutdown': (p: Record<string, never>) => { stopping: true };
  'project/init': (p: ProjectParams) => ProjectInfo;
  'project/status': (p: ProjectParams) => ProjectInfo;
  'project/files': (p: ProjectParams) => TrackedFileInfo[];
  'project/configure': (p: ConfigureParams) => ProjectInfo;
  'snapshot/create': (p: SnapshotParams) => SnapshotResult;
  'version/log': (p: LogParams) => VersionInfo[];
  'ref/show': (p: ShowParams) => ShowResult;
  'version/restore': (p: RestoreParams) => RestoreResult;
  'version/read': (p: RefParams) => ReadResult;
  'version/tag': (p: TagParams) => VersionInfo;
  'environment/get': (p: RefParams) => EnvironmentInfo;
  'environment/export': (p: ExportParams) => ExportResult;
  'environment/reproduce': (p: ReproduceParams) => ReproduceResult;
  'notebook/kernel': (p: KernelHintParams) => { kept: true };
  'run/start': (p: RunStartParams) => RunInfo;
  'run/finish': (p: RunFinishParams) => RunResult;
  'runs/list': (p: { root: string; source?: string; limit?: number }) => RunSummary[];
  'runs/show': (p: { root: string; run: string }) => RunSummary;
  'runs/compare': (p: { root: string; a: string; b: string }) => RunComparison;
  'runs/series': (p: { root: string; runs: string[]; metric: string }) => MetricSeries[];
  'runs/trend': (p: { root: string; path: string; limit?: number }) => MetricTrend;
  'diff/versions': (p: DiffParams) => VersionDiff;
  'store/gc': (p: GcParams) => GcResult;
  'store/check': (p: ProjectParams) => CheckResult;
  'remote/add': (p: RemoteAddParams) => RemoteInfo;
  'remote/list': (p: ProjectParams) => RemoteInfo[];
  'remote/remove': (p: { root: string; name: string }) => { removed: string };
  'remote/check': (p: RemoteCheckParams) => RemoteCheckResult;
  'remote/credentials': (p: { root: string; name: string; credentials: Credentials }) => { kept: number };
  'remote/push': (p: PushParams) => PushResult;
  'remote/pull': (p: PullParams) => PullResult;
  'remote/clone': (p: CloneParams) => CloneResult;
  'release/gates': (p: ReleaseRemoteParams & { ref: string; stage: string }) => GateCheckResult;
  'release/promote': (p: PromoteParams) => PromoteResult;
  'release/demote': (p: DemoteParams) => StageInfo;
  'release/stages': (p: ReleaseRemoteParams & { model?: string }) => StageInfo[];
  'release/history': (p: ReleaseRemoteParams & { model?: string; stage?: string }) => AuditRecord[];
  'release/protect': (p: ReleaseRemoteParams & { stage: string; authors: string[] }) => StagePolicy;
  'release/estimate': (p: RefParams) => ResourceEstimate;
  'release/bundle': (p: BundleParams) => BundleResult;
}

export type MethodName = keyof DaemonApi;
export type ParamsOf<M extends MethodName> = Parameters<DaemonApi[M]>[0];
export type ResultOf<M extends MethodName> = ReturnType<DaemonApi[M]>;

export interface MethodSpec<P = unknown> {
  /** One line: who calls it and why. */
  purpose: string;
  /** Whether calling it changes the store or files on disk (HTTP: POST only either way). */
  mutates: boolean;
  /** Checks and types the params before any handler sees them (both transports). */
  params: Check<P>;
  /** Reports TransferProgress while it runs and stops when the caller goes away or cancels. */
  long?: true;
}

const none = obj({});
/** Environment variables by name (credentials, the caller's pip settings): names as shells allow, string values. */
const variables: Check<Record<string, string>> = (v, field) => {
  const r = record(v, field);
  for (const [k, value] of Object.entries(r)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(k) || typeof value !== 'string') {
      throw new MlsnapError('bad-request', `"${field}" must map variable names to strings`);
    }
  }
  return r as Record<string, string>;
};
const credentials: Check<Credentials> = (v, field) => {
  const r = record(v, field);
  for (const [k, value] of Object.entries(r)) {
    if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(k) || typeof value !== 'string') {
      throw new MlsnapError('bad-request', `"${field}" must map variable names to strings`);
    }
  }
  return r as Credentials;
};
const long = { progressToken: optional(str), credentials: optional(credentials) };
const settings = {
  endpoint: optional(str),
  region: optional(str),
  profile: optional(str),
  pathStyle: optional(bool),
};
const remoteName: Check<string> = (v, field) => {
  const s = str(v, field);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(s))
    throw new MlsnapError('bad-request', `"${field}": a remote name is 1-64 letters, digits, ".", "_" or "-"`);
  return s;
};
const percent: Check<number> = (v, field) => {
  if (typeof v !== 'number' || !(v >= 0 && v <= 100))
    throw new MlsnapError('bad-request', `"${field}" must be a percentage from 0 to 100`);
  return v;
};
const project = obj({ root: str });
/** A command line: a command, then any arguments (empty ones too: `--tag ""`). */
const commandLine: Check<string[]> = (v, field) => {
  const argv = arrayOf(text)(v, field);
  if (argv.length === 0 || argv[0] === '') throw new MlsnapError('bad-request', `"${field}" must start with a command`);
  return argv;
};
const ref = obj({ root: str, ref: str });
const stageName: Check<string> = (v, field) => {
  const s = str(v, field);
  if (!STAGE_NAME.test(s))
    throw new MlsnapError(
      'bad-request',
      `"${field}": a stage name is 1-64 lower-case letters, digits, ".", "_" or "-" (like production)`,
    );
  return s;
};
const releaseRemote = { remote: optional(remoteName), credentials: optional(credentials) };

export const METHODS: { readonly [M in MethodName]: MethodSpec<ParamsOf<M>> } = {
  'daemon/status': { purpose: 'Pid, version and the projects the daemon serves.', mutates: false, params: none },
  'daemon/shutdown': { purpose: 'Stop the daemon after answering (CLI `daemon stop`).', mutates: true, params: none },
  'project/init': {
    purpose: 'Create the .mlsnap store in a folder and start watching it.',
    mutates: true,
    params: project,
  },
  'project/status': { purpose: 'Counts and watcher state of one project.', mutates: false, params: project },
  'project/files': { purpose: 'Every tracked file with its latest version.', mutates: false, params: project },
  'project/configure': {
    purpose: "Apply the editor's settings (interpreter, include, exclude) to a project.",
    mutates: true,
    params: obj({ root: str, settings: optional(record) }) as Check<ConfigureParams>,
  },
  'snapshot/create': {
    purpose: 'Record new versions of the given files (or all) now.',
    mutates: true,
    params: obj({
      root: str,
      paths: optional(arrayOf(str)),
      message: optional(text),
      trigger: optional(oneOf('manual', 'save')),
    }),
  },
  'version/log': {
    purpose: 'Versions, newest first, of one file or the whole project.',
    mutates: false,
    params: obj({ root: str, path: optional(str), limit: optional(int(1)) }),
  },
  'ref/show': {
    purpose: "A version or snapshot with its environment and git state (and a model's estimate when asked).",
    mutates: false,
    params: obj({ root: str, ref: str, estimate: optional(bool) }),
  },
  'version/restore': {
    purpose: "Write a version's bytes back, saving unsnapshotted work first.",
    mutates: true,
    params: obj({ root: str, ref: str, to: optional(str) }),
  },
  'version/read': {
    purpose: "A version's bytes as base64, for the editor's read-only documents.",
    mutates: false,
    params: ref,
  },
  'version/tag': {
    purpose: 'Name a version; tagged versions survive gc.',
    mutates: true,
    params: obj({ root: str, ref: str, name: str }),
  },
  'environment/get': { purpose: 'The environment a version was produced in.', mutates: false, params: ref },
  'environment/export': {
    purpose:
      "A version's environment as requirements, conda, uv, Dockerfile or devcontainer files, unsatisfiable pins flagged.",
    mutates: false,
    params: obj({ root: str, ref: str, format: oneOf(...EXPORT_FORMATS) }),
  },
  'environment/reproduce': {
    purpose: "Rebuild a version's environment in a new venv and compare what got installed with the record.",
    mutates: true,
    long: true,
    params: obj({
      root: str,
      ref: str,
      dir: str,
      findLinks: optional(str),
      indexUrl: optional(str),
      pipEnvironment: optional(variables),
      ...long,
    }),
  },
  'notebook/kernel': {
    purpose: "The editor says which interpreter a notebook's kernel runs (on save and on kernel change).",
    mutates: false,
    params: obj({ root: str, path: str, executable: str, how: text }),
  },
  'run/start': {
    purpose: '`mlsnap run` begins: files written from now on are bound to its command and interpreter.',
    mutates: true,
    params: obj({
      root: str,
      argv: commandLine,
      cwd: str,
      pid: optional(int(1)),
      executable: optional(str),
      interpreterDetail: optional(text),
    }),
  },
  'run/finish': {
    purpose: '`mlsnap run` ended: record its outcome and every tracked file its command wrote.',
    mutates: true,
    params: obj({
      root: str,
      runId: str,
      exitCode: optional(int(0)),
      signal: optional(str),
      outputTail: text,
    }),
  },
  'runs/list': {
    purpose: 'Runs, newest first (of one notebook or script), with parameters, final metrics and outputs.',
    mutates: false,
    params: obj({ root: str, source: optional(str), limit: optional(int(1)) }),
  },
  'runs/show': { purpose: 'One run by id or id prefix.', mutates: false, params: obj({ root: str, run: str }) },
  'runs/compare': {
    purpose: 'Two runs side by side: parameter changes, metric deltas with direction, output changes.',
    mutates: false,
    params: obj({ root: str, a: str, b: str }),
  },
  'runs/series': {
    purpose: "One metric's values over steps for the given runs (training curves).",
    mutates: false,
    params: obj({ root: str, runs: arrayOf(str), metric: str }),
  },
  'runs/trend': {
    purpose: "A model file's metrics over its versions, each from the run that wrote it.",
    mutates: false,
    params: obj({ root: str, path: str, limit: optional(int(1)) }),
  },
  'diff/versions': {
    purpose: 'Typed diff of two versions (notebook cells, model tensors, metrics) and of their environments.',
    mutates: false,
    params: obj({
      root: str,
      before: str,
      after: optional(str),
      showMetadata: optional(bool),
      showExecutionCounts: optional(bool),
      compareBytes: optional(bool),
    }),
  },
  'store/gc': {
    purpose: 'Drop all but the last N versions per file, never tagged ones.',
    mutates: true,
    params: obj({ root: str, keepLast: int(1), dryRun: optional(bool) }),
  },
  'store/check': { purpose: 'Rehash every blob and run SQLite integrity checks.', mutates: false, params: project },
  'remote/add': {
    purpose: 'Add a team remote after checking it is reachable and writable (optionally creating it).',
    mutates: true,
    long: true,
    params: obj({
      root: str,
      name: remoteName,
      url: str,
      ...settings,
      create: optional(bool),
      default: optional(bool),
      ...long,
    }),
  },
  'remote/list': {
    purpose: "The project's remotes with how many versions each lacks.",
    mutates: false,
    params: project,
  },
  'remote/remove': {
    purpose: 'Forget a remote (nothing on it is deleted).',
    mutates: true,
    params: obj({ root: str, name: remoteName }),
  },
  'remote/check': {
    purpose: 'Check that every version on the remote has its bytes there, hashing a sample of them.',
    mutates: false,
    long: true,
    params: obj({ root: str, name: optional(remoteName), readDataSubset: optional(percent), ...long }),
  },
  'remote/credentials': {
    purpose: "Hand the daemon a remote's secrets from the editor's SecretStorage (kept in memory only).",
    mutates: false,
    params: obj({ root: str, name: remoteName, credentials }),
  },
  'remote/push': {
    purpose: 'Send every version the remote lacks (blobs first, then history), after the secret gate.',
    mutates: true,
    long: true,
    params: obj({
      root: str,
      remote: optional(remoteName),
      paths: optional(arrayOf(str)),
      stripOutputs: optional(bool),
      allow: optional(arrayOf(str)),
      ...long,
    }),
  },
  'remote/pull': {
    purpose: "Record teammates' versions from the remote; bytes come when first read (or now with blobs).",
    mutates: true,
    long: true,
    params: obj({ root: str, remote: optional(remoteName), blobs: optional(bool), ...long }),
  },
  'remote/clone': {
    purpose: 'A new project from a remote, with the latest version of every file written out.',
    mutates: true,
    long: true,
    params: obj({ url: str, dir: str, name: optional(remoteName), ...settings, ...long }),
  },
  'release/gates': {
    purpose: "Run a stage's gates on a version without moving anything (shown before Promote confirms).",
    mutates: false,
    params: obj({ root: str, ref: str, stage: stageName, ...releaseRemote }),
  },
  'release/promote': {
    purpose: 'Point a stage on the remote at a version (compare-and-swap), after its gates, with an audit record.',
    mutates: true,
    long: true,
    params: obj({
      root: str,
      ref: str,
      stage: stageName,
      reason: optional(text),
      force: optional(bool),
      ...releaseRemote,
      progressToken: optional(str),
    }),
  },
  'release/demote': {
    purpose: 'Empty a stage on the remote (compare-and-swap), with an audit record.',
    mutates: true,
    params: obj({ root: str, model: str, stage: stageName, reason: optional(text), ...releaseRemote }),
  },
  'release/stages': {
    purpose: 'Every stage on the remote (of one model when given): its version, who moved it, when and why.',
    mutates: false,
    params: obj({ root: str, model: optional(str), ...releaseRemote }),
  },
  'release/history': {
    purpose: 'The audit trail of stage moves on the remote, oldest first.',
    mutates: false,
    params: obj({ root: str, model: optional(str), stage: optional(stageName), ...releaseRemote }),
  },
  'release/protect': {
    purpose: "Limit who may move a stage (the remote's policy object); an empty list lifts the limit.",
    mutates: true,
    params: obj({ root: str, stage: stageName, authors: arrayOf(str), ...releaseRemote }),
  },
  'release/estimate': {
    purpose: "A model version's parameter count, weight bytes by dtype and serving memory, from its parsed file.",
    mutates: false,
    params: ref,
  },
  'release/bundle': {
    purpose:
      'Write a deployment bundle: the model bytes, a Dockerfile and a KServe, Kubernetes or Docker serving config.',
    mutates: true,
    params: obj({ root: str, ref: str, dir: str, format: oneOf(...BUNDLE_FORMATS), force: optional(bool) }),
  },
};

export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(METHODS, name);
}

/** Raw bytes of a version travel outside JSON: `GET <CONTENT_ROUTE>?root=..&ref=..`. */
export const CONTENT_ROUTE = '/content';
/** JSON methods: `POST <API_PREFIX><method>`. */
export const API_PREFIX = '/api/';
/** The header carrying the daemon token. */
export const TOKEN_HEADER = 'x-mlsnap-token';

/** What `~/.mlsnap/daemon.json` holds (mode 0600). */
export interface DaemonFile {
  pid: number;
  /** Unix socket of the editor's JSON-RPC (LSP-framed) endpoint. */
  socket: string;
  host: string;
  port: number;
  token: string;
  version: string;
  startedAt: number;
}

/** Largest version `version/read` returns; bigger (binary) files get a summary instead. */
export const MAX_READ_BYTES = 128 * 1024 * 1024;

/** JSON-RPC name of a daemon method on the editor's LSP connection. */
export function rpcMethod(m: MethodName): string {
  return `mlsnap/${m}`;
}

/** Notifications the daemon sends to every connected editor. */
export interface DaemonNotifications {
  /** A snapshot was recorded (by the watcher, a save, the CLI...). */
  'mlsnap/didRecord': { root: string; snapshot: SnapshotInfo };
  /** A version was tagged. */
  'mlsnap/didTag': { root: string; version: VersionInfo };
  /** A project was initialized or reopened, or its settings changed. */
  'mlsnap/didChangeProject': { project: ProjectInfo };
  /** The daemon is about to stop (a `daemon stop`, a signal). */
  'mlsnap/willStop': { reason: string };
  /** A long call with a progressToken has got this far. */
  'mlsnap/didProgress': { token: string; progress: TransferProgress };
  /** A run was inferred, gained outputs or ended; `previous` is the run of its source before it. */
  'mlsnap/didRun': { root: string; run: RunSummary; previous: RunSummary | null };
  /** A stage on one of the project's remotes was moved from this daemon (promote, demote). */
  'mlsnap/didMoveStage': { root: string; remote: string; stage: StageInfo };
}

export type NotificationName = keyof DaemonNotifications;

export const NOTIFICATIONS: { readonly [N in NotificationName]: { purpose: string } } = {
  'mlsnap/didRecord': { purpose: 'Refresh history views: a snapshot was recorded.' },
  'mlsnap/didTag': { purpose: 'Refresh tag badges: a version was tagged.' },
  'mlsnap/didChangeProject': { purpose: 'Refresh the project list and welcome views.' },
  'mlsnap/willStop': { purpose: 'Show "daemon not running" without waiting for the socket to close.' },
  'mlsnap/didProgress': { purpose: 'Move the progress notification of a push, pull or clone.' },
  'mlsnap/didRun': {
    purpose: 'Refresh the Runs view and table; compare with the previous run for the regression alert.',
  },
  'mlsnap/didMoveStage': { purpose: 'Refresh the Models view: a stage moved.' },
};

/** HTTP: a long call asked with this Accept header answers NDJSON lines (LongCallLine). */
export const NDJSON = 'application/x-ndjson';

/** One line of a long call's NDJSON answer: progress, then exactly one result or error. */
export type LongCallLine = { progress: TransferProgress } | { result: unknown } | { error: ErrorPayload };

/** JSON-RPC error code carrying an ErrorPayload in `data` (LSP reserves -32899..-32800). */
export const RPC_ERROR_CODE = -32050;
