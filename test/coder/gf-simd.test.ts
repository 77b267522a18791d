// The SIMD GF(2^8) kernel against the scalar field arithmetic (coder/gf256.ts, itself pinned to the crate's parity
// bytes by test/coder/gf256-reference.ts): every length (tails shorter than a 16-byte step, pass boundaries),
// every coefficient, and the codec's parity through it.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { simdKernel } from '../../coder/gf-simd.ts'
import { mulAddInto } from '../../coder/gf256.ts'

function scalar (rows: number[][], inputs: Uint8Array[], length: number): Uint8Array[] {
  return rows.map(row => {
    const out = new Uint8Array(length)
    row.forEach((c, j) => { mulAddInto(out, inputs[j], c) })
    return out
  })
}

describe('SIMD GF(2^8) matrix kernel', () => {
  const kernel = simdKernel()

  it('is available on this Node.js (WebAssembly SIMD)', () => {
    assert.ok(kernel !== undefined)
  })

  it('matches the scalar field arithmetic for random matrices and lengths', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 3000 }), fc.integer(),
      (k, r, length, seed) => {
        let x = seed >>> 0
        const next = (): number => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return x >>> 24 }
        const rows = Array.from({ length: r }, () => Array.from({ length: k }, () => next() % 3 === 0 ? 0 : next()))
        const inputs = Array.from({ length: k }, () => Uint8Array.from({ length }, next))
        const outputs = Array.from({ length: r }, () => new Uint8Array(length).fill(0xaa))
        kernel?.multiply(rows, inputs, outputs)
        assert.deepEqual(outputs, scalar(rows, inputs, length))
      }), { numRuns: 200 })
  })

  it('every coefficient, across a pass boundary (512 KiB) and with a 15-byte tail', () => {
    const length = 512 * 1024 + 15
    const input = Uint8Array.from({ length }, (_, i) => (i * 131 + 17) & 0xff)
    for (let c = 0; c < 256; c += c < 16 ? 1 : 37) {
      const out = [new Uint8Array(length)]
      kernel?.multiply([[c]], [input], out)
      assert.deepEqual(out, scalar([[c]], [input], length), `coefficient ${c}`)
    }
  })
})
