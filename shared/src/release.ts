/**
 * Release management: stages (`staging`, `production`, …) held on a team remote as small
 * pointer objects moved by compare-and-swap, the immutable audit record of every move, the
 * gates a promotion must pass, a model's resource estimate and the deployment bundle.
 * The pointer is read by deployment tools that know nothing of mlsnap, so its shape is part
 * of the remote format (docs/remote-format.md, "Stages").
 */
import type { ModelSummary } from './diff';

/** `production`, `staging`, `canary-2`: lower-case letters, digits, `.`, `_`, `-`; at most 64. */
export const STAGE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export const GATE_NAMES = ['environment', 'pickle', 'secrets', 'metric'] as const;
export type GateName = (typeof GATE_NAMES)[number];

/** What one stage demands, from `.mlsnap/config.json` `"stages": {"production": {...}}`. */
export interface StageGateConfig {
  gates: GateName[];
  /** The headline metric the `metric` gate compares; absent: the first metric both runs share. */
  metric?: { name: string; direction?: 'higher' | 'lower' };
}

/** Stages without an entry in the config have no gates; `production` has these unless configured. */
export const DEFAULT_STAGE_GATES: Readonly<Record<string, StageGateConfig>> = {
  production: { gates: [...GATE_NAMES] },
};

export interface GateResult {
  gate: GateName | 'policy';
  passed: boolean;
  /** One sentence: what was checked and what was found ("3 globals would run code on load: os.system, …"). */
  message: string;
}

/**
 * Serving needs of one model version, estimated from its parsed file (never loaded).
 * `servingBytes` = weights + runtime overhead; `gpuBytes` = weights + activation and CUDA
 * context overhead. The overheads are stated in `basis` so nobody mistakes this for a measurement.
 */
export interface ResourceEstimate {
  format: ModelSummary['format'];
  parameters: number;
  weightBytes: number;
  /** dtype → bytes of weights of that dtype (`float32`, `F16`, `int64`, …). */
  bytesByDtype: Record<string, number>;
  /** Memory a CPU serving process needs: weights plus the stated overhead. */
  servingBytes: number;
  /** GPU memory needed to serve it. */
  gpuBytes: number;
  /** How the two figures were reached, in one line. */
  basis: string;
  /** Set when the file could not be fully parsed (the figures then cover what was read). */
  partial?: string;
}

/** The version a stage points at, as it is stored in the pointer. */
export interface StageTarget {
  /** The version id, the same on every machine (`v` + 16 hex digits). */
  versionId: string;
  /** Its bytes on the remote: `key` relative to the remote's prefix, `url` the full address (`s3://b/p/data/…`). */
  object: { key: string; url: string; size: number; sha256: string; blake3: string };
  modelFormat: ModelSummary['format'];
  createdAt: number;
  author: string | null;
  environment: {
    python: string | null;
    cuda: string | null;
    /** `name==version` of every recorded package. */
    pins: string[];
    complete: boolean;
  } | null;
  run: { id: string; params: Record<string, unknown>; metrics: Record<string, number> } | null;
  estimate: ResourceEstimate | null;
}

/** `<prefix>/stages/<model path>/<stage>.json`. */
export interface StagePointer {
  format: 'mlsnap-stage';
  version: 1;
  model: string;
  stage: string;
  /** Null after a demotion: the stage holds nothing (a deployment should stop or keep what it has). */
  target: StageTarget | null;
  movedBy: string;
  host: string;
  movedAt: number;
  reason: string | null;
  /** The audit record written with this move (relative key). */
  audit: string;
}

/** `<prefix>/audit/<model path>/<stage>/<ms>-<h16>.json`: one move, written create-only, never changed. */
export interface AuditRecord {
  format: 'mlsnap-audit';
  version: 1;
  model: string;
  stage: string;
  action: 'promote' | 'demote';
  /** Version ids; null where the stage held nothing. */
  from: string | null;
  to: string | null;
  author: string;
  host: string;
  at: number;
  reason: string | null;
  gates: GateResult[];
  /** Set when gates failed and the author overrode them with `--force --reason`. */
  forced: boolean;
  /**
   * The audit record the stage's pointer named before this move (null for its first). The
   * trail is this chain walked back from the pointer: a record whose move lost its
   * compare-and-swap (or whose writer died before the swap) is on no chain and is not a move.
   */
  previous: string | null;
}

/** `<prefix>/policy.json`: who may move protected stages. */
export interface StagePolicy {
  format: 'mlsnap-policy';
  version: 1;
  stages: Record<string, { authors: string[] }>;
}

/** One stage of one model as `mlsnap stages` lists it. */
export interface StageInfo {
  model: string;
  stage: string;
  pointer: StagePointer;
  /** The pointer object's etag (what a poller's conditional GET compares). */
  etag: string;
  /** Whether this project has the version it points at (then `seq` is its number here). */
  local: { seq: number } | null;
}

export interface PromoteResult {
  stage: StageInfo;
  gates: GateResult[];
  forced: boolean;
  /** What the stage held before. */
  previous: string | null;
}

export interface GateCheckResult {
  model: string;
  stage: string;
  versionId: string;
  gates: GateResult[];
  /** What the stage holds now. */
  current: StagePointer | null;
  /** Whether a promotion would go through without --force. */
  passed: boolean;
}

export const BUNDLE_FORMATS = ['kserve', 'k8s', 'docker'] as const;
export type BundleFormat = (typeof BUNDLE_FORMATS)[number];

export interface BundleResult {
  dir: string;
  format: BundleFormat;
  /** Files written, relative to `dir`. */
  files: string[];
  estimate: ResourceEstimate | null;
  /** Pins left out of the Dockerfile (no index has them), as the environment export lists them. */
  unsatisfiable: string[];
}
