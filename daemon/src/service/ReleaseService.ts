import { Blake3Hasher } from '@napi-rs/blake-hash';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentInfo, VersionInfo } from '../../../shared/src/domain';
import { Emitter } from '../Emitter';
import { MlsnapError } from '../../../shared/src/errors';
import { fileKindSpec } from '../../../shared/src/fileKinds';
import type {
  BundleParams,
  DaemonNotifications,
  DemoteParams,
  PromoteParams,
  ReleaseRemoteParams,
  SecretFinding,
  ShowResult,
} from '../../../shared/src/protocol';
import {
  DEFAULT_STAGE_GATES,
  type AuditRecord,
  type BundleResult,
  type GateCheckResult,
  type GateResult,
  type PromoteResult,
  type ResourceEstimate,
  type StageGateConfig,
  type StageInfo,
  type StagePointer,
  type StagePolicy,
  type StageTarget,
} from '../../../shared/src/release';
import type { RunSummary } from '../../../shared/src/runs';
import { summarizeModel } from '../diff/models/ModelDiff';
import { assessModelFile, pickleSafetyOf, scanModelFile } from '../gate/SecretGate';
import type { Project } from '../project/Project';
import type { ResumableState } from '../remote/backends/RemoteBackend';
import { dataKey } from '../remote/format/RemoteFormat';
import { locationUrl } from '../remote/RemoteLocation';
import type { RemoteSession } from '../remote/sync/RemoteSession';
import { uploadObject, type ResumeLedger } from '../remote/transfer/ObjectTransfer';
import { TransferMeter } from '../remote/transfer/TransferMeter';
import { finalMetrics, runGates, type GateSubject } from '../release/gates/ReleaseGates';
import { bundleFiles } from '../release/bundle/DeploymentBundle';
import { writeBundle } from '../release/bundle/writeBundle';
import { estimateResources } from '../release/estimate/ResourceEstimate';
import { assertModelPath, assertStageName, emptyPolicy, isEstimate } from '../release/stages/StageFormat';
import { StageStore, type ReadPointer } from '../release/stages/StageStore';
import { RunQueries } from '../runs/RunQueries';
import type { CallContext } from './CallContext';
import type { RemoteService } from './RemoteService';
import { resolveVersion } from './resolveRef';
import { writeVersionTo } from './Restorer';

type Moved = DaemonNotifications['mlsnap/didMoveStage'];

/**
 * Stages on a project's team remotes: gates, promotion and demotion by compare-and-swap with
 * an audit record each, listings and the audit trail, the policy of protected stages, and the
 * resource estimate of a model version. The remote is the only shared part: nothing here
 * holds state between calls.
 */
export class ReleaseService {
  private readonly _onDidMove = new Emitter<Moved>();
  readonly onDidMove = this._onDidMove.event;

  constructor(private readonly remotes: RemoteService) {}

  /** The gates of `stage` run on a version, nothing moved. */
  async gates(project: Project, p: ReleaseRemoteParams & { ref: string; stage: string }): Promise<GateCheckResult> {
    const v = modelVersion(project, p.ref);
    assertStageName(p.stage);
    const stages = new StageStore(this.remotes.session(project, p.remote, p.credentials));
    const current = await stages.read(v.path, p.stage);
    const gates = await this.runStageGates(project, v, p.stage, current);
    return {
      model: v.path,
      stage: p.stage,
      versionId: v.uid,
      gates,
      current: current?.pointer ?? null,
      passed: gates.every((g) => g.passed),
    };
  }

  async promote(project: Project, p: PromoteParams, call: CallContext): Promise<PromoteResult> {
    const v = modelVersion(project, p.ref);
    assertStageName(p.stage);
    if (p.force === true && (p.reason ?? '').trim() === '')
      throw new MlsnapError(
        'bad-request',
        '--force needs --reason "…": the override and its reason go into the audit record',
      );
    const session = this.remotes.session(project, p.remote, p.credentials);
    const stages = new StageStore(session);
    await assertMayMove(stages, project, p.stage, session.name);
    const current = await stages.read(v.path, p.stage);
    const gates = await this.runStageGates(project, v, p.stage, current);
    const failed = gates.filter((g) => !g.passed);
    if (failed.length > 0 && p.force !== true) throw gateRefusal(v, p.stage, failed);
    call.signal?.throwIfAborted();
    // Only an overridden pickle gate accepts the model's pickle findings: that failure is in
    // the audit record. Forcing past another gate (a metric) must not let an unsafe pickle
    // through unseen on a stage without the pickle gate.
    const pickleOverridden = failed.some((g) => g.gate === 'pickle');
    await this.ensureOnRemote(project, session, v, pickleOverridden, call);
    const target = await this.targetOf(project, session, v);
    const result = await move(stages, project, {
      model: v.path,
      stage: p.stage,
      action: 'promote',
      target,
      current,
      reason: p.reason ?? null,
      gates,
      forced: failed.length > 0,
    });
    this._onDidMove.fire({ root: project.root, remote: session.name, stage: result });
    return { stage: result, gates, forced: failed.length > 0, previous: current?.pointer.target?.versionId ?? null };
  }

