// The control API contract between the CLI (client) and the daemon's services (server side). The HTTP layer in
// node/api/server.ts maps routes onto a ControlApi implementation; the daemon provides the real one.
import type { ProgressEvent } from '../../coder/progress.ts'
import type { RepairStats, RepairView } from '../repair/repair-service.ts'
import type { JobStatus } from '../repair/repair-queue.ts'
import type { ScrubStats } from '../repair/scrubber.ts'
import type { ShardReason } from '../placement/index.ts'

export interface IdResult { peerId: string, addresses: string[] }

export interface StatusResult extends RepairStats {
  /** Repair jobs this node leads: queued, deferred for carbon, backing off, running, parked, lost. */
  repairJobs: JobStatus[]
  scrub: ScrubStats
  peerId: string
  peers: number
  shards: number
  bytes: number
  manifests: number
  capacity: number | null
  freeBytes: number | null
  zone: string
  region: string
  carbon: { gco2PerKwh: number, source: string, stale: boolean, note?: string }
}

export interface PeerView {
  peerId: string
  addresses: string[]
  zone: string
  region: string
  carbon: number | null
  rttMs: number | null
  /** 'measured' (ping) or 'estimated' (network coordinates) or null when unknown. */
  rttSource: 'measured' | 'estimated' | null
  freeBytes: number | null
}

export interface FileView { cid: string, name: string | null, size: number, k: number, m: number, codec: string, createdAt: number }

export interface ShareOptions {
  /** File size in bytes; the body must carry exactly this many. */
  size: number
  name?: string
  k: number
  m: number
  codec?: string
  blockSize?: number
  allowFewerPeers?: boolean
  signal?: AbortSignal
  onProgress?: (event: ProgressEvent) => void
}

export interface ShardPlacementView { index: number, peer: string, region?: string, zone?: string }

export interface ShareResult {
  cid: string
  size: number
  k: number
  m: number
  codec: string
  shards: ShardPlacementView[]
  /** Lines explaining the placement (share --explain). */
  explain: string[]
  /** The same, structured: per shard the chosen peer, its score terms and the facts behind them. */
  placement: ShardReason[]
  /** Warnings, e.g. several shards on one peer. */
  warnings: string[]
}

export interface FetchStart {
  cid: string
  size: number
  /** Hex SHA-256 of the whole file from the manifest: the client checks what it wrote against it. */
  sha256: string
  name: string | null
  /** The file's bytes; the stream fails (throws) if the file cannot be rebuilt. */
  body: AsyncIterable<Uint8Array>
  /** Resolves after the body is consumed: which shards were missing/corrupt/rebuilt. */
  done: Promise<FetchReport>
}

export interface FetchReport {
  missing: number[]
  /** Shards with a block that failed its hash and no other holder with a good one. */
  corrupt: number[]
  rebuilt: number[]
  /** Stripes for which a slow holder made the fetch ask one extra shard (hedging). */
  hedged: number
  /** Peers that served a block failing its hash: the fetch stopped reading anything of this file from them. */
  badHolders: string[]
}

export interface CheckResult {
  cid: string
  k: number
  m: number
  live: number
  healthy: boolean
  /** Every claimed (index, holder), and a `peer: null` entry for an index nobody claims. A holder is live only when it
   *  proved its claim: one block at a random stripe, read from it and checked against the manifest. */
  shards: Array<{ index: number, peer: string | null, live: boolean, proof?: ShardProof, region?: string, zone?: string }>
  /** This node's view of the file's repair: holder-map generation, health, whether it leads the repair, its job. */
  repair?: RepairView
}

/** ok: the block matched the manifest; failed: the holder answered with a bad block or an error (it cannot serve
 *  the shard); unreachable: no answer in time (down, stalled, cut off). */
export type ShardProof = 'ok' | 'failed' | 'unreachable'

export interface ControlApi {
  id (): Promise<IdResult>
  status (): Promise<StatusResult>
  peers (): Promise<PeerView[]>
  ls (): Promise<FileView[]>
  share (body: AsyncIterable<Uint8Array>, options: ShareOptions): Promise<ShareResult>
  fetch (cid: string, options?: { signal?: AbortSignal }): Promise<FetchStart>
  check (cid: string): Promise<CheckResult>
  /** Repair a file now, on this node. */
  repair (cid: string, options?: { signal?: AbortSignal }): Promise<RepairResult>
}

export interface RepairResult {
  cid: string
  /** Shard indexes rebuilt and where they went. */
  rebuilt: Array<{ index: number, peer: string }>
  live: number
  healthy: boolean
}
