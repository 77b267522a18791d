// Stripes read straight into their buffers (a FillSource, what the daemon uses for a file it reads itself) are the
// stripes a stream of chunks gives, at every size and however the source splits its reads.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { readStripes, type FillSource, type Stripe } from '../../coder/stripe-reader.ts'
import { chunked, pseudoRandomBytes } from './helpers.ts'

const BLOCK = 4096

/** A FillSource over `data` that hands out at most `maxRead` bytes per underlying read, as read(2) may. */
function fillSource (data: Uint8Array, maxRead: number): FillSource & { reads: number } {
  let offset = 0
  const source = {
    reads: 0,
    async readInto (target: Uint8Array): Promise<number> {
      let filled = 0
      while (filled < target.byteLength && offset < data.byteLength) {
        const n = Math.min(maxRead, target.byteLength - filled, data.byteLength - offset)
        target.set(data.subarray(offset, offset + n), filled)
        offset += n
        filled += n
        source.reads++
      }
      return filled
    }
  }
  return source
}

async function collect (stripes: AsyncIterable<Stripe>): Promise<Array<{ index: number, blockSize: number, dataBytes: number, bytes: Uint8Array }>> {
  const out = []
  for await (const s of stripes) out.push({ index: s.index, blockSize: s.blockSize, dataBytes: s.dataBytes, bytes: Uint8Array.from(s.blocks.flatMap(b => [...b])) })
  return out
}

describe('readStripes from a FillSource', () => {
  it('gives the same stripes as the same bytes streamed in chunks', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 5 * 6 * BLOCK }), fc.integer({ min: 1, max: 3 * BLOCK }), fc.integer({ min: 1, max: 2 ** 31 }),
      async (k, m, size, split, seed) => {
        const data = pseudoRandomBytes(seed, size)
        const streamed = await collect(readStripes(chunked(data, split), k, m, BLOCK))
        const filled = await collect(readStripes(fillSource(data, split), k, m, BLOCK))
        assert.deepEqual(filled, streamed)
      }), { numRuns: 60 })
  })

  it('reads each full stripe with one call into the stripe\'s own buffer', async () => {
    const data = pseudoRandomBytes(7, 3 * 4 * BLOCK)
    const calls: number[] = []
    const source: FillSource = { async readInto (target) { calls.push(target.byteLength); return await fillSource(data.subarray(calls.length === 1 ? 0 : (calls.length - 1) * 4 * BLOCK), Infinity).readInto(target) } }
    const stripes = await collect(readStripes(source, 4, 2, BLOCK))
    assert.equal(stripes.length, 3)
    assert.deepEqual(calls, [4 * BLOCK, 4 * BLOCK, 4 * BLOCK, 4 * BLOCK]) // the fourth finds the end
  })
})