  async demote(project: Project, p: DemoteParams): Promise<StageInfo> {
    assertModelPath(p.model);
    assertStageName(p.stage);
    const session = this.remotes.session(project, p.remote, p.credentials);
    const stages = new StageStore(session);
    await assertMayMove(stages, project, p.stage, session.name);
    const current = await stages.read(p.model, p.stage);
    if (current?.pointer.target == null)
      throw new MlsnapError('not-found', `stage ${p.stage} of ${p.model} on remote ${session.name} holds no version`);
    const result = await move(stages, project, {
      model: p.model,
      stage: p.stage,
      action: 'demote',
      target: null,
      current,
      reason: p.reason ?? null,
      gates: [],
      forced: false,
    });
    this._onDidMove.fire({ root: project.root, remote: session.name, stage: result });
    return result;
  }

  async stages(project: Project, p: ReleaseRemoteParams & { model?: string }): Promise<StageInfo[]> {
    if (p.model !== undefined) assertModelPath(p.model);
    const stages = new StageStore(this.remotes.session(project, p.remote, p.credentials));
    return (await stages.list(p.model)).map((r) => stageInfo(project, r));
  }

  /**
   * The trail: every move on the chain of each stage's pointer (see AuditRecord.previous),
   * oldest first. Within a stage the chain gives the order, not the clocks: teammates'
   * clocks differ, and a move made after another can carry an earlier time. Stages are
   * interleaved by time.
   */
  async history(project: Project, p: ReleaseRemoteParams & { model?: string; stage?: string }): Promise<AuditRecord[]> {
    if (p.model !== undefined) assertModelPath(p.model);
    if (p.stage !== undefined) assertStageName(p.stage);
    const stages = new StageStore(this.remotes.session(project, p.remote, p.credentials));
    const [byKey, pointers] = await Promise.all([stages.history(p.model, p.stage), stages.list(p.model)]);
    const chains: AuditRecord[][] = [];
    for (const { pointer } of pointers) {
      if (p.stage !== undefined && pointer.stage !== p.stage) continue;
      const chain: AuditRecord[] = [];
      const seen = new Set<string>();
      for (let key: string | null = pointer.audit; key !== null && !seen.has(key);) {
        seen.add(key);
        const r = byKey.get(key);
        if (r === undefined) break; // Older records gone by hand: the trail ends there.
        if (r instanceof Error) throw r; // On the trail, yet refused: said, naming its key.
        chain.push(r);
        key = r.previous;
      }
      chains.push(chain.reverse());
    }
    return mergeChains(chains);
  }

  /** Limit who may move `stage` (an empty list lifts it). Only someone allowed now may change it. */
  async protect(project: Project, p: ReleaseRemoteParams & { stage: string; authors: string[] }): Promise<StagePolicy> {
    assertStageName(p.stage);
    const session = this.remotes.session(project, p.remote, p.credentials);
    const stages = new StageStore(session);
    for (let attempt = 0; attempt < 5; attempt++) {
      const { policy, etag } = await stages.policy();
      assertAllowed(policy, project, p.stage, session.name);
      const next: StagePolicy = { ...emptyPolicy(), stages: { ...policy.stages } };
      const authors = [...new Set(p.authors.map((a) => a.trim()).filter((a) => a !== ''))].sort();
      if (authors.length === 0) delete next.stages[p.stage];
      else next.stages[p.stage] = { authors };
      if (await stages.swapPolicy(next, etag)) return next;
    }
    throw new MlsnapError(
      'conflict',
      `the policy on remote ${session.name} kept changing while it was written; try again`,
    );
  }

  /** Parameter count, weight bytes and serving memory of a model version, from its parsed file. */
  async estimate(project: Project, ref: string): Promise<ResourceEstimate> {
    const v = modelVersion(project, ref);
    return this.withModelFile(project, v, (file) => estimateOfFile(v, file));
  }

