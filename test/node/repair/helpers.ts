// Deterministic time and randomness for the repair tests: no real timers, no Math.random.

/** A clock the test moves by hand. */
export interface FakeClock {
  now: () => number
  advance: (ms: number) => void
  set: (ms: number) => void
}

export function fakeClock (start = 0): FakeClock {
  let t = start
  return { now: () => t, advance: ms => { t += ms }, set: ms => { t = ms } }
}

/** mulberry32 (Tommy Ettinger's 32-bit PRNG): uniform in [0, 1), the same sequence for the same seed. */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
