// Holder maps: changes and generations, live shards, and the choice of extra copies to collect.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { excessCopies, HolderMap, liveShards } from '../../../node/repair/holder-map.ts'

const CID = 'bafyholders'

describe('HolderMap', () => {
  it('records adds and removals with a rising generation', () => {
    const map = new HolderMap(CID)
    assert.equal(map.generation, 0)
    assert.equal(map.add(0, 'a', 'a'), true)
    assert.equal(map.add(1, 'b', 'b'), true)
    assert.equal(map.add(1, 'b', 'b'), false)
    assert.equal(map.generation, 2)
    assert.equal(map.remove(1, 'b', 'a'), true)
    assert.equal(map.remove(3, 'c', 'a'), false)
    assert.equal(map.generation, 3)
    assert.equal(map.version, 3)
    assert.deepEqual([...map.shards()], [[0, ['a']]])
    assert.deepEqual(map.holders(1), [])
    assert.deepEqual(map.state().entries.map(e => [e.index, e.peerId, e.present, e.generation, e.writer]), [[0, 'a', true, 1, 'a'], [1, 'b', false, 3, 'a']])
  })

  it('refuses a bad index', () => {
    assert.throws(() => new HolderMap(CID).add(1.5, 'a', 'a'), { code: 'ERR_INVALID_PARAMETERS' })
  })

  it('computes live shards from a liveness predicate', () => {
    const map = new HolderMap(CID)
    map.add(0, 'a', 'a')
    map.add(0, 'dead', 'dead')
    map.add(1, 'dead', 'dead')
    map.add(2, 'b', 'b')
    assert.deepEqual([...map.liveShards(p => p !== 'dead')], [[0, ['a']], [2, ['b']]])
    assert.deepEqual([...liveShards(new Map([[5, ['x']], [1, ['y', 'x']]]), p => p === 'x')], [[1, ['x']], [5, ['x']]])
  })
})

describe('excessCopies', () => {
  it('finds nothing extra while the file is missing an index', () => {
    assert.deepEqual(excessCopies(CID, new Map([[0, ['a', 'b']], [1, ['c']]]), 3), [])
  })

  it('keeps a sole holder\'s index with it and spreads the rest over peers', () => {
    // A and B both hold 1 and 2; C is the sole holder of 0 and also holds 1.
    const live = new Map([[0, ['c']], [1, ['a', 'b', 'c']], [2, ['b', 'a']]])
    const excess = excessCopies(CID, live, 3)
    const keepers = new Map<number, string>()
    for (const e of excess) keepers.set(e.index, e.keep)
    assert.equal(excess.length, 3)
    assert.notEqual(keepers.get(1), 'c')
    assert.notEqual(keepers.get(1), keepers.get(2))
  })

  const liveMaps = fc.integer({ min: 1, max: 8 }).chain(n => fc.tuple(fc.constant(n),
    fc.array(fc.uniqueArray(fc.constantFrom('p1', 'p2', 'p3', 'p4', 'p5', 'p6'), { minLength: 1, maxLength: 4 }), { minLength: n, maxLength: n })))

  it('leaves exactly one live copy of every index, the same whatever the order of holders', () => {
    fc.assert(fc.property(liveMaps, ([n, holders]) => {
      const live = new Map(holders.map((peers, index) => [index, peers]))
      const excess = excessCopies(CID, live, n)
      const reversed = new Map([...live].reverse().map(([i, peers]) => [i, [...peers].reverse()]))
      assert.deepEqual(excessCopies(CID, reversed, n), excess)
      for (const [index, peers] of live) {
        const left = peers.filter(p => !excess.some(e => e.index === index && e.peerId === p))
        assert.equal(left.length, 1, `index ${index}`)
        for (const e of excess.filter(x => x.index === index)) assert.equal(e.keep, left[0])
      }
    }))
  })
})