  /**
   * What `show` tells of a model version, from one materialized copy: its estimate (null when
   * the file does not parse) and what loading it would run, as the push and promote gates
   * judge it (null for formats no loader unpickles). Both null for other files.
   */
  async showModel(project: Project, v: VersionInfo): Promise<Pick<ShowResult, 'estimate' | 'pickle'>> {
    // `show` must not download a teammate's model to estimate it: only bytes that are here.
    if (fileKindSpec(v.path).kind !== 'model' || project.store.blob(v.blob)?.here === false)
      return { estimate: null, pickle: null };
    try {
      return await this.withModelFile(project, v, async (file) => {
        // One parse for both: walking a pickle (inflating a compressed joblib) is the cost.
        const summary = summarizeModel(file, { name: v.path });
        return {
          estimate: await summary.then((s) => estimateResources(s)).catch(() => null),
          pickle: pickleSafetyOf(await assessModelFile(v.path, file, () => summary)),
        };
      });
    } catch {
      return { estimate: null, pickle: null };
    }
  }

  /** A deployment bundle of a model version: bytes, Dockerfile, lockfiles and a serving config. */
  async bundle(project: Project, p: BundleParams): Promise<BundleResult> {
    const v = modelVersion(project, p.ref);
    // One materialized copy for both: the estimate parses it, the bundle's labels name its sha256.
    const { estimate, sha256 } = await this.withModelFile(project, v, async (file) => ({
      estimate: await estimateOfFile(v, file).catch(() => null),
      sha256: (await hashesOf(file)).sha256,
    }));
    const env = environmentOf(project, v);
    const lockfiles = await lockfileFiles(project, env);
    const { files, modelFile, unsatisfiable } = bundleFiles({
      format: p.format,
      project: path.basename(project.root),
      model: {
        path: v.path,
        versionId: v.uid,
        seq: v.seq,
        size: v.size,
        sha256,
        blake3: v.blob,
        modelFormat: estimate?.format ?? 'unknown',
      },
      estimate,
      environment: env,
      lockfiles: lockfiles.map((l) => l.path),
      remoteUri: remoteUriOf(project, v),
    });
    const written = await writeBundle({
      dir: p.dir,
      force: p.force === true,
      files: [...files, ...lockfiles],
      modelFile,
      writeModel: (dest) => writeVersionTo(project.blobs, v, dest),
    });
    return { dir: p.dir, format: p.format, files: written, estimate, unsatisfiable };
  }

  private async runStageGates(
    project: Project,
    v: VersionInfo,
    stage: string,
    current: ReadPointer | null,
  ): Promise<GateResult[]> {
    const config = gateConfig(project, stage);
    if (config.gates.length === 0) return [];
    // Fetched before the model is materialized: a decompressed copy is not held over a download.
    const producer = config.gates.includes('secrets') ? await producerOf(project, v, this.remotes) : null;
    return this.withModelFile(project, v, async (modelFile) => {
      const subject: GateSubject = {
        version: v,
        environment: environmentOf(project, v),
        modelFile,
        producer,
        run: runOf(project, v),
      };
      return runGates(config, subject, current?.pointer.target ?? null);
    });
  }

  /** The model's bytes as a file for the duration of `fn` (fetched from a remote first if need be). */
  private async withModelFile<T>(project: Project, v: VersionInfo, fn: (file: string) => Promise<T>): Promise<T> {
    await this.remotes.ensureHere(project, [v.blob]);
    const file = await project.blobs.materialize(v.blob, { size: v.size, label: `${v.path}@${v.seq}` });
    try {
      return await fn(file.path);
    } finally {
      await file.release();
    }
  }

