import { setTimeout as sleep } from 'node:timers/promises';
import * as fs from 'node:fs';
import type { CliRunner, OpKind } from './cliRunner';
import { connectedTo } from './daemons';
import type { Rng } from './prng';

/**
 * When an iteration's SIGKILL comes. A CLI call spends its first ~0.6 s starting node and
 * only tens to hundreds of ms in the daemon, so kills chosen blind mostly land between calls;
 * most are aimed instead, at a random moment of a chosen call once it reached the daemon, or
 * at a blob write (a file staged in the store's tmp/, whoever writes it: a snapshot, the
 * watcher), the store's most delicate step.
 */
export type KillPlan =
  | { mode: 'blind'; at: number }
  | { mode: 'call'; kind: OpKind; nth: number; after: number }
  | { mode: 'blob-write'; after: number };

/** The latest a kill waits for: past it most iterations would be idle, and idle kills test little. */
const KILL_WITHIN_MS = 4000;
/** The CLI's first exchange is a status probe; a kill there only makes it start another daemon. */
const STATUS_PROBE_MS = 25;
/** Roughly how long each stays in the daemon here (a snapshot of a MiB model longer, a gc is one transaction and its deletes). */
const IN_DAEMON_MS: Partial<Record<OpKind, number>> = { snapshot: 400, push: 600, gc: 80 };

export function planKill(rng: Rng, gc: boolean): KillPlan {
  const r = rng.next();
  if (r < 0.15) return { mode: 'blind', at: rng.int(100, KILL_WITHIN_MS) };
  // A staged small blob is linked into place within a few ms; the commit follows.
  if (r < 0.4) return { mode: 'blob-write', after: rng.int(0, 15) };
  const kind = rng.pick<OpKind>(gc ? ['snapshot', 'push', 'gc', 'gc'] : ['snapshot', 'snapshot', 'push']);
  const nth = kind === 'snapshot' ? rng.int(0, 2) : 0;
  // Squared, so short delays are likelier: most of a small snapshot is over in ~100 ms.
  const u = rng.next();
  return { mode: 'call', kind, nth, after: STATUS_PROBE_MS + Math.round((IN_DAEMON_MS[kind] ?? 300) * u * u) };
}

export function describePlan(p: KillPlan): string {
  if (p.mode === 'blind') return 'blind';
  if (p.mode === 'blob-write') return `blob write+${p.after}ms`;
  return `${p.kind}#${p.nth}+${p.after}ms`;
}

export interface KillTarget {
  cli: CliRunner;
  /** The store's tmp/, where every blob write stages. */
  stagingDir: string;
  daemonPort(): number | null;
}

/** Resolves at the planned moment; an aimed kill whose moment never comes falls back to KILL_WITHIN_MS. */
export function killMoment(t: KillTarget, plan: KillPlan): Promise<void> {
  if (plan.mode === 'blind') return sleep(plan.at);
  return new Promise((resolve) => {
    const fallback = setTimeout(done, KILL_WITHIN_MS);
    let poll: NodeJS.Timeout | undefined;
    function done(): void {
      clearTimeout(fallback);
      clearInterval(poll);
      t.cli.onSpawn = null;
      resolve();
    }
    if (plan.mode === 'blob-write') {
      poll = setInterval(() => {
        if (fs.readdirSync(t.stagingDir).length === 0) return;
        clearInterval(poll);
        setTimeout(done, plan.after);
      }, 2);
      return;
    }
    let seen = 0;
    t.cli.onSpawn = (kind, pid) => {
      if (kind !== plan.kind || seen++ !== plan.nth) return;
      clearTimeout(fallback);
      const port = t.daemonPort();
      const reached = port === null ? Promise.resolve(false) : connectedTo(pid, port, 10_000);
      void reached.then(() => setTimeout(done, plan.after));
    };
  });
}
