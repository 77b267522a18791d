// What a share is asked and what it answers: the control API carries these as they are (node/api/types.ts re-exports them).
import type { ProgressEvent } from '../../coder/progress.ts'
import type { ShardReason } from '../placement/index.ts'

export interface ShareOptions {
  /** File size in bytes; the body must carry exactly this many. */
  size: number
  name?: string
  k: number
  m: number
  codec?: string
  blockSize?: number
  allowFewerPeers?: boolean
  /** Encrypt the file under a fresh key (share --encrypt, docs/ENCRYPTION.md); the result's capability reads it. */
  encrypt?: boolean
  signal?: AbortSignal
  onProgress?: (event: ProgressEvent) => void
}

export interface ShardPlacementView { index: number, peer: string, region?: string, zone?: string }

export interface ShareResult {
  cid: string
  /** For an encrypted share only: emcap1.<cid>.<key> (coder/capability.ts), the one way to read the file. Returned
   *  this once and kept nowhere (not in the share record): losing it loses the file. */
  capability?: string
  size: number
  k: number
  m: number
  codec: string
  /** Where each shard is: the holder this share wrote it to, or the one that already held it. */
  shards: ShardPlacementView[]
  /** Shard indexes the swarm already held (this file was shared before, same bytes and coding): not stored again. */
  alreadyHeld: number[]
  /** Lines explaining the placement (share --explain). */
  explain: string[]
  /** The same, structured: per shard the chosen peer, its score terms and the facts behind them. */
  placement: ShardReason[]
  /** Warnings, e.g. several shards on one peer. */
  warnings: string[]
}

/** What the control API answers: the share, and where the sharer's gateway serves the file. */
export interface SharedFile extends ShareResult {
  /** The file on this node's HTTP gateway (<gateway>/f/<cid>/<name>, or /f/<capability>/<name> for an encrypted
   *  file: the URL then holds the key), or null when the gateway is off. */
  url: string | null
}
