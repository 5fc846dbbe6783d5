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
  /** The Runs table (a webview): sort, filter, compare, chart, trend. */
  OpenRunsTable = 'mlsnap.openRunsTable',
  RefreshRuns = 'mlsnap.refreshRuns',
  /** A Runs row: compare it with the previous run of its source, in the Runs table. */
  CompareRunWithPrevious = 'mlsnap.compareRunWithPrevious',
  /** A model file's metric over its versions (from the explorer, History, or the palette). */
  ShowModelTrend = 'mlsnap.showModelTrend',
  /** Point a stage on a remote at a model version (a History model version, or picked). */
  Promote = 'mlsnap.promote',
  /** Empty a stage (a Models stage row, or picked). */
  Demote = 'mlsnap.demote',
  /** A model version's deployment bundle (KServe, Kubernetes, Docker) written into a folder. */
  ExportBundle = 'mlsnap.exportBundle',
  RefreshModels = 'mlsnap.refreshModels',
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
  Runs = 'mlsnap.runs',
  /** Models: remote → model → stage, what each stage holds. */
  Models = 'mlsnap.models',
}

export const VERSION_SCHEME = 'mlsnap';
export const SUMMARY_SCHEME = 'mlsnap-summary';
export const OUTPUT_CHANNEL = 'mlsnap';

/** What tree items are, for `viewItem ==` in package.json's menus. */
export enum TreeItemContext {
  Project = 'mlsnap.project',
  File = 'mlsnap.file',
  Version = 'mlsnap.version',
  /** A version of a model file in History: it also has the release commands (Promote…, bundle). */
  ModelVersion = 'mlsnap.version.model',
  /** A row of the Environment view (what it acts on is the version the view shows). */
  EnvironmentRow = 'mlsnap.environmentRow',
  /** A project row of the Runs view (it has its own menus, not History's). */
  RunsProject = 'mlsnap.runsProject',
  /** A notebook or script in the Runs view. */
  RunSource = 'mlsnap.runSource',
  Run = 'mlsnap.run',
  /** Rows of the Models view. */
  ModelsRemote = 'mlsnap.modelsRemote',
  Model = 'mlsnap.model',
  /** A stage holding a version (Demote). */
  Stage = 'mlsnap.stage',
  /** A stage emptied by a demotion. */
  EmptyStage = 'mlsnap.stage.empty',
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
  /** Warn when a run's metric got worse than the previous run's (boolean). */
  RunsRegressionAlerts = 'runs.regressionAlerts',
  /** By more than this many percent of the old value (0: any worsening). */
  RunsRegressionThreshold = 'runs.regressionThreshold',
}

export const STATUS_BAR_ITEM = 'mlsnap.status';
/** The status bar item counting versions not pushed to the default remote. */
export const REMOTE_STATUS_BAR_ITEM = 'mlsnap.remoteStatus';
/** SecretStorage keys of remote credentials: this prefix, then the project root and the remote name. */
export const REMOTE_SECRET_PREFIX = 'mlsnap.remote.credentials:';
export const DIFF_PANEL_TYPE = 'mlsnap.diff';
export const RUNS_PANEL_TYPE = 'mlsnap.runsTable';
