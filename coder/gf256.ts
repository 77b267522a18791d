// GF(2^8) as the reed-solomon-erasure crate (and klauspost/reedsolomon) define it: polynomial x^8+x^4+x^3+x^2+1
// (0x11d), generator 2, and the systematic encoding matrix V · inverse(top k rows of V), where V[r][c] = r^c is the
// (k+m) x k Vandermonde matrix. Used to rebuild lost data blocks in TypeScript (coder/rs-wasm-codec.ts says why);
// test/coder/gf256-reference.ts pins the matrix against the WebAssembly encoder's parity bytes.

const EXP = new Uint8Array(510)
const LOG = new Uint8Array(256)
{
  let x = 1
  for (let i = 0; i < 255; i++) {
    EXP[i] = x
    LOG[x] = i
    x <<= 1
    if ((x & 0x100) !== 0) x ^= 0x11d
  }
  for (let i = 255; i < 510; i++) EXP[i] = EXP[i - 255]
}

export function gfMul (a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]]
}

function gfPow (a: number, n: number): number {
  if (n === 0) return 1
  return a === 0 ? 0 : EXP[(LOG[a] * n) % 255]
}

/** The inverse of a square matrix (Gauss-Jordan elimination); throws on a singular one. */
export function invertMatrix (rows: number[][]): number[][] {
  const n = rows.length
  const a = rows.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))])
  for (let col = 0; col < n; col++) {
    const pivot = a.findIndex((row, r) => r >= col && row[col] !== 0)
    if (pivot < 0) throw new Error('singular matrix')
    ;[a[col], a[pivot]] = [a[pivot], a[col]]
    const scale = EXP[255 - LOG[a[col][col]]]
    a[col] = a[col].map(v => gfMul(v, scale))
    for (let r = 0; r < n; r++) {
      const factor = a[r][col]
      if (r !== col && factor !== 0) a[r] = a[r].map((v, j) => v ^ gfMul(factor, a[col][j]))
    }
  }
  return a.map(row => row.slice(n))
}

/** The (k+m) x k encoding matrix; its top k rows are the identity, row k + p makes parity shard p. */
export function encodingMatrix (k: number, m: number): number[][] {
  const v = Array.from({ length: k + m }, (_, r) => Array.from({ length: k }, (_, c) => gfPow(r, c)))
  const topInverse = invertMatrix(v.slice(0, k))
  return v.map(row => topInverse[0].map((_, c) => row.reduce((sum, x, j) => sum ^ gfMul(x, topInverse[j][c]), 0)))
}

/** Multiplication tables kept for this many coefficients (128 KiB each): a file's loss pattern uses k per lost block. */
const MAX_TABLES = 64
const tables16 = new Map<number, Uint16Array>()

/** c times every byte. */
function table8 (c: number): Uint8Array {
  const table = new Uint8Array(256)
  for (let v = 1; v < 256; v++) table[v] = gfMul(c, v)
  return table
}

/** c times every 16-bit pair of bytes, both bytes at once: half the loop iterations of a byte table. */
function table16 (c: number): Uint16Array {
  let table = tables16.get(c)
  if (table !== undefined) {
    tables16.delete(c) // most recently used last
  } else {
    const bytes = table8(c)
    table = new Uint16Array(65536)
    for (let hi = 0; hi < 256; hi++) for (let lo = 0; lo < 256; lo++) table[(hi << 8) | lo] = (bytes[hi] << 8) | bytes[lo]
    if (tables16.size >= MAX_TABLES) tables16.delete(tables16.keys().next().value as number)
  }
  tables16.set(c, table)
  return table
}

/** out ^= c · src, byte by byte in the field (out and src of equal length). */
export function mulAddInto (out: Uint8Array, src: Uint8Array, c: number): void {
  if (c === 0) return
  if (out.byteLength % 4 === 0 && out.byteOffset % 4 === 0 && src.byteOffset % 4 === 0) {
    // Four bytes per step, two lookups: 1.8 ms per 1 MiB source here, against 2.7 with 16-bit words and 4.8 bytewise.
    const table = table16(c)
    const o = new Uint32Array(out.buffer, out.byteOffset, out.byteLength / 4)
    const s = new Uint32Array(src.buffer, src.byteOffset, src.byteLength / 4)
    for (let i = 0; i < o.length; i++) {
      const v = s[i]
      o[i] ^= table[v & 0xffff] | (table[v >>> 16] << 16)
    }
    return
  }
  if (out.byteLength % 2 === 0 && out.byteOffset % 2 === 0 && src.byteOffset % 2 === 0) {
    const table = table16(c)
    const o = new Uint16Array(out.buffer, out.byteOffset, out.byteLength / 2)
    const s = new Uint16Array(src.buffer, src.byteOffset, src.byteLength / 2)
    for (let i = 0; i < o.length; i++) o[i] ^= table[s[i]]
    return
  }
  const table = table8(c) // a block at an odd offset (a subarray of a network chunk): one byte at a time
  for (let i = 0; i < out.byteLength; i++) out[i] ^= table[src[i]]
}