  /**
   * The version's history and bytes on the remote, and its bytes raw (not zstd) so a
   * deployment host can fetch them with any S3 or Azure client. A forced promotion accepts
   * the model's own pickle findings for this push; anything else the secret gate finds stops it.
   */
  private async ensureOnRemote(
    project: Project,
    session: RemoteSession,
    v: VersionInfo,
    acceptPickle: boolean,
    call: CallContext,
  ): Promise<void> {
    if (!v.remotes.includes(session.name)) {
      const allow = acceptPickle ? await this.pickleFindingIds(project, v) : [];
      const r = await this.remotes.push(
        project,
        { root: project.root, remote: session.name, paths: [v.path], allow },
        call,
      );
      if (!r.pushed) throw pushRefusal(v, session.name, r.findings);
    }
    const key = dataKey(v.blob, 'raw');
    const there = await session.run((b) => b.head(key));
    if (there !== null) {
      // Create-only, so never replaced: a wrong one would fail every fetch-stage, so say it now.
      if (there.size !== v.size)
        throw new MlsnapError(
          'remote',
          `remote ${session.name}: ${key} holds ${there.size} bytes, but ${v.path}@${v.seq} has ${v.size}; it was altered by hand: delete it, then promote again`,
          v.path,
        );
      return;
    }
    // Pushed zstd-compressed: a raw copy for deployment tools, from the bytes decompressed
    // (and hashed) here, resumable through the project's upload ledger like a push.
    await this.withModelFile(project, v, async (file) => {
      const meter = new TransferMeter('upload', call.progress);
      meter.plan(1, v.size);
      await session.run((b) =>
        uploadObject(
          b,
          { key, size: v.size, source: { file } },
          uploadLedger(project, session.name),
          meter,
          call.signal,
        ),
      );
      meter.objectDone();
      meter.finish();
    });
  }

  private async pickleFindingIds(project: Project, v: VersionInfo): Promise<string[]> {
    return this.withModelFile(project, v, async (file) => (await scanModelFile(v.path, file)).map((f) => f.id));
  }

  /** What the pointer says of the version: its raw object (sha256 computed here), environment, run, estimate. */
  private async targetOf(project: Project, session: RemoteSession, v: VersionInfo): Promise<StageTarget> {
    const key = dataKey(v.blob, 'raw');
    const { sha256, estimate } = await this.withModelFile(project, v, async (file) => {
      // One read gives the sha256 and checks the BLAKE3: a raw blob is parsed in place without
      // being hashed, and a pointer whose two hashes disagree would fail every fetch-stage.
      const h = await hashesOf(file);
      if (h.blake3 !== v.blob || h.size !== v.size)
        throw new MlsnapError(
          'io',
          `the stored bytes of ${v.path}@${v.seq} do not match their hash (corrupt on this disk); nothing was promoted: run \`mlsnap check\``,
          v.path,
        );
      const estimate = await estimateOfFile(v, file).catch(() => null);
      // Every figure a figure (readers refuse a pointer whose estimate is not): a file that
      // parses into nonsense gets no estimate rather than a pointer nobody can read.
      return { sha256: h.sha256, estimate: estimate !== null && isEstimate(estimate) ? estimate : null };
    });
    const env = environmentOf(project, v);
    const run = runOf(project, v);
    return {
      versionId: v.uid,
      object: { key, url: `${locationUrl(session.location)}/${key}`, size: v.size, sha256, blake3: v.blob },
      modelFormat: estimate?.format ?? 'unknown',
      createdAt: v.createdAt,
      author: v.author ?? null,
      environment: env === null ? null : environmentSummary(env),
      run: run === null ? null : { id: run.id, params: paramsOf(run), metrics: finalMetrics(run) },
      estimate,
    };
  }

  dispose(): void {
    this._onDidMove.dispose();
  }
}

/**
 * Chains (each oldest first) merged into one list by time, each chain's own order kept: the
 * next record out is the earliest of the chains' next ones.
 */
function mergeChains(chains: AuditRecord[][]): AuditRecord[] {
  const next = chains.map(() => 0);
  const out: AuditRecord[] = [];
  for (;;) {
    let pick = -1;
    for (const [i, chain] of chains.entries()) {
      const r = chain[next[i] as number];
      if (r === undefined) continue;
      const best = pick === -1 ? undefined : chains[pick]?.[next[pick] as number];
      if (best === undefined || r.at < best.at || (r.at === best.at && r.stage < best.stage)) pick = i;
    }
    if (pick === -1) return out;
    out.push(chains[pick]?.[next[pick] as number] as AuditRecord);
    next[pick] = (next[pick] as number) + 1;
  }
}

/** Where a resumable upload's state is kept between runs: the project's store, as for a push. */
function uploadLedger(project: Project, remote: string): ResumeLedger {
  const rows = project.store.remotes;
  return {
    load: (key) => {
      const s = rows.uploadState(remote, key);
      return s === null ? null : (JSON.parse(s) as ResumableState);
    },
    save: (key, state) => rows.saveUploadState(remote, key, JSON.stringify(state)),
    drop: (key) => rows.dropUploadState(remote, key),
  };
}

