// Repair plans: health classes, what to rebuild, which k shards to read (local, data, nearest), what placement
// is told, extra copies, and properties over random holder maps.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { planRepair } from '../../../node/repair/repair-plan.ts'

const CID = 'bafyplan'
const shards = (entries: Array<[number, string[]]>): Map<number, string[]> => new Map(entries)
// A 4+2 file, one shard per peer p0..p5.
const spread = (): Map<number, string[]> => shards([0, 1, 2, 3, 4, 5].map(i => [i, [`p${i}`]]))
const allAlive = (): boolean => true

describe('planRepair', () => {
  it('has nothing to do for a healthy file', () => {
    const plan = planRepair({ cid: CID, k: 4, m: 2, shards: spread(), isAlive: allAlive })
    assert.deepEqual([plan.health, plan.live, plan.urgent, plan.missing, plan.read, plan.exclude, plan.excess], ['healthy', 6, false, [], [], [], []])
    assert.deepEqual(plan.explain(), [`${CID}: healthy, 6 of 6 shards live (k=4)`])
  })

  it('rebuilds what dead holders had, reading data shards first, and keeps the dead out of placement', () => {
    const isAlive = (p: string): boolean => p !== 'p1'
    const plan = planRepair({ cid: CID, k: 4, m: 2, shards: spread(), isAlive, exclude: ['p9'], locate: p => ({ region: 'eu', zone: `z-${p}` }) })
    assert.deepEqual([plan.health, plan.live, plan.urgent, plan.missing], ['degraded', 5, false, [1]])
    // Data shards 0, 2, 3 before parity 4 (among equals, rendezvous order spreads reads over holders); not parity 5.
    assert.deepEqual(plan.read.slice(0, 3).map(r => r.index).sort(), [0, 2, 3])
    assert.deepEqual(plan.read[3], { index: 4, peerId: 'p4' })
    assert.deepEqual(plan.exclude, ['p1', 'p9'])
    assert.deepEqual(plan.existing.map(e => [e.index, e.peerId, e.zone]), [[0, 'p0', 'z-p0'], [2, 'p2', 'z-p2'], [3, 'p3', 'z-p3'], [4, 'p4', 'z-p4'], [5, 'p5', 'z-p5']])
    assert.match(plan.explain()[1], /^rebuild 1 from (\d@p\d, ){3}4@p4$/)
  })

  it('reads its own shards first, then data shards, then the nearest', () => {
    const isAlive = (p: string): boolean => p !== 'p1'
    const distance = (p: string): number | undefined => ({ p0: 50, p2: 5, p3: 80, p4: 1, p5: 2 } as Record<string, number>)[p]
    const plan = planRepair({ cid: CID, k: 4, m: 2, shards: spread(), isAlive, distance, self: 'p5' })
    assert.deepEqual(plan.read.map(r => r.peerId), ['p5', 'p2', 'p0', 'p3'])
    assert.ok(plan.explain().some(line => line.includes('5@p5 (local)')))
  })

  it('reads each index from its nearest live holder', () => {
    const map = shards([[0, ['far', 'near', 'dead']], [1, ['b']], [2, ['c']]])
    const distance = (p: string): number | undefined => p === 'near' ? 3 : p === 'far' ? 90 : undefined
    const plan = planRepair({ cid: CID, k: 2, m: 2, shards: map, isAlive: p => p !== 'dead', distance })
    assert.deepEqual(plan.read, [{ index: 0, peerId: 'near' }, { index: 1, peerId: 'b' }])
    assert.deepEqual(plan.missing, [3])
  })

  it('marks a file at exactly k urgent and one below k lost', () => {
    const urgent = planRepair({ cid: CID, k: 4, m: 2, shards: spread(), isAlive: p => p !== 'p0' && p !== 'p5' })
    assert.deepEqual([urgent.health, urgent.urgent, urgent.missing, urgent.read.length], ['urgent', true, [0, 5], 4])
    const lost = planRepair({ cid: CID, k: 4, m: 2, shards: spread(), isAlive: p => p > 'p2' })
    assert.deepEqual([lost.health, lost.urgent, lost.missing, lost.read], ['lost', false, [0, 1, 2], []])
    assert.match(lost.explain()[1], /cannot rebuild: fewer than 4 shards live; missing 0, 1, 2/)
  })

  it('lists extra copies of a healthy file', () => {
    const map = spread()
    map.set(2, ['p2', 'p7'])
    const plan = planRepair({ cid: CID, k: 4, m: 2, shards: map, isAlive: allAlive })
    assert.equal(plan.excess.length, 1)
    assert.equal(plan.excess[0].index, 2)
  })

  it('holds for any holder map: the reads are k live distinct indexes, missing and live partition the file', () => {
    const peers = ['a', 'b', 'c', 'd', 'e', 'f', 'g']
    const input = fc.record({
      k: fc.integer({ min: 1, max: 6 }),
      m: fc.integer({ min: 0, max: 4 }),
      holders: fc.array(fc.subarray(peers), { minLength: 10, maxLength: 10 }),
      dead: fc.subarray(peers),
      self: fc.constantFrom(...peers)
    })
    fc.assert(fc.property(input, ({ k, m, holders, dead, self }) => {
      const n = k + m
      const map = shards(holders.slice(0, n).map((h, i) => [i, h]))
      const isAlive = (p: string): boolean => !dead.includes(p)
      const plan = planRepair({ cid: CID, k, m, shards: map, isAlive, self })
      const liveIndexes = [...map].filter(([, h]) => h.some(isAlive)).map(([i]) => i)
      assert.equal(plan.live, liveIndexes.length)
      assert.deepEqual([...plan.missing, ...liveIndexes].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i))
      if (plan.health === 'degraded' || plan.health === 'urgent') {
        assert.equal(plan.read.length, k)
        assert.equal(new Set(plan.read.map(r => r.index)).size, k)
        for (const r of plan.read) assert.ok(isAlive(r.peerId) && map.get(r.index)?.includes(r.peerId))
      } else {
        assert.deepEqual(plan.read, [])
      }
      for (const p of plan.exclude) assert.ok(!isAlive(p))
      assert.deepEqual(planRepair({ cid: CID, k, m, shards: new Map([...map].reverse()), isAlive, self }).read, plan.read)
    }))
  })
})
