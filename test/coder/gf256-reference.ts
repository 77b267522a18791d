// A naive Reed-Solomon encoder, byte at a time, over coder/gf256.ts's field and encoding matrix: it pins rs-wasm-1's
// parity bytes, and with them the matrix that the TypeScript reconstruct (coder/rs-wasm-codec.ts) inverts. The
// field (x^8+x^4+x^3+x^2+1, generator 2) and the matrix (V · inverse(top k rows of V), V[r][c] = r^c) are those of
// the reed-solomon-erasure crate and klauspost/reedsolomon; a wrong one gives different parity here.
import { encodingMatrix, gfMul } from '../../coder/gf256.ts'

/** The m parity shards of `data` (k shards of equal length). */
export function referenceParity (data: Uint8Array[], m: number): Uint8Array[] {
  const k = data.length
  const matrix = encodingMatrix(k, m)
  return Array.from({ length: m }, (_, p) => {
    const out = new Uint8Array(data[0].byteLength)
    for (let c = 0; c < k; c++) {
      const coefficient = matrix[k + p][c]
      for (let b = 0; b < out.byteLength; b++) out[b] ^= gfMul(coefficient, data[c][b])
    }
    return out
  })
}
