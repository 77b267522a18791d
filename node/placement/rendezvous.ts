// Rendezvous (highest random weight) hashing, Thaler & Ravishankar 1998: each (file, peer) pair gets a pseudo-random
// weight; a file prefers peers by weight. A peer that leaves takes only its own files with it, and a peer that joins
// takes only the files where it wins. Hashes are murmur3-style over 32-bit words (Appleby, MurmurHash3_x86_32),
// not SHA-256: placement hashes every candidate for every file, and 10,000 SHA-256 digests alone cost ~10 ms.

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

function rotl (x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

/** murmur3's finaliser: every input bit flips each output bit with probability ~1/2. */
function fmix32 (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

function mixBlock (h: number, block: number): number {
  let k = Math.imul(block, C1)
  k = rotl(k, 15)
  k = Math.imul(k, C2)
  h ^= k
  h = rotl(h, 13)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

/** Two independent 32-bit murmur3-style hashes of a string's UTF-16 code units, two per block (53 bits are used:
 *  10,000 peers must not tie). */
export interface Hash64 { hi: number, lo: number }

export function hash64 (text: string): Hash64 {
  // Both lanes in one pass over the string (this runs for every candidate of every file).
  let hi = 0x2545f491
  let lo = 0x6b43a9b5
  const n = text.length
  let i = 0
  for (; i + 1 < n; i += 2) {
    const block = text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16)
    hi = mixBlock(hi, block)
    lo = mixBlock(lo, block ^ 0x5bd1e995)
  }
  if (i < n) {
    hi = mixBlock(hi, text.charCodeAt(i))
    lo = mixBlock(lo, text.charCodeAt(i) ^ 0x5bd1e995)
  }
  return { hi: fmix32(hi ^ n), lo: fmix32(lo ^ n) }
}

/** Hash of a sequence of 32-bit words: one murmur3 block per word. */
export function combine (...words: number[]): number {
  let h = 0
  for (const w of words) h = mixBlock(h, w)
  return fmix32(h ^ words.length)
}

/** The rendezvous weight of (file, peer), uniform in [0, 1) with 53 bits. */
export function rendezvousWeight (file: Hash64, peer: Hash64): number {
  const hi = combine(file.hi, peer.hi)
  const lo = combine(file.lo, peer.lo, peer.hi) >>> 11
  return (hi * 2 ** 21 + lo) / 2 ** 53
}

/** A 32-bit weight for (file, shard index, slot): how much shard `index` wants that holder. */
export function indexWeight (file: Hash64, index: number, peer: Hash64, copy: number): number {
  return combine(file.hi, index, peer.hi, peer.lo, copy)
}
