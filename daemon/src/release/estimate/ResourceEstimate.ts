/**
 * What serving one model version needs, estimated from its parsed file (`summarizeModel`), never
 * from loading it: the parameter count, the bytes of its weights per dtype, and the memory a CPU
 * or GPU serving process would need on top. The overheads are fixed figures stated in `basis`.
 */
import type { ModelSummary, TensorInfo } from '../../../../shared/src/diff';
import type { ResourceEstimate } from '../../../../shared/src/release';
import { DTYPE_BYTES } from '../../diff/models/pickle/torch';
import { ownEntry } from '../../../../shared/src/ownEntry';

const MiB = 1024 * 1024;

/** A CPython process with numpy and torch (or scikit-learn) imported, before the weights: ~200-300 MiB RSS. */
export const RUNTIME_OVERHEAD_BYTES = 256 * MiB;
/** What a CUDA context and the framework's kernels take on the device before any tensor: ~300-600 MiB. */
export const CUDA_CONTEXT_BYTES = 512 * MiB;
/** Activations, allocator slack and the copy some loaders make while loading: a fifth of the weights. */
export const WEIGHT_OVERHEAD = 0.2;

export const ESTIMATE_BASIS =
  'RAM: weights + 20% + 256 MiB Python runtime; GPU: weights × 1.2 + 512 MiB CUDA context; estimated from the file, not measured';

/** How a dtype is stored: `blockBytes` bytes hold `blockElements` values (1 value for plain dtypes). */
interface Storage {
  blockElements: number;
  blockBytes: number;
}

/**
 * ggml's quantized blocks (ggml-common.h: `sizeof(block_*)` over its QK): the names Gguf.ts
 * emits, lower-case. Gguf.ts itself leaves the i-quants at 0 bytes because it only needs
 * sizes to check tensor extents; the serving estimate needs them all.
 */
const GGML_BLOCKS: Record<string, Storage> = {
  q4_0: { blockElements: 32, blockBytes: 18 },
  q4_1: { blockElements: 32, blockBytes: 20 },
  q5_0: { blockElements: 32, blockBytes: 22 },
  q5_1: { blockElements: 32, blockBytes: 24 },
  q8_0: { blockElements: 32, blockBytes: 34 },
  q8_1: { blockElements: 32, blockBytes: 36 },
  q2_k: { blockElements: 256, blockBytes: 84 },
  q3_k: { blockElements: 256, blockBytes: 110 },
  q4_k: { blockElements: 256, blockBytes: 144 },
  q5_k: { blockElements: 256, blockBytes: 176 },
  q6_k: { blockElements: 256, blockBytes: 210 },
  q8_k: { blockElements: 256, blockBytes: 292 },
  iq2_xxs: { blockElements: 256, blockBytes: 66 },
  iq2_xs: { blockElements: 256, blockBytes: 74 },
  iq2_s: { blockElements: 256, blockBytes: 82 },
  iq3_xxs: { blockElements: 256, blockBytes: 98 },
  iq3_s: { blockElements: 256, blockBytes: 110 },
  iq1_s: { blockElements: 256, blockBytes: 50 },
  iq1_m: { blockElements: 256, blockBytes: 56 },
  iq4_nl: { blockElements: 32, blockBytes: 18 },
  iq4_xs: { blockElements: 256, blockBytes: 136 },
  tq1_0: { blockElements: 256, blockBytes: 54 },
  tq2_0: { blockElements: 256, blockBytes: 66 },
  mxfp4: { blockElements: 32, blockBytes: 17 },
};

/** Sub-byte and float8 dtypes ONNX, torch and safetensors name that DTYPE_BYTES (torch storages) lacks. */
const PACKED: Record<string, Storage> = {
  float8_e4m3fnuz: { blockElements: 1, blockBytes: 1 },
  float8_e5m2fnuz: { blockElements: 1, blockBytes: 1 },
  float8_e8m0fnu: { blockElements: 1, blockBytes: 1 },
  float128: { blockElements: 1, blockBytes: 16 },
  int4: { blockElements: 2, blockBytes: 1 },
  uint4: { blockElements: 2, blockBytes: 1 },
  float4_e2m1: { blockElements: 2, blockBytes: 1 },
  quint4x2: { blockElements: 2, blockBytes: 1 },
  quint2x4: { blockElements: 4, blockBytes: 1 },
};

/**
 * The parsers normalise safetensors names (`F32` → `float32`), but a summary recorded by an
 * older parser, or one built by hand, may carry the file's own spelling.
 */
const SAFETENSORS_ALIASES: Record<string, string> = {
  bool: 'bool',
  u8: 'uint8',
  i8: 'int8',
  f8_e5m2: 'float8_e5m2',
  f8_e4m3: 'float8_e4m3fn',
  f8_e8m0: 'float8_e8m0fnu',
  i16: 'int16',
  u16: 'uint16',
  f16: 'float16',
  bf16: 'bfloat16',
  i32: 'int32',
  u32: 'uint32',
  f32: 'float32',
  c64: 'complex64',
  f64: 'float64',
  i64: 'int64',
  u64: 'uint64',
};

