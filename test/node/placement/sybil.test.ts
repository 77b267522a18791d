// Sybil peers grabbing placement (#19 item 5): many peer ids are cheap, and each reports its own zone, region, carbon
// and free space. What bounds them is the failure-domain caps: ids that claim one zone get at most the zone cap (m) of
// a file's shards, ids that claim one region at most the region cap, so the honest holders keep at least k and the
// file survives every Sybil withholding its shards. Ids that lie about distinct zones and regions are not bounded by
// placement: docs/SECURITY.md ("Sybil") points to --swarm-key, tested in test/swarm/private-swarm.test.ts.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { placeShards, type PlacementPeer } from '../../../node/placement/index.ts'

const honest: PlacementPeer[] = Array.from({ length: 8 }, (_, i) => ({
  peerId: `honest-${i}`, region: `r${i % 4}`, zone: `z${i}`, carbon: 300, freeBytes: 1e12, usedBytes: 0, rttMs: 40
}))
/** 20 ids that look better than every honest peer on every score term (no carbon, no latency, empty disks). */
const sybils = (domains: (i: number) => { region: string, zone: string }): PlacementPeer[] => Array.from({ length: 20 }, (_, i) => ({
  peerId: `sybil-${i}`, ...domains(i), carbon: 0, freeBytes: 1e15, usedBytes: 0, rttMs: 0
}))
const FILES = 200

function sybilShares (peers: PlacementPeer[], k: number, m: number): number[] {
  const counts: number[] = []
  for (let f = 0; f < FILES; f++) {
    const placement = placeShards({ key: `file-${f}`, k, m, shardSize: 1 << 20 }, peers)
    assert.equal(placement.shards.length, k + m)
    counts.push(placement.shards.filter(s => s.peerId.startsWith('sybil-')).length)
  }
  return counts
}

describe('Sybil ids and placement', () => {
  for (const [k, m] of [[4, 2], [2, 1], [1, 2]] as const) {
    it(`20 ids in one claimed zone get at most m = ${m} of an RS(${k},${m}) file's shards, so honest peers keep k`, () => {
      const counts = sybilShares([...sybils(() => ({ region: 'r0', zone: 'sybil-zone' })), ...honest], k, m)
      assert.equal(Math.max(...counts), m, 'the Sybils fill their zone up to the cap (they score best), never past it')
    })
  }

  it('20 ids in distinct zones of one claimed region get at most the region cap (m, with enough regions)', () => {
    const counts = sybilShares([...sybils(i => ({ region: 'r0', zone: `sybil-zone-${i}` })), ...honest], 4, 2)
    assert.equal(Math.max(...counts), 2)
  })
})
