// Plain data in and out of placement: what placement knows about a peer, what it is asked to place, and the
// answer with its reasons. No sockets, no clock: everything placement depends on is in these shapes.
import type { Weights } from './weights.ts'

/** One candidate holder, as the peer directory knows it. */
export interface PlacementPeer {
  peerId: string
  /** Failure domains: a zone (a building, a power feed, a home) lies inside a region (a metro, a continent). A zone
   *  of '' (UNDECLARED_ZONE, domains.ts) is undeclared: the peer is a failure domain of its own. */
  region: string
  zone: string
  /** Grid carbon intensity where the peer runs, gCO2/kWh. */
  carbon: number
  /** Space this peer will still accept, bytes (Infinity: no limit configured). */
  freeBytes: number
  usedBytes: number
  /** Round-trip time from the sharing peer (measured by ping, or estimated from Vivaldi coordinates). */
  rttMs?: number
  /** Storage energy of this peer's medium, kWh per TB-month; default STORAGE_KWH_PER_TB_MONTH (an HDD). */
  kwhPerTbMonth?: number
}

/** A shard index already placed (repair: the surviving shards). Region and zone, if given, are used when the holder
 *  is not among the candidates (e.g. it is busy but still holds its shard). */
export interface ExistingShard {
  index: number
  peerId: string
  region?: string
  zone?: string
}

export interface PlacementRequest {
  /** Per-file key for rendezvous hashing (the upload id or the file CID). */
  key: string
  k: number
  m: number
  /** Bytes one shard takes on its holder. */
  shardSize: number
  /** Only place these indexes (default: every index in [0, k+m) not in `existing`). */
  indexes?: number[]
  /** Shards already placed: their holders count toward the zone and region caps and are not given another shard. */
  existing?: ExistingShard[]
  /** Peers not to use. */
  exclude?: string[]
  /** With fewer eligible peers than shards to place, put several shards on a peer instead of failing. */
  allowFewerPeers?: boolean
  /** Region of the expected readers (default: unknown); used to guess latency for peers without an RTT. */
  readerRegion?: string
}

/** The score terms of one peer, each on a fixed scale (see constants.ts): 0 is best. */
export interface ScoreTerms {
  carbon: number
  latency: number
  balance: number
  /** Rendezvous hash of (file key, peer) in [0, 1): spreads files over equally good peers. */
  hrw: number
}

/** Why one shard went where it went. */
export interface ShardReason {
  index: number
  peerId: string
  region: string
  zone: string
  /** Weighted sum of the terms, lower is better. */
  score: number
  terms: ScoreTerms
  /** The facts behind the terms. */
  facts: { gco2PerTbMonth: number, carbon: number, rttMs: number, rttKnown: boolean, fillAfter: number }
  /** 1-based position of this peer among the eligible candidates in score order. */
  rank: number
  /** Better-scored peers passed over (before this one was taken) because a cap was reached. */
  skipped: { zoneFull: number, regionFull: number, peerFull: number }
}

export interface PlacementConstraints {
  /** Most shards of this file one peer holds (1 unless there are fewer peers than shards and that is allowed). */
  peerCap: number
  /** Most shards of this file one zone holds (existing ones included). */
  zoneCap: number
  /** Most shards of this file one region holds (existing ones included). */
  regionCap: number
  regions: number
  zones: number
  /** Eligible peers with no declared zone: each is a zone of its own (counted in `zones`). */
  ownZones: number
  /** Losing any one zone / any one region loses at most m shards. */
  zoneLossSurvivable: boolean
  regionLossSurvivable: boolean
  candidates: number
  eligible: number
  /** Why candidates were not eligible. */
  ineligible: { excluded: number, alreadyHolding: number, noSpace: number, badFacts: number }
}

export interface Placement {
  shards: Array<{ index: number, peerId: string }>
  /** Some peer holds more than one shard of this file (fewer peers than shards, allowed by the request). */
  multiplePerPeer: boolean
  /** Human-readable reasons: a summary line, the constraints, then one line per shard. */
  explain (): string[]
}

/** What placeShards returns: the placement with structured reasons (for `--explain --json`). */
export interface ExplainedPlacement extends Placement {
  details: ShardReason[]
  constraints: PlacementConstraints
  weights: Weights
}
