/** Every command id, context key and view id the extension contributes, in one place. */
export enum CommandId {
  InitProject = 'mlsnap.initProject',
  SnapshotFile = 'mlsnap.snapshotFile',
  SnapshotProject = 'mlsnap.snapshotProject',
  ShowHistory = 'mlsnap.showHistory',
  ShowHistoryOfPath = 'mlsnap.showHistoryOfPath',
  CompareWithPrevious = 'mlsnap.compareWithPrevious',
  CompareWithVersion = 'mlsnap.compareWithVersion',
  CompareTwoVersions = 'mlsnap.compareTwoVersions',
  OpenVersion = 'mlsnap.openVersion',
  RestoreVersion = 'mlsnap.restoreVersion',
  TagVersion = 'mlsnap.tagVersion',
  ShowEnvironment = 'mlsnap.showEnvironment',
  CompareEnvironments = 'mlsnap.compareEnvironments',
  FilterEnvironment = 'mlsnap.filterEnvironment',
  StartDaemon = 'mlsnap.startDaemon',
  ShowLog = 'mlsnap.showLog',
  Refresh = 'mlsnap.refresh',
  FollowActiveEditorOn = 'mlsnap.followActiveEditorOn',
  FollowActiveEditorOff = 'mlsnap.followActiveEditorOff',
  AddRemote = 'mlsnap.addRemote',
  Push = 'mlsnap.push',
  Pull = 'mlsnap.pull',
  SetRemoteCredentials = 'mlsnap.setRemoteCredentials',
  RemoveRemote = 'mlsnap.removeRemote',
  ExportEnvironment = 'mlsnap.exportEnvironment',
  ReproduceEnvironment = 'mlsnap.reproduceEnvironment',
  /**
   * The same two acting on the version the Environment view shows: its title buttons and rows
   * (view/title commands get no arguments, so they cannot say which version they mean).
   */
  ExportShownEnvironment = 'mlsnap.exportShownEnvironment',
  ReproduceShownEnvironment = 'mlsnap.reproduceShownEnvironment',
}

export enum ContextKey {
  /** 'running' | 'starting' | 'stopped' */
  DaemonState = 'mlsnap.daemonState',
  /** A project of this workspace has an mlsnap store. */
  ProjectInitialized = 'mlsnap.projectInitialized',
  /** The active editor's file has recorded versions. */
  ActiveFileTracked = 'mlsnap.activeFileTracked',
  FollowActiveEditor = 'mlsnap.followActiveEditor',
  /** A project of this workspace has a team remote (Push and Pull buttons). */
  HasRemote = 'mlsnap.hasRemote',
  /** The Environment view shows a version's environment (its Export and Reproduce buttons). */
  EnvironmentShown = 'mlsnap.environmentShown',
}

export enum ViewId {
  Container = 'mlsnap',
  History = 'mlsnap.history',
  Snapshots = 'mlsnap.snapshots',
  Environment = 'mlsnap.environment',
}

export const VERSION_SCHEME = 'mlsnap';
export const SUMMARY_SCHEME = 'mlsnap-summary';
export const OUTPUT_CHANNEL = 'mlsnap';

/** What tree items are, for `viewItem ==` in package.json's menus. */
export enum TreeItemContext {
  Project = 'mlsnap.project',
  File = 'mlsnap.file',
  Version = 'mlsnap.version',
  /** A row of the Environment view (what it acts on is the version the view shows). */
  EnvironmentRow = 'mlsnap.environmentRow',
}

/** The settings section (package.json contributes.configuration) and its keys. */
export const CONFIG_SECTION = 'mlsnap';

export enum Setting {
  Interpreter = 'interpreter',
  Include = 'include',
  Exclude = 'exclude',
  SnapshotOnSave = 'snapshotOnSave',
  RetentionKeepLast = 'retention.keepLast',
  NodePath = 'nodePath',
  ReproduceFindLinks = 'reproduce.findLinks',
}

export const STATUS_BAR_ITEM = 'mlsnap.status';
/** The status bar item counting versions not pushed to the default remote. */
export const REMOTE_STATUS_BAR_ITEM = 'mlsnap.remoteStatus';
/** SecretStorage keys of remote credentials: this prefix, then the project root and the remote name. */
export const REMOTE_SECRET_PREFIX = 'mlsnap.remote.credentials:';
export const DIFF_PANEL_TYPE = 'mlsnap.diff';
