// placeShards: where each shard of a file goes. Hard constraints first (one shard per peer, failure-domain caps,
// free space), then the soft score (carbon, latency, fill, rendezvous hash) orders the peers, and a greedy walk in
// that order takes every peer that still fits. Pure: same inputs, same answer, whatever order the peers come in.
import { InvalidParametersError } from '../../coder/errors.ts'
import { NotEnoughPeersError, PlacementInfeasibleError, SHARE_FEWER_PEERS_HINT, shareFewerPeersHint } from '../errors.ts'
import { assignIndexes, type Slot } from './assign-indexes.ts'
import { DomainIndex, placeable, smallestCap, UNDECLARED_ZONE, zoneRoom, type DomainMap } from './domains.ts'
import { explainPlacement } from './explain.ts'
import { hash64, rendezvousWeight, type Hash64 } from './rendezvous.ts'
import { scoreOf, scorePeer } from './score.ts'
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

/** Candidate numbers best first: by score, then peer id. Only the best `limit` are sorted (a quickselect-style
 *  cut on the score first): the walk rarely goes deep, and sorting 10,000 candidates per file would dominate. */
function bestFirst (peers: PlacementPeer[], scores: Float64Array, limit: number): number[] {
  let chosen = Array.from(scores.keys())
  if (limit < scores.length) {
    const cut = Float64Array.from(scores).sort()[limit - 1]
    chosen = chosen.filter(i => scores[i] <= cut)
  }
  return chosen.sort((a, b) => scores[a] - scores[b] || (peers[a].peerId < peers[b].peerId ? -1 : peers[a].peerId > peers[b].peerId ? 1 : 0))
}

/** Number the zones and regions of the existing holders and the candidates, and count the existing shards in each.
 *  A holder whose zone is unknown (not a candidate, no labels given) counts toward no cap: placement cannot know
 *  which domain it shares. */
function domainMap (existing: ExistingShard[], facts: Map<string, PlacementPeer>, eligible: PlacementPeer[], need: number, shardSize: number): DomainMap {
  const index = new DomainIndex()
  const known: number[] = []
  for (const e of existing) {
    const region = facts.get(e.peerId)?.region ?? e.region
    const zone = facts.get(e.peerId)?.zone ?? e.zone
    if (region !== undefined && zone !== undefined) known.push(index.zone(region, zone, e.peerId))
  }
  const zoneOf = Int32Array.from(eligible, p => index.zone(p.region, p.zone, p.peerId))
  const existingInZone = new Int32Array(index.zoneNames.length)
  const existingInRegion = new Int32Array(index.regionNames.length)
  for (const z of known) {
    existingInZone[z]++
    existingInRegion[index.zoneRegion[z]]++
  }
  const room = Float64Array.from(eligible, p => shardSize === 0 ? need : Math.floor(p.freeBytes / shardSize))
  return { index, zoneOf, room, existingInZone, existingInRegion }
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
  const inZone = zoneRoom(d, peerCap)
  let zoneCap = zoneBase
  const inZones = placeable(d, inZone, zoneBase, n)
  if (inZones < need) {
    const zones = d.index.zoneNames.length
    if (!fewer) {
      throw new PlacementInfeasibleError(`at most ${zoneBase} shard(s) per zone (m=${m}) fit only ${inZones} of ${need} shards into the ${zones} zone(s) with eligible peers`,
        { need, placeable: inZones, zoneCap: zoneBase, zones })
    }
    zoneCap = smallestCap(zoneBase, n, c => placeable(d, inZone, c, n) >= need) as number
  }
  const even = smallestCap(1, n, c => placeable(d, inZone, zoneCap, c) >= need) as number
  return { peerCap, zoneCap, regionCap: Math.max(zoneCap, even) }
}

interface Pick { at: number, rank: number, copy: number, skipped: ShardReason['skipped'] }

/** Walk the candidates in `order`, taking each that fits under the caps; with peerCap > 1, walk again for second
 *  shares. Returns fewer picks than needed only if `order` ran out. */
