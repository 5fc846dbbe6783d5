/**
 * A small seeded PRNG (mulberry32): the campaign's choices (which files, what sizes, when to
 * kill) follow from the seed, so a failure's seed and iteration replay the same plan. Timing
 * still varies from run to run: the kill lands where the machine happens to be.
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [lo, hi], both included. */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor(next() * items.length)] as T;
    },
  };
  return rng;
}

/** The seed of iteration `i` of a campaign seeded with `seed`: replaying one iteration needs only these two numbers. */
export function iterationSeed(seed: number, i: number): number {
  return (Math.imul(seed >>> 0, 2654435761) + Math.imul(i + 1, 40503)) >>> 0;
}