/** The push a promotion needs was refused: what was found, and each finding's id to accept it. */
function pushRefusal(v: VersionInfo, remote: string, findings: readonly SecretFinding[]): MlsnapError {
  const shown = findings
    .slice(0, 5)
    .map((f) => `${f.rule} in ${f.version} (${f.id})`)
    .join('; ');
  const more = findings.length > 5 ? ` and ${findings.length - 5} more` : '';
  const ids = [...new Set(findings.map((f) => f.id))].join(' ');
  return new MlsnapError(
    'gate',
    `${v.path} could not be pushed to remote ${remote}: the push gate found ${findings.length} problem${findings.length === 1 ? '' : 's'}: ${shown}${more}. Nothing was promoted; run \`mlsnap push\` to see them (\`mlsnap push --allow ${ids}\` accepts them), then promote again`,
    v.path,
  );
}

/** The lockfiles recorded with the environment, as they were then, for the bundle's build context. */
async function lockfileFiles(
  project: Project,
  env: EnvironmentInfo | null,
): Promise<{ path: string; content: string }[]> {
  const out: { path: string; content: string }[] = [];
  for (const l of env?.lockfiles ?? []) {
    const row = project.store.blob(l.blob);
    if (row === null) continue;
    const bytes = await project.blobs.readBuffer(l.blob, { size: row.size, label: `${l.path} (lockfile)` });
    out.push({ path: l.path, content: bytes.toString('utf8') });
  }
  return out;
}

/** The raw object of the version on a remote known to hold it, for a serving config to fetch. */
function remoteUriOf(project: Project, v: VersionInfo): string | null {
  const name = v.remotes[0];
  const row = project.store.remotes.list().find((r) => r.name === name);
  if (row === undefined || project.store.blob(v.blob)?.encoding !== 'raw') return null;
  return `${row.url}/${dataKey(v.blob, 'raw')}`;
}

function modelVersion(project: Project, ref: string): VersionInfo {
  const v = resolveVersion(project.store, ref);
  if (fileKindSpec(v.path).kind !== 'model')
    throw new MlsnapError(
      'bad-request',
      `${v.path} is not a model file; only model files have stages and estimates`,
      v.path,
    );
  assertModelPath(v.path);
  return v;
}

/** Own entries only: a stage may be called `constructor`, which every object inherits. */
function gateConfig(project: Project, stage: string): StageGateConfig {
  const configured = project.config.stages;
  if (configured !== undefined && Object.hasOwn(configured, stage)) return configured[stage] as StageGateConfig;
  if (Object.hasOwn(DEFAULT_STAGE_GATES, stage)) return DEFAULT_STAGE_GATES[stage] as StageGateConfig;
  return { gates: [] };
}

function environmentOf(project: Project, v: VersionInfo): EnvironmentInfo | null {
  return v.environmentId === null ? null : project.store.environment(v.environmentId);
}

function runOf(project: Project, v: VersionInfo): RunSummary | null {
  if (v.runId === undefined) return null;
  try {
    return new RunQueries(project.store).show(v.runId);
  } catch {
    return null;
  }
}

function paramsOf(run: RunSummary): Record<string, unknown> {
  return Object.fromEntries(run.params.map((p) => [p.name, p.value]));
}

/**
 * The notebook (or script) version that produced the model: the run's source when a run
 * wrote it, else the lineage's source as it was when the model was recorded.
 */
async function producerOf(
  project: Project,
  v: VersionInfo,
  remotes: RemoteService,
): Promise<{ version: VersionInfo; bytes: Buffer } | null> {
  const store = project.store;
  const run = v.runId === undefined ? null : store.runs.get(v.runId);
  let source = run?.sourceVersionId == null ? null : store.versionById(run.sourceVersionId);
  if (source === null && v.lineage !== null) {
    source = store.log(v.lineage.sourcePath, 1000).find((s) => s.createdAt <= v.createdAt) ?? null;
  }
  if (source === null) return null;
  await remotes.ensureHere(project, [source.blob]);
  const bytes = await project.blobs.readBuffer(source.blob, {
    size: source.size,
    label: `${source.path}@${source.seq}`,
  });
  return { version: source, bytes };
}

function environmentSummary(env: EnvironmentInfo): NonNullable<StageTarget['environment']> {
  const torchCuda = env.packages.find((p) => p.name.toLowerCase() === 'torch')?.version.match(/\+cu(\d+)(\d)$/);
  const cuda =
    env.gpus.find((g) => g.cuda !== undefined)?.cuda ?? (torchCuda ? `${torchCuda[1]}.${torchCuda[2]}` : null);
  return {
    python: env.interpreter?.version ?? null,
    cuda,
    pins: env.packages.map((p) => `${p.name}==${p.version}`).sort(),
    complete: env.complete,
  };
}

