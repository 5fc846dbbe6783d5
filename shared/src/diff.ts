/**
 * Typed diffs between two versions, as the daemon computes them and the CLI and the editor
 * show them. Pure data.
 */

/** One line of a line diff (source of a cell, a text output). */
export interface LineChange {
  op: 'equal' | 'add' | 'remove';
  text: string;
}

export type CellStatus = 'added' | 'removed' | 'modified' | 'moved' | 'unchanged';

export interface OutputSummary {
  /** stream, execute_result, display_data, error */
  type: string;
  /** Mime types present (text/plain, image/png...). */
  mimes: string[];
  /** Plain text of the output (stream text, text/plain, error name: value), capped. */
  text?: string;
  /** sha-256 (hex) of each image payload, by mime. */
  images?: Record<string, string>;
}

export interface OutputChange {
  index: number;
  status: 'added' | 'removed' | 'modified';
  before?: OutputSummary;
  after?: OutputSummary;
  /** Line diff of the text, when both sides have text. */
  textDiff?: LineChange[];
}

export interface CellDiff {
  status: CellStatus;
  /** Cell id (nbformat >= 4.5) or a position-based label. */
  id: string;
  cellType: string;
  beforeIndex: number | null;
  afterIndex: number | null;
  /** How the cells were matched. */
  matchedBy?: 'id' | 'content' | 'position';
  sourceDiff?: LineChange[];
  outputChanges: OutputChange[];
  /** Execution count changed (hidden from the summary unless asked for). */
  executionCountChanged?: boolean;
  /** The counts before → after, when execution counts are shown (`--execution-counts`). */
  executionCount?: { before: number | null; after: number | null };
  metadataChanged?: boolean;
  /** Which cell metadata keys changed, with their values, when metadata is shown (`--metadata`). */
  metadataChanges?: KeyChange[];
  /** Markdown/raw cell attachments (pasted images) added, removed or changed, by name. */
  attachmentChanges?: AttachmentChange[];
  /** The cell's id changed (a cell matched by content or position); shown with `--metadata`. */
  idChange?: { before: string | null; after: string | null };
}

export interface AttachmentChange {
  name: string;
  status: 'added' | 'removed' | 'modified';
  /** Mime types of the attachment (after, else before). */
  mimes: string[];
  /** sha-256 (hex) of its data by mime, each side. */
  before?: Record<string, string>;
  after?: Record<string, string>;
}

/** A metadata key that differs: its values as compact JSON (capped), absent on one side = null. */
export interface KeyChange {
  key: string;
  before: string | null;
  after: string | null;
}

export interface NotebookDiff {
  type: 'notebook';
  nbformat: { before: string; after: string };
  cells: CellDiff[];
  /** Notebook-level metadata keys that differ (shown on request). */
  metadataChanges: string[];
  /** The same keys with their values (shown on request). */
  metadataDetail?: KeyChange[];
  counts: Record<CellStatus, number>;
  /**
   * Changes left out because they are hidden by default: cells whose execution count alone
   * changed, and cells or the notebook whose metadata changed. The summary points to the flag.
   */
  hidden?: { executionCounts: number; metadata: number };
}

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  params: number;
}

export type TensorStatus = 'added' | 'removed' | 'reshaped' | 'retyped' | 'changed' | 'unchanged' | 'unknown';

export interface TensorChange {
  name: string;
  status: TensorStatus;
  before?: TensorInfo;
  after?: TensorInfo;
}

/**
 * How much a pickled global can do when a loader imports and calls it: `safe` (what torch's
 * `weights_only` loader and the numpy/sklearn reconstructors allow), `suspicious` (a class
 * whose own code runs while it is rebuilt: user classes, full `nn.Module`s, estimators),
 * `dangerous` (code execution, processes, network, file system, imports).
 */
export type PickleLevel = 'safe' | 'suspicious' | 'dangerous';

export type PickleVerdict = PickleLevel | 'unknown';

export interface PickleGlobal {
  module: string;
  name: string;
  level: PickleLevel;
  /** `level === 'dangerous'`. */
  unsafe: boolean;
}

