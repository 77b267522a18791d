// A sync's lookups in batches: one locateMany per window of files, shared by the fetches that start together, each
// answer handed out once, and nothing for a CID outside the sync's list.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { HolderBatches } from '../../../node/mirror/holder-batches.ts'
import type { Holders } from '../../../node/transfer/locator.ts'

function fakeLocate (): { calls: string[][], locate: (cids: string[]) => Promise<Map<string, Holders>> } {
  const calls: string[][] = []
  return {
    calls,
    locate: async (cids) => {
      calls.push(cids)
      await new Promise(resolve => setImmediate(resolve))
      return new Map(cids.map(c => [c, { manifest: [`holder-of-${c}`], shards: new Map([[0, [`holder-of-${c}`]]]), tombstones: [] }]))
    }
  }
}

describe('HolderBatches', () => {
  it('looks up a window at a time, shared by fetches that start together', async () => {
    const order = Array.from({ length: 10 }, (_, i) => `cid-${i}`)
    const { calls, locate } = fakeLocate()
    const batches = new HolderBatches(locate, order, 4)
    const first = await Promise.all(order.slice(0, 4).map(async c => await batches.holdersOf(c)))
    assert.deepEqual(first.map(h => h?.manifest[0]), order.slice(0, 4).map(c => `holder-of-${c}`))
    assert.deepEqual(calls, [order.slice(0, 4)])
    for (const c of order.slice(4)) assert.equal((await batches.holdersOf(c))?.manifest[0], `holder-of-${c}`)
    assert.deepEqual(calls, [order.slice(0, 4), order.slice(4, 8), order.slice(8)])
  })

  it('hands each answer out once, and nothing for CIDs it was not given or when the lookup fails', async () => {
    const { calls, locate } = fakeLocate()
    const batches = new HolderBatches(locate, ['a', 'b'], 4)
    assert.ok(await batches.holdersOf('a'))
    assert.equal(await batches.holdersOf('elsewhere'), undefined)
    assert.ok(await batches.holdersOf('b'))
    assert.equal(calls.length, 1)
    // A second fetch of 'a' (a retry) looks it up again.
    assert.ok(await batches.holdersOf('a'))
    assert.equal(calls.length, 2)
    const failing = new HolderBatches(async () => { throw new Error('no peers') }, ['x'], 4)
    assert.equal(await failing.holdersOf('x'), undefined)
  })
})
