import type { VersionInfo } from '../../../../shared/src/domain';
import type { MethodName, ParamsOf, ResultOf } from '../../../../shared/src/protocol';
import type { CallContext } from '../CallContext';

export type { CallContext } from '../CallContext';
import type { ReleaseService } from '../ReleaseService';
import type { RemoteService } from '../RemoteService';
import type { Emitter } from '../../Emitter';
import type { Project } from '../../project/Project';
import type { ProjectRegistry } from '../ProjectRegistry';

/** The handlers of some methods; each domain file returns its share of the table. */
export type HandlersOf<M extends MethodName> = {
  [K in M]: (params: ParamsOf<K>, call: CallContext) => Promise<ResultOf<K>>;
};
export type Handlers = HandlersOf<MethodName>;

/** What handlers need from the daemon: its projects, its identity and its events. */
export interface HandlerContext {
  registry: ProjectRegistry;
  identity: { version: string; startedAt: number };
  requestShutdown(): void;
  /** The open project at `root` (params are checked before handlers run). */
  project(root: string): Promise<Project>;
  didTag: Emitter<{ root: string; version: VersionInfo }>;
  /** Team remotes; also fetches blobs known only remotely before they are read. */
  remotes: RemoteService;
  /** Stages on team remotes, gates, estimates and deployment bundles. */
  release: ReleaseService;
}
