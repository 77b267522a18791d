// A naive Reed-Solomon encoder over GF(2^8), written from the definition, to pin rs-wasm-1's parity bytes: the
// reed-solomon-erasure crate (and klauspost/reedsolomon) use the field with polynomial x^8+x^4+x^3+x^2+1 (0x11d),
// generator 2, and the systematic matrix V · inverse(top k rows of V), where V[r][c] = r^c is (k+m) x k Vandermonde.
// Byte-at-a-time and allocation-happy on purpose: slow, but simple enough to check by eye.

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

function mul (a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]]
}

function pow (a: number, n: number): number {
  if (n === 0) return 1
  return a === 0 ? 0 : EXP[(LOG[a] * n) % 255]
}

function inverse (rows: number[][]): number[][] {
  const n = rows.length
  const a = rows.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => i === j ? 1 : 0)])
  for (let col = 0; col < n; col++) {
    const pivot = a.findIndex((row, r) => r >= col && row[col] !== 0)
    if (pivot < 0) throw new Error('singular matrix')
    ;[a[col], a[pivot]] = [a[pivot], a[col]]
    const scale = EXP[255 - LOG[a[col][col]]]
    a[col] = a[col].map(v => mul(v, scale))
    for (let r = 0; r < n; r++) {
      const factor = a[r][col]
      if (r !== col && factor !== 0) a[r] = a[r].map((v, j) => v ^ mul(factor, a[col][j]))
    }
  }
  return a.map(row => row.slice(n))
}

/** The (k+m) x k encoding matrix; its top k rows are the identity. */
export function encodingMatrix (k: number, m: number): number[][] {
  const v = Array.from({ length: k + m }, (_, r) => Array.from({ length: k }, (_, c) => pow(r, c)))
  const topInverse = inverse(v.slice(0, k))
  return v.map(row => topInverse[0].map((_, c) => row.reduce((sum, x, j) => sum ^ mul(x, topInverse[j][c]), 0)))
}

/** The m parity shards of `data` (k shards of equal length). */
export function referenceParity (data: Uint8Array[], m: number): Uint8Array[] {
  const k = data.length
  const matrix = encodingMatrix(k, m)
  return Array.from({ length: m }, (_, p) => {
    const out = new Uint8Array(data[0].byteLength)
    for (let c = 0; c < k; c++) {
      const coefficient = matrix[k + p][c]
      for (let b = 0; b < out.byteLength; b++) out[b] ^= mul(coefficient, data[c][b])
    }
    return out
  })
}
