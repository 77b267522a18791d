// The soft score of one candidate for one file: weighted carbon, latency and fill terms plus a small rendezvous
// term. Lower is better. A pure function of the peer, the request and the weights (never of the other peers).
import { CARBON_REFERENCE_G_PER_KWH, HRW_WEIGHT, RTT_REFERENCE_MS, UNKNOWN_RTT_MS, UNKNOWN_RTT_SAME_REGION_MS } from './constants.ts'
import { rendezvousWeight, type Hash64 } from './rendezvous.ts'
import { gco2PerTbMonth, STORAGE_KWH_PER_TB_MONTH } from './storage-energy.ts'
import type { PlacementPeer, PlacementRequest, ScoreTerms, ShardReason } from './types.ts'
import type { Weights } from './weights.ts'

export interface ScoredPeer {
  peer: PlacementPeer
  hash: Hash64
  score: number
  terms: ScoreTerms
  facts: ShardReason['facts']
}

const REFERENCE_GCO2_PER_TB_MONTH = gco2PerTbMonth(CARBON_REFERENCE_G_PER_KWH, STORAGE_KWH_PER_TB_MONTH)

/** RTT from the readers: measured if known, else a guess from the region. */
function readerRtt (peer: PlacementPeer, request: PlacementRequest): { rttMs: number, known: boolean } {
  if (peer.rttMs !== undefined && Number.isFinite(peer.rttMs) && peer.rttMs >= 0) return { rttMs: peer.rttMs, known: true }
  const sameRegion = request.readerRegion !== undefined && request.readerRegion === peer.region
  return { rttMs: sameRegion ? UNKNOWN_RTT_SAME_REGION_MS : UNKNOWN_RTT_MS, known: false }
}

/** Fill after this shard lands: used / (used + free), in [0, 1]; a peer without a limit counts as empty. */
function fillAfter (peer: PlacementPeer, shardSize: number): number {
  if (peer.freeBytes === Infinity) return 0
  const total = peer.usedBytes + peer.freeBytes
  return total <= 0 ? 1 : Math.min(1, (peer.usedBytes + shardSize) / total)
}

export function scorePeer (peer: PlacementPeer, hash: Hash64, fileHash: Hash64, request: PlacementRequest, weights: Weights): ScoredPeer {
  const gco2 = gco2PerTbMonth(peer.carbon, peer.kwhPerTbMonth ?? STORAGE_KWH_PER_TB_MONTH)
  const rtt = readerRtt(peer, request)
  const fill = fillAfter(peer, request.shardSize)
  const terms: ScoreTerms = {
    carbon: gco2 / REFERENCE_GCO2_PER_TB_MONTH,
    latency: rtt.rttMs / RTT_REFERENCE_MS,
    balance: fill,
    hrw: rendezvousWeight(fileHash, hash)
  }
  // A zero weight must make its term vanish exactly (carbon weight 0 = the carbon-blind order), so skip it
  // rather than multiply: 0 * x is 0, but the skipped sum also keeps float rounding identical.
  let score = HRW_WEIGHT * terms.hrw
  if (weights.carbon !== 0) score += weights.carbon * terms.carbon
  if (weights.latency !== 0) score += weights.latency * terms.latency
  if (weights.balance !== 0) score += weights.balance * terms.balance
  return { peer, hash, score, terms, facts: { gco2PerTbMonth: gco2, carbon: peer.carbon, rttMs: rtt.rttMs, rttKnown: rtt.known, fillAfter: fill } }
}