function greedy (order: number[], d: DomainMap, caps: Caps, need: number): Pick[] {
  const inZone = Int32Array.from(d.existingInZone)
  const inRegion = Int32Array.from(d.existingInRegion)
  const taken = new Int32Array(d.zoneOf.length)
  const picks: Pick[] = []
  for (let progressed = true; progressed && picks.length < need;) {
    progressed = false
    const skipped = { zoneFull: 0, regionFull: 0, peerFull: 0 }
    for (let rank = 0; rank < order.length && picks.length < need; rank++) {
      const i = order[rank]
      const zone = d.zoneOf[i]
      const region = d.index.zoneRegion[zone]
      if (taken[i] >= Math.min(caps.peerCap, d.room[i])) { skipped.peerFull++; continue }
      if (inZone[zone] >= caps.zoneCap) { skipped.zoneFull++; continue }
      if (inRegion[region] >= caps.regionCap) { skipped.regionFull++; continue }
      picks.push({ at: i, rank: rank + 1, copy: taken[i], skipped: { ...skipped } })
      taken[i]++
      inZone[zone]++
      inRegion[region]++
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
  const eligible: PlacementPeer[] = []
  for (const peer of peers) {
    if (facts.has(peer.peerId)) continue
    facts.set(peer.peerId, peer)
    if (holding.has(peer.peerId)) ineligible.alreadyHolding++
    else if (excluded.has(peer.peerId)) ineligible.excluded++
    else if (!validFacts(peer)) ineligible.badFacts++
    else if (!(peer.freeBytes >= request.shardSize)) ineligible.noSpace++
    else eligible.push(peer)
  }
  const fewer = request.allowFewerPeers === true && eligible.length < need
  if (eligible.length < need && !fewer) {
    // A whole file: say which geometry the peers at hand can hold; a partial placement (repair, a re-placed shard)
    // cannot change its geometry.
    const whole = request.indexes === undefined && existing.length === 0
    throw new NotEnoughPeersError(eligible.length, need, { ineligible }, whole ? shareFewerPeersHint(eligible.length, request.k, request.m) : SHARE_FEWER_PEERS_HINT)
  }

  const hashes: Hash64[] = eligible.map(p => hash64(p.peerId))
  const scores = Float64Array.from(eligible, (p, i) => scoreOf(p, rendezvousWeight(fileHash, hashes[i]), request, w))
  const d = domainMap(existing, facts, eligible, need, request.shardSize)
  const caps = need === 0 ? { peerCap: 1, zoneCap: Math.max(1, request.m), regionCap: Math.max(1, request.m) } : chooseCaps(d, need, n, request.m, fewer)
  // Caps rarely bind far down the list: walk the best 16 x need first, everything only if that falls short.
  let picks = greedy(bestFirst(eligible, scores, 16 * need + 64), d, caps, need)
  if (picks.length < need) picks = greedy(bestFirst(eligible, scores, eligible.length), d, caps, need)
  if (picks.length < need) throw new PlacementInfeasibleError(`only ${picks.length} of ${need} shards fit under the caps`, { need, placed: picks.length, ...caps })

  const slots: Slot[] = picks.map(p => ({ peerId: eligible[p.at].peerId, hash: hashes[p.at], copy: p.copy }))
  const pickOf = new Map(slots.map((s, i) => [s, picks[i]]))
  const chosen = assignIndexes(fileHash, indexes, slots)
  const details: ShardReason[] = indexes.map(index => {
    const pick = pickOf.get(chosen.get(index) as Slot) as Pick
    const s = scorePeer(eligible[pick.at], hashes[pick.at], fileHash, request, w)
    return { index, peerId: s.peer.peerId, region: s.peer.region, zone: s.peer.zone, score: s.score, terms: s.terms, facts: s.facts, rank: pick.rank, skipped: pick.skipped }
  })
  const regions = d.index.regionNames.length
  const constraints: PlacementConstraints = {
    ...caps,
    regions,
    zones: d.index.zoneNames.length,
    ownZones: eligible.filter(p => p.zone === UNDECLARED_ZONE).length,
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
