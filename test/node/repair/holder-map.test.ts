// Holder maps: local changes and generations, the merge laws of the CRDT (property-tested), convergence under
// arbitrary gossip, untrusted input, live shards, and the choice of extra copies to collect.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { excessCopies, HolderMap, liveShards, mergeHolderStates, type HolderMapState } from '../../../node/repair/holder-map.ts'

const CID = 'bafyholders'
const peer = fc.constantFrom('a', 'b', 'c', 'd')
const entry = fc.record({ index: fc.integer({ min: 0, max: 3 }), peerId: peer, present: fc.boolean(), generation: fc.integer({ min: 1, max: 6 }), writer: peer })
const state = fc.array(entry, { maxLength: 12 }).map(entries => HolderMap.fromState({ cid: CID, entries }).state())

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

  it('lets a holder that comes back re-add over the tombstone written while it was away', () => {
    const repairer = new HolderMap(CID)
    const holder = new HolderMap(CID)
    holder.add(2, 'h', 'h')
    repairer.merge(holder)
    repairer.add(0, 'x', 'r')
    repairer.remove(2, 'h', 'r')
    // The holder still had index 2 all along; it hears of the tombstone and says so again.
    holder.merge(repairer)
    assert.deepEqual(holder.holders(2), [])
    holder.add(2, 'h', 'h')
    repairer.merge(holder)
    assert.deepEqual(repairer.holders(2), ['h'])
    assert.deepEqual(repairer.state(), holder.state())
  })

  it('merge is idempotent, commutative and associative', () => {
    fc.assert(fc.property(state, state, state, (a, b, c) => {
      assert.deepEqual(mergeHolderStates(a, a), a)
      assert.deepEqual(mergeHolderStates(a, b), mergeHolderStates(b, a))
      assert.deepEqual(mergeHolderStates(mergeHolderStates(a, b), c), mergeHolderStates(a, mergeHolderStates(b, c)))
    }), { numRuns: 500 })
  })

  it('merge never lowers a generation and reports whether anything changed', () => {
    fc.assert(fc.property(state, state, (a, b) => {
      const map = HolderMap.fromState(a)
      const before = map.generation
      const changed = map.merge(b)
      assert.ok(map.generation >= Math.max(before, HolderMap.fromState(b).generation))
      assert.equal(changed, JSON.stringify(map.state()) !== JSON.stringify(a))
    }))
  })

  it('converges: replicas that change and gossip in any order agree once everyone has heard from everyone', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), replica: fc.nat(2), index: fc.nat(3), peerId: peer }),
      fc.record({ kind: fc.constant('remove' as const), replica: fc.nat(2), index: fc.nat(3), peerId: peer }),
      fc.record({ kind: fc.constant('gossip' as const), replica: fc.nat(2), to: fc.nat(2) })
    )
    fc.assert(fc.property(fc.array(op, { maxLength: 40 }), ops => {
      const replicas = ['r0', 'r1', 'r2'].map(() => new HolderMap(CID))
      for (const o of ops) {
        const r = replicas[o.replica]
        if (o.kind === 'gossip') replicas[o.to].merge(r)
        else if (o.kind === 'add') r.add(o.index, o.peerId, `r${o.replica}`)
        else r.remove(o.index, o.peerId, `r${o.replica}`)
      }
      for (const r of replicas) for (const other of replicas) r.merge(other)
      assert.deepEqual(replicas[1].state(), replicas[0].state())
      assert.deepEqual(replicas[2].state(), replicas[0].state())
    }))
  })

  it('rejects a malformed map from the wire', () => {
    const bad: unknown[] = [
      { cid: CID },
      { cid: CID, entries: [{ index: -1, peerId: 'a', present: true, generation: 1, writer: 'a' }] },
      { cid: CID, entries: [{ index: 256, peerId: 'a', present: true, generation: 1, writer: 'a' }] },
      { cid: CID, entries: [{ index: 0, peerId: '', present: true, generation: 1, writer: 'a' }] },
      { cid: CID, entries: [{ index: 0, peerId: 'a', present: 'yes', generation: 1, writer: 'a' }] },
      { cid: CID, entries: [{ index: 0, peerId: 'a', present: true, generation: 0, writer: 'a' }] },
      { cid: CID, entries: [{ index: 0, peerId: 'a', present: true, generation: 2 ** 60, writer: 'a' }] },
      { cid: CID, entries: [null] },
      { cid: CID, entries: Array.from({ length: 4097 }, (_, i) => ({ index: i % 256, peerId: `p${i}`, present: true, generation: 1, writer: 'a' })) }
    ]
    for (const s of bad) assert.throws(() => HolderMap.fromState(s as HolderMapState), { code: 'ERR_PROTOCOL' }, JSON.stringify(s).slice(0, 80))
  })

  it('refuses to merge another file\'s map and a bad index', () => {
    assert.throws(() => new HolderMap(CID).merge(new HolderMap('bafyother')), { code: 'ERR_INVALID_PARAMETERS' })
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
