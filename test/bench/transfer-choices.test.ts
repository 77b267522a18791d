// The pure choices of bench/transfer.ts: which peer reads, which holders go down. The whole bench runs in
// test/bench/smoke/transfer.smoke.ts (`npm run test:bench`).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { chooseReader, chooseVictims } from '../../bench/transfer.ts'

describe('bench:transfer choices', () => {
  it('reads through a peer that holds nothing when there is one, else the last peer', () => {
    assert.equal(chooseReader([0, 5, 3], 6, 0), 4)
    assert.equal(chooseReader([0, 1, 2, 3, 4, 5], 6, 0), 5)
    assert.equal(chooseReader([5, 4, 3, 2, 1], 6, 0), 5, 'never the entry peer')
  })

  it('kills holders of the lowest indexes, never the reader, the entry peer last', () => {
    const shards = [{ index: 3, daemon: 1 }, { index: 0, daemon: 0 }, { index: 1, daemon: 5 }, { index: 2, daemon: 2 }, { index: 4, daemon: 4 }, { index: 5, daemon: 3 }]
    assert.deepEqual(chooseVictims(shards, 2, 5, 0), [2, 1])
    assert.deepEqual(chooseVictims(shards, 4, 5, 0), [2, 1, 4, 3])
    assert.deepEqual(chooseVictims([{ index: 0, daemon: 0 }, { index: 1, daemon: 3 }], 2, 5, 0), [3, 0])
    assert.throws(() => chooseVictims([{ index: 0, daemon: 0 }, { index: 1, daemon: 5 }], 2, 5, 0), /cannot take 2 down/)
  })
})
