import path from 'node:path';
import type { RunInfo, SnapshotInfo, VersionInfo } from '../../../shared/src/domain';
import { asRecord } from '../../../shared/src/check';
import type { RunParam } from '../../../shared/src/runs';
import { betterDirection } from '../diff/metrics/MetricsDiff';
import type { ContentStore } from '../store/blobs/ContentStore';
import type { SnapshotStore } from '../store/SnapshotStore';
import { metricsFormatOf, readMetricsFile } from './metrics';
import { argvParams, configFileParams, configFilesNamed, notebookParams } from './params';

export interface RecorderLog {
  info(msg: string): void;
  warn(msg: string): void;
}

/** Notebooks larger than this are not read back to tell whether they ran (the version stays). */
const MAX_NOTEBOOK_BYTES = 128 * 1024 * 1024;
/** Metrics logs larger than this are not read (a runaway TensorBoard log). */
const MAX_METRICS_BYTES = 256 * 1024 * 1024;
/** A file a notebook names, written this long before its run's first recorded execution, is still its own. */
const BEFORE_RUN_SLACK_MS = 2_000;
/**
 * …and this long after the notebook was saved or its last cell ended (clock granularity, a
 * buffer flushed late). Short: the next execution may start seconds later, and its files are not this one's.
 */
const AFTER_RUN_SLACK_MS = 3_000;

/** What an execution of a notebook left in it: each code cell's count and outputs. */
function executionSignature(doc: unknown): { signature: string; ran: boolean } {
  const cells = asRecord(doc)?.cells;
  const parts: unknown[] = [];
  let ran = false;
  for (const raw of Array.isArray(cells) ? cells : []) {
    const cell = asRecord(raw);
    if (cell?.cell_type !== 'code') continue;
    if (typeof cell.execution_count === 'number') ran = true;
    parts.push([cell.execution_count ?? null, cell.outputs ?? []]);
  }
  return { signature: JSON.stringify(parts), ran };
}

/** Earliest start and latest end nbclient recorded in cells' `metadata.execution`, if it did. */
function executionWindow(doc: unknown): { startedMs?: number; finishedMs?: number } {
  const times: number[] = [];
  const cells = asRecord(doc)?.cells;
  for (const raw of Array.isArray(cells) ? cells : []) {
    const execution = asRecord(asRecord(asRecord(raw)?.metadata)?.execution);
    for (const value of Object.values(execution ?? {})) {
      const t = typeof value === 'string' ? Date.parse(value) : NaN;
      if (Number.isFinite(t)) times.push(t);
    }
  }
  if (times.length === 0) return {};
  return { startedMs: Math.min(...times), finishedMs: Math.max(...times) };
}

/**
 * Turns what was recorded into runs, with no code changes on the user's side: a notebook
 * version whose outputs or execution counts changed is one execution (a run), and the files
 * its code names that were written while it ran, or just after, are that run's outputs; an
 * `mlsnap run` is a run already, its outputs bound while it ran. Parameters come from code and
 * command lines (parsed, never executed), metrics from the output files the run wrote.
 */
export class RunRecorder {
  constructor(
    private readonly root: string,
    private readonly store: SnapshotStore,
    private readonly blobs: ContentStore,
    private readonly log: RecorderLog,
  ) {}

  /** After a snapshot: the runs it created or added outputs to (their metrics re-read). */
  async recorded(snapshot: SnapshotInfo): Promise<RunInfo[]> {
    const touched = new Map<string, RunInfo>();
    const versions = snapshot.versions;
    for (const v of versions.filter((x) => x.path.toLowerCase().endsWith('.ipynb'))) {
      const run = await this.notebookRun(v, snapshot);
      if (run !== null) touched.set(run.id, run);
    }
    for (const v of versions.filter((x) => !x.path.toLowerCase().endsWith('.ipynb'))) {
      const run = this.lateOutput(v);
      if (run !== null) touched.set(run.id, run);
    }
    for (const v of versions) {
      if (v.runId !== undefined && !touched.has(v.runId)) {
        const run = this.store.runs.get(v.runId);
        if (run !== null && run.kind === 'command' && run.finishedAt !== null) touched.set(run.id, run);
      }
    }
    for (const run of touched.values()) await this.readMetrics(run.id);
    return [...touched.values()];
  }

  /** An `mlsnap run` ended: its source, parameters (argv, config files it names) and metrics. */
  async commandFinished(runId: string): Promise<RunInfo | null> {
    const run = this.store.runs.get(runId);
    if (run === null) return null;
    const params: RunParam[] = argvParams(run.argv);
    for (const file of configFilesNamed(run.argv, run.cwd)) params.push(...(await this.trackedConfig(file)));
    const outputs = this.store.versionsOfRun(runId);
    for (const v of outputs.filter((o) => /(^|\/)\.hydra\/(config|overrides)\.yaml$/.test(o.path))) {
      params.push(...(await this.configVersion(v)));
    }
    this.store.runs.describe(runId, { sourcePath: this.scriptOf(run), params });
    await this.readMetrics(runId);
    return this.store.runs.get(runId);
  }

