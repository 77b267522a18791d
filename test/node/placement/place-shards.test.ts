// Examples: the explanation a user reads, the errors and their codes, and the weights spec.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseWeights, placeShards, type PlacementPeer } from '../../../node/placement/index.ts'

const peer = (i: number, over: Partial<PlacementPeer> = {}): PlacementPeer => ({
  peerId: `peer-${i}`, region: `r${i % 3}`, zone: `z${i}`, carbon: 100 + 50 * i, freeBytes: 1e9, usedBytes: 0, rttMs: 10 + i, ...over
})
const world = Array.from({ length: 12 }, (_, i) => peer(i))

describe('placeShards examples', () => {
  it('explains each shard: peer, domains, score terms, rank', () => {
    const p = placeShards({ key: 'file', k: 4, m: 2, shardSize: 1000 }, world)
    const lines = p.explain()
    assert.match(lines[0], /^placement: RS\(4,2\), 6 shard\(s\) of 1000 bytes to place; 12 candidate\(s\), 12 eligible/)
    assert.match(lines[1], /<=1 per peer, <=2 per zone over 12 zone\(s\) \(a zone loss is survivable\), <=2 per region over 3 region\(s\) \(a region loss is survivable\)/)
    assert.equal(lines.length, 3 + 6)
    for (const [i, line] of lines.slice(3).entries()) {
      assert.match(line, new RegExp(`^shard ${i} -> peer-\\d+ \\(region r\\d, zone z\\d+\\): score 0\\.\\d{3}; terms: carbon .* gCO2/kWh, .* gCO2/TB-month\\), latency .* ms\\), balance .*, hash .*; rank \\d+ of 12`))
    }
    assert.deepEqual(p.details.map(d => d.index), [0, 1, 2, 3, 4, 5])
    assert.ok(p.details.every(d => d.facts.rttKnown && d.rank >= 1))
    assert.doesNotThrow(() => JSON.stringify(p.details))
  })

  it('says when a better peer was passed over for a full region', () => {
    // Four clean peers in r0, m = 1: the region cap (1 with 4 regions) keeps three of them out.
    const peers = [...[0, 1, 2, 3].map(i => peer(i, { region: 'r0', carbon: 10 })), ...[4, 5, 6].map(i => peer(i, { region: `r${i}`, carbon: 800 }))]
    const p = placeShards({ key: 'f', k: 2, m: 1, shardSize: 1 }, peers)
    assert.equal(p.constraints.regionCap, 1)
    assert.equal(p.shards.filter(s => ['peer-0', 'peer-1', 'peer-2', 'peer-3'].includes(s.peerId)).length, 1)
    assert.ok(p.explain().some(l => /passed over 3 better-scored peer\(s\): 0 zone full, 3 region full/.test(l)))
  })

  it('guesses latency for unpinged peers from the readers region', () => {
    const p = placeShards({ key: 'f', k: 1, m: 0, shardSize: 1, readerRegion: 'r1' }, [peer(1, { rttMs: undefined })], { carbon: 0, latency: 1, balance: 0 })
    assert.equal(p.details[0].facts.rttKnown, false)
    assert.equal(p.details[0].facts.rttMs, 40)
    assert.match(p.explain()[3], /guessed 40\.00 ms/)
  })

  it('refuses too few peers with ERR_NOT_ENOUGH_PEERS, counting why peers were not eligible', () => {
    const peers = [peer(0), peer(1, { freeBytes: 10 }), peer(2), peer(3)]
    assert.throws(() => placeShards({ key: 'f', k: 2, m: 1, shardSize: 100, exclude: ['peer-2'] }, peers), (err: any) => {
      assert.equal(err.code, 'ERR_NOT_ENOUGH_PEERS')
      assert.deepEqual(err.details.ineligible, { excluded: 1, alreadyHolding: 0, noSpace: 1, badFacts: 0 })
      return true
    })
  })

  it('places several shards per peer when allowed, evenly, and flags it', () => {
    const peers = Array.from({ length: 6 }, (_, i) => peer(i, { region: 'local', zone: `zone-${i}` }))
    const p = placeShards({ key: 'f', k: 10, m: 4, shardSize: 1000, allowFewerPeers: true }, peers)
    assert.equal(p.shards.length, 14)
    assert.equal(p.multiplePerPeer, true)
    const counts = new Map<string, number>()
    for (const s of p.shards) counts.set(s.peerId, (counts.get(s.peerId) ?? 0) + 1)
    assert.deepEqual([...counts.values()].sort(), [2, 2, 2, 2, 3, 3])
    assert.equal(p.constraints.peerCap, 3)
  })

  it('fails with ERR_PLACEMENT_INFEASIBLE when the zones cannot hold the shards', () => {
    const peers = Array.from({ length: 9 }, (_, i) => peer(i, { zone: i < 7 ? 'same' : `z${i}`, region: 'one' }))
    assert.throws(() => placeShards({ key: 'f', k: 6, m: 3, shardSize: 1 }, peers), (err: any) => {
      assert.equal(err.code, 'ERR_PLACEMENT_INFEASIBLE')
      assert.match(err.message, /at most 3 shard\(s\) per zone \(m=3\) fit only 5 of 9 shards into the 3 zone\(s\)/)
      return true
    })
  })

  it('counts every peer without a declared zone as a failure domain of its own, and says so', () => {
    // Six daemons started with no --zone: one shared zone would allow m = 2 shards and RS(4,2) would not fit (issue #15).
    const peers = Array.from({ length: 6 }, (_, i) => peer(i, { region: 'default', zone: '' }))
    const p = placeShards({ key: 'f', k: 4, m: 2, shardSize: 1 }, peers)
    assert.equal(new Set(p.shards.map(s => s.peerId)).size, 6)
    assert.equal(p.constraints.zones, 6)
    assert.equal(p.constraints.ownZones, 6)
    const lines = p.explain()
    assert.match(lines[1], /over 6 zone\(s\) \(6 peer\(s\) declared no --zone: each is a failure domain of its own\)/)
    assert.ok(lines.slice(3).every(l => /zone undeclared: its own\)/.test(l)))
    // A declared zone is still one domain: the same six peers in one named zone hold at most m shards.
    assert.throws(() => placeShards({ key: 'f', k: 4, m: 2, shardSize: 1 }, peers.map(q => ({ ...q, zone: 'rack' }))), { code: 'ERR_PLACEMENT_INFEASIBLE' })
    // A survivor with an undeclared zone counts in its own zone only: repair may put the missing shard anywhere else.
    const repair = placeShards({ key: 'f', k: 1, m: 1, shardSize: 1, existing: [{ index: 0, peerId: 'peer-0', region: 'default', zone: '' }] }, peers.slice(1, 2))
    assert.deepEqual(repair.shards, [{ index: 1, peerId: 'peer-1' }])
  })

  it('says which geometry the peers at hand can hold when there are too few for the file', () => {
    const three = [peer(0), peer(1), peer(2)]
    const cases: Array<[{ k: number, m: number }, PlacementPeer[], RegExp]> = [
      [{ k: 4, m: 2 }, three, /3 available, 6 needed \(with 3 peers try --k 2 --m 1 \(survives 1 lost peer\(s\)\), or --allow-fewer-peers/],
      [{ k: 4, m: 2 }, [...three, peer(3), peer(4)], /with 5 peers try --k 3 --m 2 /],
      [{ k: 1, m: 4 }, three, /with 3 peers try --replicas 3 \(survives 2 lost/],
      [{ k: 2, m: 1 }, [peer(0)], /with 1 peer\(s\) no geometry survives a lost peer: use --allow-fewer-peers/]
    ]
    for (const [geometry, peers, message] of cases) {
      assert.throws(() => placeShards({ key: 'f', shardSize: 1, ...geometry }, peers), (err: any) => err.code === 'ERR_NOT_ENOUGH_PEERS' && message.test(err.message))
    }
  })

  it('with too few peers and --allow-fewer-peers, doubles up and reports the reduced fault tolerance', () => {
    const p = placeShards({ key: 'f', k: 4, m: 2, shardSize: 1, allowFewerPeers: true }, [peer(0, { zone: '' }), peer(1, { zone: '' }), peer(2, { zone: '' })])
    assert.equal(p.multiplePerPeer, true)
    assert.equal(p.constraints.peerCap, 2)
    assert.ok(p.explain().some(l => /^fewer peers than shards: peer-\d holds shards \d, \d; peer-\d holds shards \d, \d; peer-\d holds shards \d, \d \(losing one/.test(l)), p.explain().join('\n'))
    // Two shards per peer with m = 2: one lost peer is survivable, two are not.
    const one = placeShards({ key: 'f', k: 2, m: 1, shardSize: 1, allowFewerPeers: true }, [peer(0, { zone: '' }), peer(1, { zone: '' })])
    assert.equal(one.constraints.zoneLossSurvivable, false)
    assert.match(one.explain()[1], /<=2 per peer.*a zone loss may cost more than m shards/)
  })

  it('rejects bad requests with ERR_INVALID_PARAMETERS', () => {
    const bad = [{ k: 0, m: 1 }, { k: 2, m: -1 }, { k: 2, m: 1, indexes: [3] }, { k: 2, m: 1, indexes: [0, 0] }, { k: 2, m: 1, indexes: [0], existing: [{ index: 0, peerId: 'peer-1' }] }]
    for (const b of bad) assert.throws(() => placeShards({ key: 'f', shardSize: 1, ...b }, world), { code: 'ERR_INVALID_PARAMETERS' })
  })

  it('repairs only the missing index, away from the survivors and their zones', () => {
    const full = placeShards({ key: 'f', k: 4, m: 2, shardSize: 1 }, world)
    const lost = full.shards[2]
    const existing = full.shards.filter(s => s !== lost)
    const p = placeShards({ key: 'f', k: 4, m: 2, shardSize: 1, existing, indexes: [lost.index] }, world.filter(x => x.peerId !== lost.peerId))
    assert.deepEqual(p.shards.map(s => s.index), [lost.index])
    assert.ok(!existing.some(e => e.peerId === p.shards[0].peerId))
    assert.equal(p.constraints.ineligible.alreadyHolding, 5)
  })
})

describe('parseWeights', () => {
  it('parses and normalises', () => {
    assert.deepEqual(parseWeights('carbon=0.5,latency=0.3,balance=0.2'), { carbon: 0.5, latency: 0.3, balance: 0.2 })
    assert.deepEqual(parseWeights(' carbon = 2 , latency=2 '), { carbon: 0.5, latency: 0.5, balance: 0 })
    assert.deepEqual(parseWeights('balance=.5'), { carbon: 0, latency: 0, balance: 1 })
  })

  it('refuses unknown keys, negative or non-numeric values, repeats and all-zero with ERR_USAGE', () => {
    for (const spec of ['', 'carbon', 'co2=1', 'carbon=-1', 'carbon=abc', 'carbon=1e3', 'carbon=NaN', 'carbon=1,carbon=2', 'carbon=0,latency=0', 'carbon=1;latency=1']) {
      assert.throws(() => parseWeights(spec), { code: 'ERR_USAGE' }, spec)
    }
  })

  it('placeShards refuses bad weight objects too', () => {
    assert.throws(() => placeShards({ key: 'f', k: 1, m: 0, shardSize: 1 }, world, { carbon: Number.NaN, latency: 1, balance: 0 }), { code: 'ERR_USAGE' })
  })
})
