// How many holders a file survives losing, as `check` reports it: m with one shard per peer, less with several.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { holderLossesSurvived } from '../../../node/check/check-service.ts'

const shard = (index: number, peer: string | null, live = true): { index: number, peer: string | null, live: boolean } => ({ index, peer, live })

describe('holderLossesSurvived', () => {
  it('is m with one shard per peer, and less when a peer holds several', () => {
    assert.equal(holderLossesSurvived([0, 1, 2, 3, 4, 5].map(i => shard(i, `p${i}`)), 4), 2)
    // RS(4,2) on 3 peers, two shards each: one lost peer leaves exactly k.
    assert.equal(holderLossesSurvived([0, 1, 2, 3, 4, 5].map(i => shard(i, `p${i % 3}`)), 4), 1)
    // One peer with 3 of the 6: losing it leaves 3 < k.
    assert.equal(holderLossesSurvived([shard(0, 'a'), shard(1, 'a'), shard(2, 'a'), shard(3, 'b'), shard(4, 'c'), shard(5, 'd')], 4), 0)
  })

  it('counts a second live copy, ignores dead claims, and is -1 when the file cannot be read', () => {
    assert.equal(holderLossesSurvived([shard(0, 'a'), shard(0, 'b'), shard(1, 'c')], 2), 0)
    assert.equal(holderLossesSurvived([shard(0, 'a'), shard(0, 'b'), shard(1, 'c')], 1), 2)
    assert.equal(holderLossesSurvived([shard(0, 'a'), shard(1, 'b', false), shard(1, null, false)], 2), -1)
  })
})
