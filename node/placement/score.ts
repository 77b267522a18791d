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

function knownRtt (peer: PlacementPeer): boolean {
  return peer.rttMs !== undefined && Number.isFinite(peer.rttMs) && peer.rttMs >= 0
}

/** RTT from the readers: measured if known, else a guess from the region. */
function readerRtt (peer: PlacementPeer, request: PlacementRequest): number {
  if (knownRtt(peer)) return peer.rttMs as number
  return request.readerRegion !== undefined && request.readerRegion === peer.region ? UNKNOWN_RTT_SAME_REGION_MS : UNKNOWN_RTT_MS
}

/** Fill after this shard lands: used / (used + free), in [0, 1]; a peer without a limit counts as empty. */
function fillAfter (peer: PlacementPeer, shardSize: number): number {
  if (peer.freeBytes === Infinity) return 0
  const total = peer.usedBytes + peer.freeBytes
  return total <= 0 ? 1 : Math.min(1, (peer.usedBytes + shardSize) / total)
}

const peerGco2 = (peer: PlacementPeer): number => gco2PerTbMonth(peer.carbon, peer.kwhPerTbMonth ?? STORAGE_KWH_PER_TB_MONTH)

/** The score alone (the hot path: every candidate, every file). A zero weight makes its term vanish exactly
 *  (carbon weight 0 = the carbon-blind order): the term is skipped, not multiplied, so rounding is identical too. */
export function scoreOf (peer: PlacementPeer, hrw: number, request: PlacementRequest, weights: Weights): number {
  let score = HRW_WEIGHT * hrw
  if (weights.carbon !== 0) score += weights.carbon * peerGco2(peer) / REFERENCE_GCO2_PER_TB_MONTH
  if (weights.latency !== 0) score += weights.latency * readerRtt(peer, request) / RTT_REFERENCE_MS
  if (weights.balance !== 0) score += weights.balance * fillAfter(peer, request.shardSize)
  return score
}

/** The score with its terms and the facts behind them, for the explanation. */
export function scorePeer (peer: PlacementPeer, hash: Hash64, fileHash: Hash64, request: PlacementRequest, weights: Weights): ScoredPeer {
  const hrw = rendezvousWeight(fileHash, hash)
  const gco2 = peerGco2(peer)
  const rttMs = readerRtt(peer, request)
  const fill = fillAfter(peer, request.shardSize)
  const terms: ScoreTerms = { carbon: gco2 / REFERENCE_GCO2_PER_TB_MONTH, latency: rttMs / RTT_REFERENCE_MS, balance: fill, hrw }
  return { peer, hash, score: scoreOf(peer, hrw, request, weights), terms, facts: { gco2PerTbMonth: gco2, carbon: peer.carbon, rttMs, rttKnown: knownRtt(peer), fillAfter: fill } }
}
