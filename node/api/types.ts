// The control API contract between the CLI (client) and the daemon's services (server side). The HTTP layer in
// node/api/server.ts maps routes onto a ControlApi implementation; the daemon provides the real one. Each operation
// owns its result types (share/, fetch/, check/, repair/); this file only re-exports them, so types flow from the
// services up to the API and never back.
import type { ByteSource } from '../../coder/stripe-reader.ts'
import type { CheckResult } from '../check/types.ts'
import type { DeleteStats, RmResult } from '../delete/types.ts'
import type { FetchStart } from '../fetch/types.ts'
import type { JobStatus } from '../repair/repair-queue.ts'
import type { RepairResult, RepairStats } from '../repair/types.ts'
import type { ScrubStats } from '../repair/scrubber.ts'
import type { SharedFile, ShareOptions } from '../share/types.ts'
import type { CacheCounters } from '../gateway/edge-cache.ts'
import type { MirrorFetchStart, MirrorView, PublishOptions, PublishResult, TreeListing, VersionRecordView } from '../mirror/types.ts'

export type { CheckResult, ShardProof } from '../check/types.ts'
export type { DeleteStats, DeletionView, RmHolder, RmResult } from '../delete/types.ts'
export type { FetchReport, FetchStart } from '../fetch/types.ts'
export type { RepairResult, RepairStats, RepairView } from '../repair/types.ts'
export type { DirectoryEntry, MirrorFetchStart, MirrorView, PublishOptions, PublishResult, SkippedPath, TreeListing, VersionRecordView } from '../mirror/types.ts'
export type { ShardPlacementView, SharedFile, ShareOptions, ShareResult } from '../share/types.ts'

export interface IdResult { peerId: string, addresses: string[] }

export interface StatusResult extends RepairStats {
  /** Repair jobs this node leads: queued, deferred for carbon, backing off, running, parked, lost. */
  repairJobs: JobStatus[]
  scrub: ScrubStats
  /** Files deleted by their owners: removed here after their grace, the bytes that gave back, and those still in it. */
  deletes: DeleteStats
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
  /** Shard blocks and bytes this node sent to readers (fetches, gateways, repairs of other nodes). */
  shardsSent: { blocks: number, bytes: number }
  /** The HTTP gateway's base URL (files at <url>/f/<cid>), or null when it is off. */
  gateway: string | null
  /** The gateway's edge cache (stripes served from local disk), or null when it is off. */
  cache: CacheCounters | null
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

/** A file `ls` lists: one this node shared (`shared`: it has a share record, with the name and time of the share) or one
 *  whose manifest it holds. `name` and `sharedAt` come from the share record, else from a version 1 manifest (which
 *  carried them), else are null. */
export interface FileView { cid: string, name: string | null, size: number, k: number, m: number, codec: string, shared: boolean, sharedAt: number | null }

export interface ControlApi {
  id (): Promise<IdResult>
  status (): Promise<StatusResult>
  peers (): Promise<PeerView[]>
  ls (): Promise<FileView[]>
  share (body: ByteSource, options: ShareOptions): Promise<SharedFile>
  /** A file by CID, or an encrypted one by its capability (docs/ENCRYPTION.md). */
  fetch (target: string, options?: { signal?: AbortSignal }): Promise<FetchStart>
  check (cid: string, options?: { signal?: AbortSignal }): Promise<CheckResult>
  /** Repair a file now, on this node. */
  repair (cid: string, options?: { signal?: AbortSignal }): Promise<RepairResult>
  /** Delete a file this node shared: every holder drops it after the grace period. */
  rm (cid: string, options?: { signal?: AbortSignal }): Promise<RmResult>
  /** Publish DIR (on the daemon's machine, an absolute path) as the next version of mirror set NAME. */
  publish (options: PublishOptions): Promise<PublishResult>
  /** Keep `dir` equal to the newest version of `address` (PEERID/NAME); persisted across restarts. */
  follow (address: string, dir: string): Promise<MirrorView>
  /** Stop following `address`; the directory and its versions stay on disk. */
  unfollow (address: string): Promise<MirrorView>
  /** The sets this node publishes or follows. */
  mirrors (): Promise<MirrorView[]>
  /** The version records this node holds for `address`, oldest first. */
  versions (address: string): Promise<VersionRecordView[]>
  /** A version's tree, or the directory PATH of it: `target` is PEERID/NAME[@SEQ][/PATH]. */
  listTree (target: string, options?: { signal?: AbortSignal }): Promise<TreeListing>
  /** One file of a version: `target` is PEERID/NAME[@SEQ]/PATH. Read from this node's followed copy when it has one. */
  fetchPath (target: string, options?: { signal?: AbortSignal }): Promise<MirrorFetchStart>
}
