// Seeded pseudo-random numbers for simulations: same seed, same run, on every machine.
// xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c): 128-bit state, period
// 2^128 - 1, passes BigCrush, and needs only 32-bit integer operations, which JavaScript does exactly.

/** splitmix32 (murmur3's fmix32 finaliser over a Weyl sequence, step 0x9e3779b9 = 2^32/φ): spreads one 32-bit
 *  seed over the 128-bit state so that seeds 1, 2, 3 start far apart and the state is never all zero. */
function splitmix32 (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x9e3779b9) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
}

export class Xoshiro128ss {
  private readonly s: Uint32Array

  /** From a 32-bit integer seed (expanded by splitmix32), or from the raw four-word state (not all zero). */
  constructor (seed: number | readonly [number, number, number, number]) {
    if (typeof seed === 'number') {
      const next = splitmix32(seed)
      this.s = Uint32Array.of(next(), next(), next(), next())
    } else {
      this.s = Uint32Array.from(seed)
    }
    if (this.s.every(w => w === 0)) throw new RangeError('xoshiro128** state must not be all zero')
  }

  /** Next 32-bit output, as an unsigned integer. */
  nextUint32 (): number {
    const s = this.s
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0
    const t = s[1] << 9
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 11)
    return result
  }

  /** Uniform in [0, 1) with 53 random bits (two outputs), so no double in the range is skipped. */
  nextFloat (): number {
    const high = this.nextUint32() >>> 5 // 27 bits
    const low = this.nextUint32() >>> 6 // 26 bits
    return (high * 67108864 + low) / 9007199254740992
  }

  /** Exponential with the given rate (mean 1/rate); Infinity for rate 0. */
  nextExponential (rate: number): number {
    if (rate === 0) return Infinity
    return -Math.log(1 - this.nextFloat()) / rate // 1 - u is in (0, 1]: never log(0)
  }
}

function rotl (x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}
