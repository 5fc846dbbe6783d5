import { formatSummary, runCampaign } from './campaign';

/**
 * `npm run soak [N]`: the crash campaign (issue 13, item 5). N or MLSNAP_SOAK_ITERATIONS (default 200)
 * kills of the daemon with SIGKILL at random moments among snapshots, pushes and gc, each
 * followed by a restart and the checks; MLSNAP_SOAK_SEED replays a campaign's plan (default:
 * the time). Exits 1 when any check failed.
 */
async function main(): Promise<number> {
  const seed = intFromEnv('MLSNAP_SOAK_SEED', Date.now() % 0x100000000);
  // `npm run soak -- 50` or MLSNAP_SOAK_ITERATIONS=50: the argument wins.
  const iterations =
    process.argv[2] !== undefined
      ? toInt('the iteration count', process.argv[2])
      : intFromEnv('MLSNAP_SOAK_ITERATIONS', 200);
  console.log(`soak: seed ${seed}, ${iterations} iterations (MLSNAP_SOAK_SEED=${seed} replays this plan)`);
  const summary = await runCampaign({ seed, iterations, print: (line) => console.log(line) });
  console.log(formatSummary(summary));
  return summary.failures.length === 0 ? 0 : 1;
}

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  return toInt(name, raw);
}

function toInt(name: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(n) || n < 0)
    throw new Error(`${name} must be a non-negative integer, not ${raw}`);
  return n;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(2);
  },
);
