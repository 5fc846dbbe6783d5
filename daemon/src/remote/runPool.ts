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
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      if (signal?.aborted === true) {
        failure = { error: signal.reason };
        return;
      }
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
}
