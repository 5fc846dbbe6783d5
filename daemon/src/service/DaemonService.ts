import type { Readable } from 'node:stream';
import type { VersionInfo } from '../../../shared/src/domain';
import { METHODS, type MethodName, type ResultOf } from '../../../shared/src/protocol';
import { Emitter } from '../Emitter';
import type { Project } from '../project/Project';
import { VERIFY_FIRST_BYTES } from '../store/blobs/ContentStore';
import { daemonHandlers } from './handlers/daemon';
import { diffHandlers } from './handlers/diff';
import type { CallContext, HandlerContext, Handlers } from './handlers/HandlerContext';
import { remoteHandlers } from './handlers/remote';
import { environmentHandlers } from './handlers/environment';
import { runHandlers } from './handlers/runs';
import { ReleaseService } from './ReleaseService';
import { RemoteService } from './RemoteService';
import { releaseHandlers } from './handlers/release';
import { projectHandlers } from './handlers/project';
import { snapshotHandlers } from './handlers/snapshot';
import { storeHandlers } from './handlers/store';
import { versionHandlers } from './handlers/version';
import type { ProjectRegistry } from './ProjectRegistry';
import { resolveVersion } from './resolveRef';

export type { CallContext, Handlers } from './handlers/HandlerContext';

/**
 * Every daemon method, independent of transport: the HTTP API and the editor's JSON-RPC
 * endpoint both dispatch through `call`, which checks the params against the protocol's
 * declaration first. The handlers live in one file per domain (service/handlers/).
 */
export class DaemonService {
  readonly handlers: Handlers;
  private readonly _onDidTag = new Emitter<{ root: string; version: VersionInfo }>();
  readonly onDidTag = this._onDidTag.event;
  readonly remotes: RemoteService;
  readonly release: ReleaseService;

  constructor(
    private readonly registry: ProjectRegistry,
    identity: { version: string; startedAt: number },
    requestShutdown: () => void,
  ) {
    this.remotes = new RemoteService(registry);
    this.release = new ReleaseService(this.remotes);
    const ctx: HandlerContext = {
      registry,
      identity,
      requestShutdown,
      project: (root) => this.project(root),
      didTag: this._onDidTag,
      remotes: this.remotes,
      release: this.release,
    };
    this.handlers = {
      ...daemonHandlers(ctx),
      ...projectHandlers(ctx),
      ...snapshotHandlers(ctx),
      ...versionHandlers(ctx),
      ...diffHandlers(ctx),
      ...storeHandlers(ctx),
      ...remoteHandlers(ctx),
      ...environmentHandlers(ctx),
      ...runHandlers(ctx),
      ...releaseHandlers(ctx),
    };
  }

  /** Check `params` against the method's declaration, then run its handler. */
  async call<M extends MethodName>(method: M, params: unknown, call: CallContext = {}): Promise<ResultOf<M>> {
    const checked = METHODS[method].params(params, 'params');
    const handler = this.handlers[method] as (p: typeof checked, c: CallContext) => Promise<ResultOf<M>>;
    return handler(checked, call);
  }

  private project(root: string): Promise<Project> {
    return this.registry.get(root);
  }

  /** The raw bytes of a version, for `cat` and the editor's read-only documents. */
  async content(root: string, ref: string): Promise<{ stream: Readable; size: number }> {
    const project = await this.project(root);
    const v = resolveVersion(project.store, ref);
    await this.remotes.ensureHere(project, [v.blob]);
    const expect = { size: v.size, label: `${v.path}@${v.seq}` };
    // Up to this size the blob is checked whole before the first byte goes out (a second read,
    // from page cache), so a corrupt one is a typed error and nothing of it is sent; bigger ones
    // are checked as they stream and a mismatch cuts the response short (see HttpServer.content).
    if (v.size <= VERIFY_FIRST_BYTES) await project.blobs.verify(v.blob, expect);
    return { stream: project.blobs.openVerified(v.blob, expect), size: v.size };
  }
}
