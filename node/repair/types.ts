// What repair answers and counts: the control API carries these as they are (node/api/types.ts re-exports them).
import type { RepairPlan } from './repair-plan.ts'
import type { JobStatus } from './repair-queue.ts'

export interface RepairResult {
  cid: string
  /** Shard indexes rebuilt and where they went. */
  rebuilt: Array<{ index: number, peer: string }>
  live: number
  healthy: boolean
}

export interface RepairStats {
  repairsQueued: number
  repairsDone: number
  repairsFailed: number
  bytesRepaired: number
  /** Extra copies this node deleted because others hold the same index. */
  copiesCollected: number
  /** Copies this node kept although another holder claimed the same shard, because that holder could not prove its
   *  copy (a `has` answer is only a claim: node/transfer/shard-proof.ts). */
  copiesKept: number
  /** Files with fewer than k live shards seen by this node. */
  filesLost: number
}

/** What `check` shows of a file's repair state on this node. */
export interface RepairView {
  generation: number
  health: RepairPlan['health']
  leader: boolean
  job?: JobStatus
}
