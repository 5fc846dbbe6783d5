/**
 * Poll `check` every `intervalMs` until it gives a value (anything but null, undefined or
 * false) or `timeoutMs` has passed; then null. The one way every waiter in the product (the
 * CLI waiting for a daemon to start or stop, the editor reconnecting, tests) waits.
 */
export async function pollUntil<T>(
  check: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  opts: { timeoutMs: number; intervalMs?: number },
): Promise<T | null> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}
