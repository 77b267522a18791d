// placeShards: where each shard of a file goes. Hard constraints first (one shard per peer, failure-domain caps,
// free space), then the soft score (carbon, latency, fill, rendezvous hash) orders the peers, and a greedy walk in
// that order takes every peer that still fits. Pure: same inputs, same answer, whatever order the peers come in.
import { InvalidParametersError } from '../../coder/errors.ts'
import { NotEnoughPeersError, PlacementInfeasibleError } from '../errors.ts'
import { assignIndexes, type Slot } from './assign-indexes.ts'
import { placeable, smallestCap, zoneKey, type DomainMap } from './domains.ts'
import { explainPlacement } from './explain.ts'
import { hash64 } from './rendezvous.ts'
import { scorePeer, type ScoredPeer } from './score.ts'
import type { ExistingShard, ExplainedPlacement, PlacementConstraints, PlacementPeer, PlacementRequest, ShardReason } from './types.ts'
import { DEFAULT_WEIGHTS, normalizeWeights, type Weights } from './weights.ts'

/** The indexes to place, after checking the request's numbers. */
function indexesToPlace (request: PlacementRequest): number[] {
  const { k, m } = request
  if (!Number.isInteger(k) || k < 1 || !Number.isInteger(m) || m < 0) throw new InvalidParametersError(`bad geometry k=${k} m=${m}`, { k, m })
  if (!(request.shardSize >= 0) || !Number.isFinite(request.shardSize)) throw new InvalidParametersError(`bad shard size ${request.shardSize}`)
  const n = k + m
  const inRange = (i: number): boolean => Number.isInteger(i) && i >= 0 && i < n
  const existing = new Set<number>()
  for (const e of request.existing ?? []) {
    if (!inRange(e.index) || existing.has(e.index)) throw new InvalidParametersError(`bad or repeated existing shard index ${e.index}`, { index: e.index })
    existing.add(e.index)
  }
  const wanted = request.indexes ?? Array.from({ length: n }, (_, i) => i).filter(i => !existing.has(i))
  const seen = new Set<number>()
  for (const i of wanted) {
    if (!inRange(i) || seen.has(i) || existing.has(i)) throw new InvalidParametersError(`bad, repeated or already placed shard index ${i}`, { index: i })
    seen.add(i)
  }
  return [...wanted].sort((a, b) => a - b)
}

function validFacts (p: PlacementPeer): boolean {
  return Number.isFinite(p.carbon) && p.carbon >= 0 && p.usedBytes >= 0 && p.freeBytes >= 0 &&
    (p.kwhPerTbMonth === undefined || (Number.isFinite(p.kwhPerTbMonth) && p.kwhPerTbMonth >= 0))
}

function byScore (a: ScoredPeer, b: ScoredPeer): number {
  return a.score - b.score || (a.peer.peerId < b.peer.peerId ? -1 : a.peer.peerId > b.peer.peerId ? 1 : 0)
}

/** Shards already in each zone and region. A holder whose zone is unknown (not a candidate, no labels given)
 *  counts toward no cap: placement cannot know which domain it shares. */
function existingDomains (existing: ExistingShard[], facts: Map<string, PlacementPeer>): { inZone: Map<string, number>, inRegion: Map<string, number>, regionOfZone: Map<string, string> } {
  const inZone = new Map<string, number>()
  const inRegion = new Map<string, number>()
  const regionOfZone = new Map<string, string>()
  for (const e of existing) {
    const region = facts.get(e.peerId)?.region ?? e.region
    const zone = facts.get(e.peerId)?.zone ?? e.zone
    if (region === undefined || zone === undefined) continue
    const key = zoneKey(region, zone)
    regionOfZone.set(key, region)
    inZone.set(key, (inZone.get(key) ?? 0) + 1)
    inRegion.set(region, (inRegion.get(region) ?? 0) + 1)
  }
  return { inZone, inRegion, regionOfZone }
}

interface Caps { peerCap: number, zoneCap: number, regionCap: number }

/** The caps (module comment in domains.ts). A zone holds at most m shards (1 when m = 0), so losing a zone is
 *  survivable. A region holds at most max(zone cap, the most even spread the candidates allow): with enough regions
 *  that is m and a region loss is survivable; with fewer, the regions share the shards as evenly as they can. With
 *  fewer peers than shards (allowed), a peer takes at most ceil-like shares and the zone cap relaxes the same way. */
function chooseCaps (d: DomainMap, need: number, n: number, m: number, fewer: boolean): Caps {
  const zoneBase = Math.max(1, m)
  let peerCap = 1
  if (fewer) {
    const cap = smallestCap(1, need, c => d.room.reduce((sum, r) => sum + Math.min(c, r), 0) >= need)
    if (cap === undefined) throw new PlacementInfeasibleError(`the ${d.room.length} eligible peer(s) have room for fewer than ${need} shards`, { need })
    peerCap = cap
  }
  let zoneCap = zoneBase
  const inZones = placeable(d, peerCap, zoneBase, n)
  if (inZones < need) {
    if (!fewer) {
      throw new PlacementInfeasibleError(`at most ${zoneBase} shard(s) per zone (m=${m}) fit only ${inZones} of ${need} shards into the ${d.regionOfZone.size} zone(s) with eligible peers`,
        { need, placeable: inZones, zoneCap: zoneBase, zones: d.regionOfZone.size })
    }
    zoneCap = smallestCap(zoneBase, n, c => placeable(d, peerCap, c, n) >= need) as number
  }
  const even = smallestCap(1, n, c => placeable(d, peerCap, zoneCap, c) >= need) as number
  return { peerCap, zoneCap, regionCap: Math.max(zoneCap, even) }
}

