// What a check answers: the control API carries it as it is (node/api/types.ts re-exports it).
import type { DeletionView } from '../delete/types.ts'
import type { RepairView } from '../repair/types.ts'
import type { ShardProof } from '../transfer/shard-proof.ts'

export type { ShardProof }

export interface CheckResult {
  cid: string
  k: number
  m: number
  live: number
  healthy: boolean
  /** How many live holders the file can lose, the worst ones first, and still be read: m when every shard is on a peer
   *  of its own, less when a peer holds several (a share with --allow-fewer-peers); -1 when it cannot be read now. */
  survivesHolderLosses: number
  /** Every claimed (index, holder), and a `peer: null` entry for an index nobody claims. A holder is live only when it
   *  proved its claim: one block at a random stripe, read from it and checked against the manifest. */
  shards: Array<{ index: number, peer: string | null, live: boolean, proof?: ShardProof, region?: string, zone?: string }>
  /** This node's view of the file's repair: holder-map generation, health, whether it leads the repair, its job. */
  repair?: RepairView
  /** Set when the file was deleted by its owners: during the grace its shards are still listed (and fetchable); once
   *  they are removed (`purged`), k, m and shards are empty. */
  deleted?: DeletionView
}