  /** The script a command ran, project-relative: the first `*.py`/`*.ipynb` argument inside the project. */
  private scriptOf(run: RunInfo): string | null {
    for (const arg of run.argv.slice(1)) {
      if (!/\.(py|ipynb)$/i.test(arg)) continue;
      const rel = path.relative(this.root, path.resolve(run.cwd, arg));
      if (!rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
    }
    return null;
  }

  /** A config file the command named, as its latest recorded version (only tracked files count). */
  private async trackedConfig(abs: string): Promise<RunParam[]> {
    const rel = path.relative(this.root, abs).split(path.sep).join('/');
    if (rel.startsWith('..')) return [];
    const latest = this.store.latestVersion(rel);
    return latest === null ? [] : this.configVersion(latest);
  }

  private async configVersion(v: VersionInfo): Promise<RunParam[]> {
    try {
      const bytes = await this.blobs.readBuffer(v.blob, { size: v.size, label: `${v.path}@${v.seq}` });
      return configFileParams(v.path, bytes.toString('utf8'));
    } catch (err) {
      this.log.warn(`runs: cannot read the parameters in ${v.path}@${v.seq}: ${String(err)}`);
      return [];
    }
  }

  /** A notebook version whose execution state changed is a run; the files it wrote join it. */
  private async notebookRun(v: VersionInfo, snapshot: SnapshotInfo): Promise<RunInfo | null> {
    if (v.seq === 1 || v.size > MAX_NOTEBOOK_BYTES || this.store.runs.bySourceVersion(v.id) !== null) return null;
    const previous = this.store.versionBySeq(v.path, v.seq - 1);
    if (previous === null) return null;
    const [now, before] = await Promise.all([this.notebookDoc(v), this.notebookDoc(previous)]);
    if (now === null || before === null) return null;
    const a = executionSignature(before);
    const b = executionSignature(now);
    if (!b.ran || a.signature === b.signature) return null;
    const window = executionWindow(now);
    const startedAt = window.startedMs ?? previous.mtimeMs;
    const finishedAt = Math.max(window.finishedMs ?? v.mtimeMs, v.mtimeMs);
    const environment = v.environmentId === null ? null : this.store.environment(v.environmentId);
    const run = this.store.runs.insert({
      kind: 'notebook',
      argv: [],
      cwd: path.dirname(path.join(this.root, v.path)),
      executable: environment?.interpreter?.executable ?? null,
      interpreterDetail: environment?.interpreter?.detail ?? null,
      pid: null,
      startedAt,
      finishedAt,
      sourcePath: v.path,
      sourceVersionId: v.id,
      params: notebookParams(now),
      git: snapshot.git,
    });
    const outputs = this.store.unclaimedWrittenBy(
      v.path,
      startedAt - BEFORE_RUN_SLACK_MS,
      finishedAt + AFTER_RUN_SLACK_MS,
    );
    this.store.claimForRun([v.id, ...outputs.map((o) => o.id)], run.id);
    this.log.info(`runs: ${v.path}@${v.seq} ran (${run.id}), writing ${outputs.length} tracked file(s)`);
    return run;
  }

  /** A file the notebook names, recorded after the notebook's version (the watcher saw it late). */
  private lateOutput(v: VersionInfo): RunInfo | null {
    const source = v.lineage?.sourcePath;
    if (v.runId !== undefined || source === undefined || !source.toLowerCase().endsWith('.ipynb')) return null;
    const run = this.store.runs.latestNotebookRun(source);
    if (run === null || run.finishedAt === null) return null;
    if (v.mtimeMs < run.startedAt - BEFORE_RUN_SLACK_MS || v.mtimeMs > run.finishedAt + AFTER_RUN_SLACK_MS) return null;
    // The notebook saved again before this file was written: it belongs to what ran after that save.
    const latestSource = this.store.latestVersion(source);
    if (latestSource !== null && latestSource.id !== run.sourceVersionId && latestSource.mtimeMs < v.mtimeMs)
      return null;
    this.store.claimForRun([v.id], run.id);
    return run;
  }

  private async notebookDoc(v: VersionInfo): Promise<unknown> {
    try {
      const bytes = await this.blobs.readBuffer(v.blob, { size: v.size, label: `${v.path}@${v.seq}` });
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch (err) {
      this.log.warn(`runs: cannot read ${v.path}@${v.seq} to tell whether it ran: ${String(err)}`);
      return null;
    }
  }

  /** (Re-)read the metrics of every metrics log the run wrote; a broken log is logged, not fatal. */
  private async readMetrics(runId: string): Promise<void> {
    const latestPerPath = new Map<string, VersionInfo>();
    for (const v of this.store.versionsOfRun(runId)) latestPerPath.set(v.path, v);
    for (const v of latestPerPath.values()) {
      const format = metricsFormatOf(v.path);
      if (format === null || v.size > MAX_METRICS_BYTES) continue;
      try {
        const bytes = await this.blobs.readBuffer(v.blob, { size: v.size, label: `${v.path}@${v.seq}` });
        const file = readMetricsFile(v.path, bytes);
        const rows = file.metrics.map((m) => ({
          name: m.name,
          source: v.path,
          format: file.format,
          steps: m.steps,
          values: m.values,
          better: betterDirection(m.name),
        }));
        this.store.replaceRunMetrics(runId, v.path, rows);
      } catch (err) {
        this.log.warn(
          `runs: metrics of ${v.path}@${v.seq} not read: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }
}
