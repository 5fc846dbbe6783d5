import type { TransferProgress } from '../../../shared/src/protocol';

/** What a transport gives one call: where its progress goes and when its caller went away. */
export interface CallContext {
  progress?: (p: TransferProgress) => void;
  signal?: AbortSignal;
}
