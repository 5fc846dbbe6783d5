/**
 * File kinds, declared once. Every place that asks "what kind of file is this, how is it
 * stored, diffed, summarised and shown" reads this table: the daemon's pipeline (compression),
 * its differ dispatch, the default include patterns, the code-lens patterns and the editor's
 * icons. A new model format is one row here.
 */

/** How the daemon classifies a tracked file; decides compression and diffing. */
export type FileKind = 'notebook' | 'model' | 'metrics' | 'other';

/** How two versions of a kind are compared. */
export type DiffMethod = 'notebook' | 'model' | 'metrics' | 'binary';

export interface FileKindSpec {
  kind: FileKind;
  /** Lower-case extensions without the dot. */
  extensions: readonly string[];
  /** Codicon shown for files of this kind in the editor. */
  icon: string;
  /** How versions are diffed. */
  diff: DiffMethod;
  /** Whether blobs are zstd-compressed (text compresses, weights do not). */
  compress: boolean;
  /** Whether the code lens marks string literals naming such files in code. */
  lens: boolean;
  /** One phrase for summaries and hovers. */
  label: string;
}

export const FILE_KINDS: readonly FileKindSpec[] = [
  {
    kind: 'notebook',
    extensions: ['ipynb'],
    icon: 'notebook',
    diff: 'notebook',
    compress: true,
    lens: false,
    label: 'notebook',
  },
  {
    kind: 'model',
    extensions: ['pt', 'pth', 'ckpt', 'safetensors', 'onnx', 'joblib', 'pkl', 'h5', 'keras', 'gguf'],
    icon: 'circuit-board',
    diff: 'model',
    compress: false,
    lens: true,
    label: 'model',
  },
  {
    kind: 'metrics',
    extensions: ['json', 'csv', 'yaml', 'yml'],
    icon: 'graph',
    diff: 'metrics',
    compress: true,
    lens: true,
    label: 'metrics file',
  },
  { kind: 'other', extensions: [], icon: 'file', diff: 'binary', compress: false, lens: false, label: 'file' },
];

const BY_EXTENSION = new Map<string, FileKindSpec>(FILE_KINDS.flatMap((k) => k.extensions.map((e) => [e, k] as const)));
const OTHER = FILE_KINDS.find((k) => k.kind === 'other') as FileKindSpec;

/** The lower-case extension of a path, without the dot ('' when none). */
export function extensionOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
}

export function fileKindSpec(path: string): FileKindSpec {
  return BY_EXTENSION.get(extensionOf(path)) ?? OTHER;
}

export function kindSpec(kind: FileKind): FileKindSpec {
  return FILE_KINDS.find((k) => k.kind === kind) ?? OTHER;
}

/** The extensions of one kind, for glob braces and regular expressions. */
export function extensionsOf(kind: FileKind): readonly string[] {
  return kindSpec(kind).extensions;
}

/** Extensions whose paths get a code lens when a string literal in code names them. */
export function lensExtensions(): string[] {
  return FILE_KINDS.filter((k) => k.lens).flatMap((k) => k.extensions.filter((e) => e !== 'yaml' && e !== 'yml'));
}