/**
 * What `show` says of a model version that a loader unpickles: the verdict the push and
 * promote gates act on (they block `dangerous` and `unknown`), the suspicious classes it
 * would rebuild, and for a blocked file the finding's one line.
 */
export interface PickleSafety {
  verdict: PickleVerdict;
  suspicious: string[];
  /** Set when the gates would block it: what runs, or why it could not be read. */
  detail?: string;
}

/** Something a pickle does that its globals' names alone do not show, or why it was not fully read. */
export interface PickleIssue {
  level: PickleVerdict;
  text: string;
}

/** What a model parser extracts from one file, without executing anything. */
export interface ModelSummary {
  format: 'safetensors' | 'onnx' | 'pytorch' | 'pickle' | 'keras' | 'gguf' | 'unknown';
  size: number;
  /** Lines of format-specific facts: opset, producer, inputs, key/values... */
  facts: Record<string, string>;
  tensors: TensorInfo[];
  /** ONNX: node count per op type. */
  opCounts?: Record<string, number>;
  /**
   * Pickles: every global the file references (each pickle in the stream, nested ones, archive
   * members), with its level. `unsafe` is `level === 'dangerous'`, kept for older readers.
   */
  globals?: PickleGlobal[];
  /**
   * Pickles: what loading the file would do, all told. `unknown` (a pickle that does not parse
   * to its end, a compression that cannot be read, frames that disagree with their content)
   * is to be treated as unsafe, never as clean.
   */
  pickleVerdict?: PickleVerdict;
  /** Why the verdict is worse than its globals alone say, or unknown: one line each. */
  pickleIssues?: PickleIssue[];
  /** sklearn-like estimator parameters found in the pickle's opcodes. */
  params?: Record<string, string>;
  /** Keras: the model config (JSON). */
  config?: unknown;
  /** Problems that did not stop parsing (truncated metadata, skipped entries). */
  warnings: string[];
}

export interface ModelDiff {
  type: 'model';
  format: ModelSummary['format'];
  before: ModelSummary;
  after: ModelSummary;
  tensors: TensorChange[];
  paramsBefore: number;
  paramsAfter: number;
  /** Facts (opset, producer, metadata keys...) that differ: key → [before, after]. */
  factChanges: Record<string, [string | null, string | null]>;
  /** Whether tensor bytes were compared (safetensors byte check on request). */
  bytesCompared: boolean;
}

export interface EnvironmentDiff {
  type: 'environment';
  python: [string | null, string | null] | null;
  interpreter: [string | null, string | null] | null;
  packages: {
    name: string;
    change: 'added' | 'removed' | 'upgraded' | 'downgraded' | 'changed';
    before: string | null;
    after: string | null;
  }[];
  machine: Record<string, [string, string]>;
  gpu: [string, string] | null;
  git: { commit: [string | null, string | null] | null; dirty: [boolean, boolean] | null } | null;
}

export interface MetricChange {
  key: string;
  before: number | string | null;
  after: number | string | null;
  delta: number | null;
  /** Percent change relative to before, null when before is 0 or not numeric. */
  percent: number | null;
  /** Direction the metric should move, from its name. */
  better: 'up' | 'down' | null;
  regression: boolean;
}

export interface MetricsDiff {
  type: 'metrics';
  format: 'json' | 'yaml' | 'csv';
  changes: MetricChange[];
}

export interface BinaryDiff {
  type: 'binary';
  before: { size: number; hash: string };
  after: { size: number; hash: string };
}

export type FileDiff = NotebookDiff | ModelDiff | MetricsDiff | BinaryDiff;

/** The answer to `diff/versions`: the file diff, the environment diff, and a summary line. */
export interface VersionDiff {
  path: string;
  before: { ref: string; seq: number };
  after: { ref: string; seq: number };
  /** "hidden 32→64: +2,410 params; 2 tensors reshaped" */
  summary: string;
  file: FileDiff;
  environment: EnvironmentDiff | null;
  identical: boolean;
}
