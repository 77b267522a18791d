// Random worlds for placement properties: peers in regions and zones with random carbon, capacity and RTT.
import fc from 'fast-check'
import type { PlacementPeer, PlacementRequest } from '../../../node/placement/index.ts'

export const SHARD = 1000

export interface World { peers: PlacementPeer[], request: PlacementRequest }

export function peerArb (id: string, regions: number, zones: number): fc.Arbitrary<PlacementPeer> {
  return fc.record({
    region: fc.nat(regions - 1),
    zone: fc.nat(zones - 1),
    carbon: fc.integer({ min: 0, max: 900 }),
    free: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 20 * SHARD })),
    used: fc.integer({ min: 0, max: 20 * SHARD }),
    rtt: fc.option(fc.double({ min: 0, max: 300, noNaN: true }), { nil: undefined })
  }).map(r => ({ peerId: id, region: `r${r.region}`, zone: `z${r.zone}`, carbon: r.carbon, freeBytes: r.free, usedBytes: r.used, rttMs: r.rtt }))
}

/** A world of `minPeers`..`maxPeers` peers and an RS(k, m) request for one file. */
export function worldArb (minPeers: number, maxPeers: number, maxK = 8, maxM = 4): fc.Arbitrary<World> {
  return fc.record({ regions: fc.integer({ min: 1, max: 5 }), zones: fc.integer({ min: 1, max: 12 }), count: fc.integer({ min: minPeers, max: maxPeers }) })
    .chain(({ regions, zones, count }) => fc.record({
      peers: fc.tuple(...Array.from({ length: count }, (_, i) => peerArb(`peer-${i}`, regions, zones))),
      k: fc.integer({ min: 1, max: maxK }),
      m: fc.integer({ min: 0, max: maxM }),
      key: fc.string({ minLength: 1, maxLength: 12 })
    }))
    .map(({ peers, k, m, key }) => ({ peers, request: { key, k, m, shardSize: SHARD } }))
}

/** Shards per group (zone or region) including existing ones. */
export function countBy (shards: Array<{ peerId: string }>, peers: PlacementPeer[], group: (p: PlacementPeer) => string): Map<string, number> {
  const byId = new Map(peers.map(p => [p.peerId, p]))
  const counts = new Map<string, number>()
  for (const s of shards) {
    const p = byId.get(s.peerId)
    if (p === undefined) continue
    const g = group(p)
    counts.set(g, (counts.get(g) ?? 0) + 1)
  }
  return counts
}

export const zoneOf = (p: PlacementPeer): string => `${p.region}/${p.zone}`
export const regionOf = (p: PlacementPeer): string => p.region

/** Try a placement; undefined if it throws a placement error (the caller checks which one separately). */
export function tryPlace<T> (place: () => T): T | undefined {
  try {
    return place()
  } catch (err) {
    if (['ERR_NOT_ENOUGH_PEERS', 'ERR_PLACEMENT_INFEASIBLE'].includes((err as { code?: string }).code ?? '')) return undefined
    throw err
  }
}