/** A model version's estimate from its bytes in `file` (parsed, never loaded). */
async function estimateOfFile(v: VersionInfo, file: string): Promise<ResourceEstimate> {
  return estimateResources(await summarizeModel(file, { name: v.path }));
}

async function hashesOf(file: string): Promise<{ sha256: string; blake3: string; size: number }> {
  const sha = createHash('sha256');
  const b3 = new Blake3Hasher();
  let size = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    sha.update(chunk as Buffer);
    b3.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: sha.digest('hex'), blake3: b3.digest('hex'), size };
}

function stageInfo(project: Project, r: ReadPointer): StageInfo {
  const target = r.pointer.target;
  const local = target === null ? null : project.store.versionByUid(target.versionId);
  return {
    model: r.pointer.model,
    stage: r.pointer.stage,
    pointer: r.pointer,
    etag: r.etag,
    local: local === null || local.path !== r.pointer.model ? null : { seq: local.seq },
  };
}

function gateRefusal(v: VersionInfo, stage: string, failed: readonly GateResult[]): MlsnapError {
  const reasons = failed.map((g) => `${g.gate}: ${g.message}`).join('; ');
  return new MlsnapError(
    'gate',
    `${v.path}@${v.seq} was not promoted to ${stage}: ${failed.length} gate${failed.length === 1 ? '' : 's'} failed (${reasons}). Fix them, or override with --force --reason "…" (audited)`,
    v.path,
  );
}

async function assertMayMove(stages: StageStore, project: Project, stage: string, remote: string): Promise<void> {
  assertAllowed((await stages.policy()).policy, project, stage, remote);
}

function assertAllowed(policy: StagePolicy, project: Project, stage: string, remote: string): void {
  const authors = policy.stages[stage]?.authors;
  const me = project.store.identity.author;
  if (authors !== undefined && !authors.includes(me))
    throw new MlsnapError(
      'gate',
      `stage ${stage} on remote ${remote} is protected: only ${authors.join(', ')} may move it (you are ${me}); ask one of them`,
    );
}

interface Move {
  model: string;
  stage: string;
  action: AuditRecord['action'];
  target: StageTarget | null;
  current: ReadPointer | null;
  reason: string | null;
  gates: GateResult[];
  forced: boolean;
}

/**
 * The audit record first (create-only), then the pointer naming it by compare-and-swap
 * against the etag it was read under. A lost swap leaves a record on no pointer's chain
 * (not a move) and is said as a conflict naming who moved the stage meanwhile.
 */
async function move(stages: StageStore, project: Project, m: Move): Promise<StageInfo> {
  const { author, host } = project.store.identity;
  const at = Date.now();
  const record: AuditRecord = {
    format: 'mlsnap-audit',
    version: 1,
    model: m.model,
    stage: m.stage,
    action: m.action,
    from: m.current?.pointer.target?.versionId ?? null,
    to: m.target?.versionId ?? null,
    author,
    host,
    at,
    reason: m.reason,
    gates: m.gates,
    forced: m.forced,
    previous: m.current?.pointer.audit ?? null,
  };
  const audit = await stages.writeAudit(record);
  const pointer: StagePointer = {
    format: 'mlsnap-stage',
    version: 1,
    model: m.model,
    stage: m.stage,
    target: m.target,
    movedBy: author,
    host,
    movedAt: at,
    reason: m.reason,
    audit,
  };
  const r = await stages.swap(pointer, m.current?.etag ?? null);
  if (!r.swapped) throw lostRace(m, r.current);
  return stageInfo(project, { pointer, etag: r.etag });
}

function lostRace(m: Move, now: ReadPointer | null): MlsnapError {
  const who =
    now === null
      ? 'its pointer is gone from the remote (deleted by hand, not demoted: a demotion leaves one holding nothing)'
      : `${now.pointer.movedBy} on ${now.pointer.host} moved it to ${now.pointer.target?.versionId ?? 'nothing'} at ${new Date(now.pointer.movedAt).toISOString()}${now.pointer.reason === null ? '' : ` ("${now.pointer.reason}")`}`;
  return new MlsnapError(
    'conflict',
    `stage ${m.stage} of ${m.model} changed while you moved it: ${who}. Nothing of yours took effect; look with \`mlsnap stages\` and try again`,
    m.model,
  );
}
