// Hedging in the decoder: a shard whose holder never answers must not hold a stripe up once the hedge policy says
// the stripe is late: one more shard is asked, the first k good blocks win, and the slow shard moves to the back for a while.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createCodec, RS_WASM_CODEC_ID } from '../../coder/codecs.ts'
import { DEMOTION_STRIPES } from '../../coder/constants.ts'
import { decodeFile, type DecodeReport, type HedgePolicy, type ShardSource } from '../../coder/decoder.ts'
import { encodeFile } from '../../coder/encoder.ts'
import { chunked, concat, pseudoRandomBytes } from './helpers.ts'

/** Decode a file of `stripes` stripes where shard 0's holder goes silent in the stripes `stalls(stripe)` picks. */
async function decodeWithSlowShard (stripes: number, stalls: (stripe: number) => boolean): Promise<{ report: DecodeReport, askedOfSlow: number[], settled: number[] }> {
  const data = pseudoRandomBytes(7, (stripes - 1) * 4 * 4096 + 123)
  const codec = await createCodec(RS_WASM_CODEC_ID, 4, 2)
  const shards: Uint8Array[][] = Array.from({ length: 6 }, () => [])
  const { manifest } = await encodeFile(chunked(data), { codec, blockSize: 4096 }, async (stripe) => {
    stripe.blocks.forEach((b, i) => shards[i].push(b.slice()))
  })
  const askedOfSlow: number[] = []
  // Per stripe: resolves when the silent shard is asked for that stripe.
  const stallSignals = new Map<number, { promise: Promise<void>, resolve: () => void }>()
  const stallOf = (stripe: number): { promise: Promise<void>, resolve: () => void } => {
    let entry = stallSignals.get(stripe)
    if (entry === undefined) {
      let resolve: () => void = () => {}
      entry = { promise: new Promise<void>((r) => { resolve = r }), resolve: () => { resolve() } }
      stallSignals.set(stripe, entry)
    }
    return entry
  }
  const source: ShardSource = {
    async readBlock (index, stripe) {
      if (index === 0) {
        askedOfSlow.push(stripe)
        if (stalls(stripe)) {
          stallOf(stripe).resolve()
          return await new Promise<never>(() => {}) // a holder that accepted the request and went silent
        }
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
  return { report, askedOfSlow, settled }
}

describe('decoder hedging', () => {
  it('asks one extra shard when a holder stalls, and stops asking that holder first', { timeout: 20_000 }, async () => {
    const { report, askedOfSlow, settled } = await decodeWithSlowShard(6, () => true)
    assert.equal(report.hedged, 1, 'one hedge, in the first stripe')
    assert.deepEqual(askedOfSlow, [0], 'the silent shard was asked once, then moved back')
    assert.deepEqual(report.rebuilt, [0])
    assert.deepEqual(settled, [0, 1, 2, 3, 4, 5])
  })

  it('asks a shard first again once its demotion ends, after a hiccup', { timeout: 20_000 }, async () => {
    const stripes = DEMOTION_STRIPES + 10
    const { report, askedOfSlow } = await decodeWithSlowShard(stripes, (stripe) => stripe === 0)
    assert.equal(report.hedged, 1)
    const back = Array.from({ length: stripes - DEMOTION_STRIPES - 1 }, (_, i) => DEMOTION_STRIPES + 1 + i)
    assert.deepEqual(askedOfSlow, [0, ...back], 'skipped for DEMOTION_STRIPES stripes, then read in every stripe')
  })

  it('retries a shard that stays slow ever more rarely (the demotion doubles)', { timeout: 20_000 }, async () => {
    const first = DEMOTION_STRIPES + 1
    const second = first + 2 * DEMOTION_STRIPES + 1
    const { report, askedOfSlow } = await decodeWithSlowShard(second + 4 * DEMOTION_STRIPES, () => true)
    assert.deepEqual(askedOfSlow, [0, first, second])
    assert.equal(report.hedged, 3)
  })
})
