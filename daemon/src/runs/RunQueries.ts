import type { RunInfo } from '../../../shared/src/domain';
import { MlsnapError } from '../../../shared/src/errors';
import type {
  MetricComparison,
  MetricTrend,
  ParamChange,
  RunComparison,
  RunOutput,
  RunSummary,
} from '../../../shared/src/runs';
import { betterDirection } from '../diff/metrics/MetricsDiff';
import type { SnapshotStore } from '../store/SnapshotStore';

/** The answers to "which runs, with what", built from the store in as few queries as a listing allows. */
export class RunQueries {
  constructor(private readonly store: SnapshotStore) {}

  /** Newest first; of one source (a notebook or script) when given. */
  list(opts: { source?: string; limit: number }): RunSummary[] {
    return this.summaries(this.store.runs.list(opts));
  }

  /** A run by id or a unique prefix of it (at least 4 characters after the `r`). */
  resolve(ref: string): RunInfo {
    const id = ref.startsWith('r') ? ref : `r${ref}`;
    if (!/^r[0-9a-f]{4,16}$/.test(id)) {
      throw new MlsnapError('bad-request', `${ref} is not a run id (r + hex digits, as \`mlsnap runs\` lists them)`);
    }
    const ids = this.store.runs.idsStartingWith(id);
    if (ids.length > 1) throw new MlsnapError('bad-request', `${ref} names more than one run; give more of its id`);
    const run = ids[0] === undefined ? null : this.store.runs.get(ids[0]);
    if (run === null) throw new MlsnapError('not-found', `no run ${ref}; \`mlsnap runs\` lists them`);
    return run;
  }

  show(ref: string): RunSummary {
    const [summary] = this.summaries([this.resolve(ref)]);
    if (summary === undefined) throw new MlsnapError('internal', `run ${ref} has no summary`);
    return summary;
  }

  previous(run: RunInfo): RunInfo | null {
    return this.store.runs.previousOf(run);
  }

  compare(refA: string, refB: string): RunComparison {
    const [a, b] = this.summaries([this.resolve(refA), this.resolve(refB)]);
    if (a === undefined || b === undefined) throw new MlsnapError('internal', 'runs to compare vanished');
    return { a, b, params: paramChanges(a, b), metrics: metricComparisons(a, b), outputs: this.outputChanges(a, b) };
  }

  /** One metric's values over steps for each run that logged a series of it. */
  series(refs: readonly string[], metric: string): ReturnType<SnapshotStore['runs']['series']> {
    return this.store.runs.series(
      refs.map((r) => this.resolve(r).id),
      metric,
    );
  }

  /** A model's metrics over its versions: each version's run's final values. */
  trend(relPath: string, limit: number): MetricTrend {
    const versions = this.store.log(relPath, limit).filter((v) => v.runId !== undefined);
    const runIds = [...new Set(versions.map((v) => v.runId as string))];
    const metrics = this.store.runs.metricsOf(runIds, betterDirection);
    const points = versions
      .map((v) => {
        const finals: Record<string, number> = {};
        for (const m of metrics.get(v.runId as string) ?? []) if (m.final !== null) finals[m.name] = m.final;
        return { uid: v.uid, seq: v.seq, createdAt: v.createdAt, run: v.runId as string, metrics: finals };
      })
      .sort((x, y) => x.seq - y.seq);
    return { path: relPath, points };
  }

  private summaries(runs: readonly RunInfo[]): RunSummary[] {
    const metrics = this.store.runs.metricsOf(
      runs.map((r) => r.id),
      betterDirection,
    );
    const written = this.store.writtenByRuns(runs.map((r) => r.id));
    return runs.map((run) => {
      const versions = written.get(run.id) ?? [];
      // A notebook run's source version is its own (run_id set); else (a command) look it up.
      const source =
        versions.find((v) => v.id === run.sourceVersionId) ??
        (run.sourceVersionId === null ? null : this.store.versionById(run.sourceVersionId));
      const outputs: RunOutput[] = versions
        .filter((v) => v.id !== run.sourceVersionId)
        .map((v) => ({ path: v.path, seq: v.seq, uid: v.uid }));
      return {
        id: run.id,
        kind: run.kind,
        source: run.sourcePath,
        sourceVersion: source === null ? null : { path: source.path, seq: source.seq, uid: source.uid },
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
        interpreter: run.executable,
        git: run.git === null ? null : { commit: run.git.commit, branch: run.git.branch, dirty: run.git.dirty },
        argv: run.kind === 'command' ? run.argv : null,
        exitCode: run.exitCode,
        params: run.params as RunSummary['params'],
        metrics: metrics.get(run.id) ?? [],
        outputs,
      };
    });
  }

  private outputChanges(a: RunSummary, b: RunSummary): RunComparison['outputs'] {
    const paths = [...new Set([...a.outputs, ...b.outputs].map((o) => o.path))].sort();
    const blobOf = (o: RunOutput | null): string | null =>
      o === null ? null : (this.store.versionBySeq(o.path, o.seq)?.blob ?? null);
    return paths.map((p) => {
      const oa = a.outputs.find((o) => o.path === p) ?? null;
      const ob = b.outputs.find((o) => o.path === p) ?? null;
      return { path: p, a: oa, b: ob, changed: blobOf(oa) !== blobOf(ob) };
    });
  }
}

function sameValue(x: unknown, y: unknown): boolean {
  return JSON.stringify(x) === JSON.stringify(y);
}

function paramChanges(a: RunSummary, b: RunSummary): ParamChange[] {
  const names = [...new Set([...a.params, ...b.params].map((p) => p.name))].sort();
  const valueIn = (run: RunSummary, name: string): RunSummary['params'][number]['value'] | undefined =>
    run.params.find((p) => p.name === name)?.value;
  return names.map((name) => ({ name, a: valueIn(a, name), b: valueIn(b, name) })).filter((c) => !sameValue(c.a, c.b));
}

/** Metric by metric, with the verdict the name's direction gives (as the metrics diff decides it). */
export function metricComparisons(a: RunSummary, b: RunSummary): MetricComparison[] {
  const names = [...new Set([...a.metrics, ...b.metrics].map((m) => m.name))].sort();
  return names.map((name) => {
    const ma = a.metrics.find((m) => m.name === name)?.final ?? null;
    const mb = b.metrics.find((m) => m.name === name)?.final ?? null;
    const better = betterDirection(name);
    const delta = ma !== null && mb !== null ? mb - ma : null;
    const percent = delta !== null && ma !== null && ma !== 0 ? (delta / Math.abs(ma)) * 100 : null;
    let verdict: MetricComparison['verdict'] = 'unknown';
    if (delta === 0) verdict = 'same';
    else if (delta !== null && better !== null) verdict = (better === 'up') === delta > 0 ? 'better' : 'worse';
    return { name, a: ma, b: mb, delta, percent, better, verdict };
  });
}
