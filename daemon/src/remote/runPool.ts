import { mapWithConcurrency } from '../Concurrency';

/**
 * Run `work` over `items` with at most `concurrency` at a time, in the order given. The
 * first failure stops new items from starting and is thrown once those in flight settle, so
 * nothing keeps writing after the caller has moved on.
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  await mapWithConcurrency(items, concurrency, work, signal);
}