/** How `dtype` is stored, in any spelling the parsers (or the files) use; null when unknown. */
export function dtypeStorage(dtype: string): Storage | null {
  const lower = dtype.toLowerCase();
  const name = ownEntry(SAFETENSORS_ALIASES, lower) ?? lower;
  const plain = ownEntry(DTYPE_BYTES, name);
  if (plain !== undefined) return { blockElements: 1, blockBytes: plain };
  return ownEntry(GGML_BLOCKS, name) ?? ownEntry(PACKED, name) ?? null;
}

/** Bytes of `elements` values of `dtype`; a partial last block takes a whole block, as ggml stores it. */
export function tensorBytes(elements: number, storage: Storage): number {
  return Math.ceil(elements / storage.blockElements) * storage.blockBytes;
}

/**
 * Arrays a fitted scikit-learn estimator keeps that are not learned weights: the class labels,
 * the iteration count, the input column names. Counting them would make a LogisticRegression's
 * parameters differ from `coef_.size + intercept_.size`.
 */
const SKLEARN_BOOKKEEPING = new Set(['classes_', 'n_iter_', 'n_features_in_', 'feature_names_in_']);

function isBookkeeping(summary: ModelSummary, tensor: TensorInfo): boolean {
  if (summary.format !== 'pickle') return false;
  const last = /([A-Za-z0-9_]+)\]?$/.exec(tensor.name)?.[1] ?? '';
  return SKLEARN_BOOKKEEPING.has(last);
}

/**
 * Parser warnings that do not mean anything was left uncounted: safety notes about what loading
 * would run, and layout oddities of tensors that were still listed. Any other warning (a
 * truncated file, a skipped message, a missing storage) makes the estimate partial.
 */
const HARMLESS_WARNINGS = [
  /would execute code when loaded$/,
  /^loading would call /,
  /^TorchScript archive:/,
  /^duplicate tensor name /,
  /offset \d+ is not aligned to \d+$/,
  /overlaps the previous tensor's bytes$/,
  / bytes after the last tensor$/,
  /^__metadata__ is not an object/,
  /keep their values in typed fields: their bytes are not compared$/,
  /^no ir_version$/,
  // Reported below, by dtype name.
  /unknown dtype .*, byte size not checked$/,
  /unknown ggml type \d+$/,
];

function countingWarnings(summary: ModelSummary): string[] {
  return summary.warnings.filter((w) => !HARMLESS_WARNINGS.some((re) => re.test(w)));
}

interface Tally {
  parameters: number;
  weightBytes: number;
  bytesByDtype: Record<string, number>;
  /** dtype → parameters whose bytes could not be counted. */
  unsized: Map<string, number>;
}

function tallyTensors(summary: ModelSummary): Tally {
  const tally: Tally = { parameters: 0, weightBytes: 0, bytesByDtype: {}, unsized: new Map() };
  for (const tensor of summary.tensors) {
    if (isBookkeeping(summary, tensor)) continue;
    tally.parameters += tensor.params;
    const storage = dtypeStorage(tensor.dtype);
    if (!storage) {
      tally.unsized.set(tensor.dtype, (tally.unsized.get(tensor.dtype) ?? 0) + tensor.params);
      continue;
    }
    const bytes = tensorBytes(tensor.params, storage);
    tally.weightBytes += bytes;
    tally.bytesByDtype[tensor.dtype] = (tally.bytesByDtype[tensor.dtype] ?? 0) + bytes;
  }
  return tally;
}

function partialReason(summary: ModelSummary, tally: Tally): string | undefined {
  const reasons: string[] = [];
  if (summary.format === 'unknown' || summary.tensors.length === 0)
    reasons.push(`nothing could be counted: the ${summary.format} file lists no tensors`);
  if (tally.unsized.size > 0) {
    const names = [...tally.unsized.keys()].sort();
    const params = [...tally.unsized.values()].reduce((a, b) => a + b, 0);
    reasons.push(`byte size unknown for dtype ${names.join(', ')} (${params} parameters counted, their bytes not)`);
  }
  const warnings = countingWarnings(summary);
  if (warnings.length > 0) {
    const more = warnings.length > 1 ? ` (+${warnings.length - 1} more)` : '';
    reasons.push(`the parser reported: ${warnings[0]}${more}`);
  }
  return reasons.length > 0 ? reasons.join('; ') : undefined;
}

export function estimateResources(summary: ModelSummary): ResourceEstimate {
  const tally = tallyTensors(summary);
  const weights = tally.weightBytes;
  const estimate: ResourceEstimate = {
    format: summary.format,
    parameters: tally.parameters,
    weightBytes: weights,
    bytesByDtype: tally.bytesByDtype,
    servingBytes: weights + Math.ceil(weights * WEIGHT_OVERHEAD) + RUNTIME_OVERHEAD_BYTES,
    gpuBytes: Math.ceil(weights * (1 + WEIGHT_OVERHEAD)) + CUDA_CONTEXT_BYTES,
    basis: ESTIMATE_BASIS,
  };
  const partial = partialReason(summary, tally);
  if (partial !== undefined) estimate.partial = partial;
  return estimate;
}
