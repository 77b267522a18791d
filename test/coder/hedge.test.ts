// Hedging in the decoder: a shard whose holder never answers must not hold a stripe up once the hedge policy says
// the stripe is late: one more shard is asked, the first k good blocks win, and the slow shard moves to the back.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createCodec, RS_WASM_CODEC_ID } from '../../coder/codecs.ts'
import { decodeFile, type HedgePolicy, type ShardSource } from '../../coder/decoder.ts'
import { encodeFile } from '../../coder/encoder.ts'
import { chunked, concat, pseudoRandomBytes } from './helpers.ts'

describe('decoder hedging', () => {
  it('asks one extra shard when a holder stalls, and stops asking that holder first', { timeout: 20_000 }, async () => {
    const data = pseudoRandomBytes(7, 5 * 4 * 4096 + 123)
    const codec = await createCodec(RS_WASM_CODEC_ID, 4, 2)
    const shards: Uint8Array[][] = Array.from({ length: 6 }, () => [])
    const { manifest } = await encodeFile(chunked(data), { codec, blockSize: 4096 }, async (stripe) => {
      stripe.blocks.forEach((b, i) => shards[i].push(b.slice()))
    })
    const asked: Array<[number, number]> = []
    // Per stripe: resolves when the silent shard is asked for that stripe.
    const stalls = new Map<number, { promise: Promise<void>, resolve: () => void }>()
    const stallOf = (stripe: number): { promise: Promise<void>, resolve: () => void } => {
      let entry = stalls.get(stripe)
      if (entry === undefined) {
        let resolve: () => void = () => {}
        entry = { promise: new Promise<void>((r) => { resolve = r }), resolve: () => { resolve() } }
        stalls.set(stripe, entry)
      }
      return entry
    }
    const source: ShardSource = {
      async readBlock (index, stripe) {
        asked.push([index, stripe])
        if (index === 0) {
          stallOf(stripe).resolve()
          return await new Promise<never>(() => {}) // a holder that accepted the request and went silent
        }
        return shards[index][stripe]
      }
    }
    // A stripe counts as late once the silent shard has been asked in it (the test stands in for the clock).
    const settled: number[] = []
    const hedge: HedgePolicy = { late: async (stripe) => { await stallOf(stripe).promise }, settled: (stripe) => { settled.push(stripe) } }
    const out: Uint8Array[] = []
    const report = await decodeFile(manifest, source, async (chunk) => { out.push(chunk.slice()) }, { hedge, codec })
    assert.deepEqual(concat(out), data)
    assert.equal(report.hedged, 1, 'one hedge, in the first stripe')
    assert.deepEqual(asked.filter(([index]) => index === 0), [[0, 0]], 'the silent shard was asked once, then moved back')
    assert.deepEqual(report.rebuilt, [0])
    assert.deepEqual(settled, [0, 1, 2, 3, 4, 5])
  })
})
