/**
 * `fn` over every item with at most `limit` calls in flight at once; the results in the items'
 * order. The first failure (or `signal` aborting) stops new items from starting, and is
 * thrown once those in flight settle, so nothing keeps working after the caller has moved on.
 * For reading many files, asking many interpreters, or sending many objects without running
 * out of fds or starting a fork storm.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      if (signal?.aborted === true) {
        failure = { error: signal.reason };
        return;
      }
      const index = next++;
      try {
        results[index] = await fn(items[index] as T);
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
  return results;
}