interface Pick { at: number, copy: number, skipped: ShardReason['skipped'] }

/** Walk the peers best first, taking each that fits under the caps; with peerCap > 1, walk again for second shares. */
function greedy (eligible: ScoredPeer[], d: DomainMap, caps: Caps, need: number): Pick[] {
  const inZone = new Map(d.existingInZone)
  const inRegion = new Map(d.existingInRegion)
  const taken = new Array<number>(eligible.length).fill(0)
  const picks: Pick[] = []
  for (let progressed = true; progressed && picks.length < need;) {
    progressed = false
    const skipped = { zoneFull: 0, regionFull: 0, peerFull: 0 }
    for (let i = 0; i < eligible.length && picks.length < need; i++) {
      const zone = d.zoneOf[i]
      const region = d.regionOfZone.get(zone) as string
      if (taken[i] >= Math.min(caps.peerCap, d.room[i])) { skipped.peerFull++; continue }
      if ((inZone.get(zone) ?? 0) >= caps.zoneCap) { skipped.zoneFull++; continue }
      if ((inRegion.get(region) ?? 0) >= caps.regionCap) { skipped.regionFull++; continue }
      picks.push({ at: i, copy: taken[i], skipped: { ...skipped } })
      taken[i]++
      inZone.set(zone, (inZone.get(zone) ?? 0) + 1)
      inRegion.set(region, (inRegion.get(region) ?? 0) + 1)
      progressed = true
    }
  }
  return picks
}

export function placeShards (request: PlacementRequest, peers: PlacementPeer[], weights: Weights = DEFAULT_WEIGHTS): ExplainedPlacement {
  const w = normalizeWeights(weights)
  const indexes = indexesToPlace(request)
  const n = request.k + request.m
  const need = indexes.length
  const existing = request.existing ?? []
  const fileHash = hash64(request.key)
  const excluded = new Set(request.exclude ?? [])
  const holding = new Set(existing.map(e => e.peerId))
  const facts = new Map<string, PlacementPeer>()
  const ineligible = { excluded: 0, alreadyHolding: 0, noSpace: 0, badFacts: 0 }
  const eligible: ScoredPeer[] = []
  for (const peer of peers) {
    if (facts.has(peer.peerId)) continue
    facts.set(peer.peerId, peer)
    if (holding.has(peer.peerId)) ineligible.alreadyHolding++
    else if (excluded.has(peer.peerId)) ineligible.excluded++
    else if (!validFacts(peer)) ineligible.badFacts++
    else if (!(peer.freeBytes >= request.shardSize)) ineligible.noSpace++
    else eligible.push(scorePeer(peer, hash64(peer.peerId), fileHash, request, w))
  }
  eligible.sort(byScore)

  const fewer = request.allowFewerPeers === true && eligible.length < need
  if (eligible.length < need && !fewer) throw new NotEnoughPeersError(eligible.length, need, { ineligible })
  const known = existingDomains(existing, facts)
  const d: DomainMap = {
    zoneOf: eligible.map(s => zoneKey(s.peer.region, s.peer.zone)),
    regionOfZone: known.regionOfZone,
    room: eligible.map(s => request.shardSize === 0 ? need : Math.floor(s.peer.freeBytes / request.shardSize)),
    existingInZone: known.inZone,
    existingInRegion: known.inRegion
  }
  for (const s of eligible) d.regionOfZone.set(zoneKey(s.peer.region, s.peer.zone), s.peer.region)
  const caps = need === 0 ? { peerCap: 1, zoneCap: Math.max(1, request.m), regionCap: Math.max(1, request.m) } : chooseCaps(d, need, n, request.m, fewer)
  const picks = greedy(eligible, d, caps, need)
  if (picks.length < need) throw new PlacementInfeasibleError(`only ${picks.length} of ${need} shards fit under the caps`, { need, placed: picks.length, ...caps })

  const slots: Slot[] = picks.map(p => ({ peerId: eligible[p.at].peer.peerId, hash: eligible[p.at].hash, copy: p.copy }))
  const pickOf = new Map(slots.map((s, i) => [s, picks[i]]))
  const chosen = assignIndexes(fileHash, indexes, slots)
  const details: ShardReason[] = indexes.map(index => {
    const pick = pickOf.get(chosen.get(index) as Slot) as Pick
    const s = eligible[pick.at]
    return { index, peerId: s.peer.peerId, region: s.peer.region, zone: s.peer.zone, score: s.score, terms: s.terms, facts: s.facts, rank: pick.at + 1, skipped: pick.skipped }
  })
  const regions = new Set(d.regionOfZone.values()).size
  const constraints: PlacementConstraints = {
    ...caps,
    regions,
    zones: d.regionOfZone.size,
    zoneLossSurvivable: Math.max(caps.zoneCap, caps.peerCap) <= request.m,
    regionLossSurvivable: regions >= 2 && caps.regionCap <= request.m,
    candidates: facts.size,
    eligible: eligible.length,
    ineligible
  }
  const shards = details.map(r => ({ index: r.index, peerId: r.peerId }))
  return {
    shards,
    multiplePerPeer: picks.some(p => p.copy > 0),
    details,
    constraints,
    weights: w,
    explain: () => explainPlacement(request, constraints, w, details)
  }
}
