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
  Trigger,
  VersionInfo,
} from './domain';
import type { VersionDiff } from './diff';
import { arrayOf, bool, int, obj, oneOf, optional, record, str, text, type Check } from './check';

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

export interface ShowResult {
  /** Set when the ref named a version. */
  version: VersionInfo | null;
  /** The snapshot the version belongs to, or the one the ref named. */
  snapshot: SnapshotInfo;
  environment: EnvironmentInfo | null;
  git: GitState | null;
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

export interface DaemonApi {
  'daemon/status': (p: Record<string, never>) => DaemonStatus;
  'daemon/shutdown': (p: Record<string, never>) => { stopping: true };
  'project/init': (p: ProjectParams) => ProjectInfo;
  'project/status': (p: ProjectParams) => ProjectInfo;
  'project/files': (p: ProjectParams) => TrackedFileInfo[];
  'project/configure': (p: ConfigureParams) => ProjectInfo;
  'snapshot/create': (p: SnapshotParams) => SnapshotResult;
  'version/log': (p: LogParams) => VersionInfo[];
  'ref/show': (p: RefParams) => ShowResult;
  'version/restore': (p: RestoreParams) => RestoreResult;
  'version/read': (p: RefParams) => ReadResult;
  'version/tag': (p: TagParams) => VersionInfo;
  'environment/get': (p: RefParams) => EnvironmentInfo;
  'diff/versions': (p: DiffParams) => VersionDiff;
  'store/gc': (p: GcParams) => GcResult;
  'store/check': (p: ProjectParams) => CheckResult;
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
}

const none = obj({});
const project = obj({ root: str });
const ref = obj({ root: str, ref: str });

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
  'ref/show': { purpose: 'A version or snapshot with its environment and git state.', mutates: false, params: ref },
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
}

export type NotificationName = keyof DaemonNotifications;

export const NOTIFICATIONS: { readonly [N in NotificationName]: { purpose: string } } = {
  'mlsnap/didRecord': { purpose: 'Refresh history views: a snapshot was recorded.' },
  'mlsnap/didTag': { purpose: 'Refresh tag badges: a version was tagged.' },
  'mlsnap/didChangeProject': { purpose: 'Refresh the project list and welcome views.' },
  'mlsnap/willStop': { purpose: 'Show "daemon not running" without waiting for the socket to close.' },
};

/** JSON-RPC error code carrying an ErrorPayload in `data` (LSP reserves -32899..-32800). */
export const RPC_ERROR_CODE = -32050;
