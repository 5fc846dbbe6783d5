/**
 * Runs: one execution of a notebook (inferred from its versions) or one `mlsnap run`, with its
 * parameters, the files it wrote and the metrics read from them. Pure data shared by the
 * daemon, the CLI and the editor.
 */

/** A parameter's value as written in code or on a command line: a Python/YAML literal. */
export type ParamValue = string | number | boolean | null | ParamValue[] | { [key: string]: ParamValue };

export interface RunParam {
  /** `HIDDEN`, `lr`, `model.depth` (config files and dicts flatten with dots). */
  name: string;
  value: ParamValue;
  /** Where it was read: "parameters cell", "cell 3", "argv", "conf/config.yaml". */
  source: string;
}

/** The formats metrics are read from. */
export type MetricFormat =
  'json' | 'yaml' | 'csv' | 'lightning-csv' | 'hf-trainer-state' | 'dvclive' | 'tensorboard' | 'mlflow';

export interface RunMetric {
  /** `val_loss`, `eval.accuracy`, `train/loss` (TensorBoard tags keep their slashes). */
  name: string;
  /** The last value logged; null when it was NaN or infinite (JSON has no such numbers). */
  final: number | null;
  /** How many values were logged (1 for a plain metrics file). */
  points: number;
  /** The project-relative file it was read from. */
  source: string;
  format: MetricFormat;
  /** Which way is better, from the name (as the metrics diff decides it); null when unknown. */
  better: 'up' | 'down' | null;
}

/** A file the run wrote, as the version it became. */
export interface RunOutput {
  path: string;
  seq: number;
  uid: string;
}

export interface RunSummary {
  /** `r` + 16 hex digits. */
  id: string;
  kind: 'notebook' | 'command';
  /** The notebook or script it ran (project-relative); a command's first argument that names a tracked file, else null. */
  source: string | null;
  /** The version of the source it ran (a notebook run: the version whose outputs changed). */
  sourceVersion: RunOutput | null;
  startedAt: number;
  finishedAt: number | null;
  /** The interpreter it ran on, as recorded. */
  interpreter: string | null;
  git: { commit: string | null; branch: string | null; dirty: boolean } | null;
  /** `mlsnap run` only. */
  argv: string[] | null;
  exitCode: number | null;
  params: RunParam[];
  /** Final values, one per metric name (the first file that logs a name wins). */
  metrics: RunMetric[];
  outputs: RunOutput[];
}

/** One metric's logged values over steps, for charts. */
export interface MetricSeries {
  run: string;
  metric: string;
  steps: number[];
  values: number[];
}

export interface ParamChange {
  name: string;
  a: ParamValue | undefined;
  b: ParamValue | undefined;
}

export interface MetricComparison {
  name: string;
  a: number | null;
  b: number | null;
  delta: number | null;
  percent: number | null;
  better: 'up' | 'down' | null;
  /** better / worse by the metric's direction; same; or unknown (no direction, one side missing). */
  verdict: 'better' | 'worse' | 'same' | 'unknown';
}

export interface RunComparison {
  a: RunSummary;
  b: RunSummary;
  /** Parameters whose value differs (or exists on one side only). */
  params: ParamChange[];
  metrics: MetricComparison[];
  /** Outputs by path: the versions each run wrote, `changed` when their bytes differ. */
  outputs: { path: string; a: RunOutput | null; b: RunOutput | null; changed: boolean }[];
}

/** A model path's metric over its versions (each version's run's final values). */
export interface MetricTrend {
  path: string;
  points: { uid: string; seq: number; createdAt: number; run: string; metrics: Record<string, number> }[];
}
