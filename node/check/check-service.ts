// Checking a file: find its manifest and every holder (DHT providers too when connected peers hold fewer than k + m
// shard indexes), then make every claimed holder prove its claim with one block at a random stripe (a `has` answer is
// only a claim: node/transfer/shard-proof.ts). Nothing is repaired here; the result shows this node's repair view.
import type { DeletionView } from '../delete/types.ts'
import { NotFoundError } from '../errors.ts'
import { verifyTombstone } from '../ownership.ts'
import type { ShardStore } from '../store/shard-store.ts'
import { findFile, type FindFileComponents } from '../transfer/find-file.ts'
import { locate } from '../transfer/locator.ts'
import { proveClaims } from '../transfer/shard-proof.ts'
import type { RepairView } from '../repair/types.ts'
import type { CheckResult } from './types.ts'

export interface CheckComponents extends FindFileComponents {
  store: ShardStore
  /** Failure domains of a peer (this node included), when known: shown per holder. */
  domainsOf: (peer: string) => { region: string, zone: string } | undefined
  /** This node's view of the file's repair, when it has one. */
  repairView: (cid: string) => RepairView | undefined
  /** Whether this node knows `cid` to be deleted (the delete service). */
  deletion?: (cid: string) => Promise<DeletionView | undefined>
  /** Told when this node's own copy failed its proof and was quarantined. */
  onCorruptShard?: (cid: string, index: number) => void
}

export class CheckService {
  constructor (private readonly components: CheckComponents) {}

  async check (cid: string, options: { signal?: AbortSignal } = {}): Promise<CheckResult> {
    const { signal } = options
    const { components } = this
    const deleted = await components.deletion?.(cid)
    // Once its bytes are gone there is nothing left to prove: say that it was deleted, and by whom.
    if (deleted?.purged === true) return { cid, k: 0, m: 0, live: 0, healthy: false, survivesHolderLosses: -1, shards: [], deleted }
    let found
    try {
      found = await findFile(components, cid, m => m.k + m.m, signal)
    } catch (err) {
      const reported = err instanceof NotFoundError ? await this.reportedDeletion(cid, signal) : undefined
      if (reported === undefined) throw err
      return { cid, k: 0, m: 0, live: 0, healthy: false, survivesHolderLosses: -1, shards: [], deleted: reported }
    }
    const { manifest, holders } = found
    const n = manifest.k + manifest.m
    // A claim counts only once proven (one block at a random stripe): a peer can claim shards it does not hold.
    const claims = Array.from({ length: n }, (_, index) => (holders.shards.get(index) ?? []).map(peer => ({ index, peer }))).flat()
    const proofs = await proveClaims(components, cid, manifest, claims, { signal })
    const shards: CheckResult['shards'] = []
    for (let index = 0; index < n; index++) {
      if (!holders.shards.has(index)) shards.push({ index, peer: null, live: false })
    }
    claims.forEach(({ index, peer }, i) => {
      const facts = components.domainsOf(peer)
      shards.push({ index, peer, live: proofs[i] === 'ok', proof: proofs[i], region: facts?.region, zone: facts?.zone })
    })
    shards.sort((a, b) => a.index - b.index)
    const live = new Set(shards.filter(s => s.live).map(s => s.index)).size
    const survivesHolderLosses = holderLossesSurvived(shards, manifest.k)
    return { cid, k: manifest.k, m: manifest.m, live, healthy: live === n, survivesHolderLosses, shards, repair: components.repairView(cid), ...(deleted !== undefined ? { deleted } : {}) }
  }

  /** A file nobody holds any more, on a node that never held it: the tombstones its former holders still keep say
   *  who deleted it. Only validly signed ones count (holders keep only their owners' ones). */
  private async reportedDeletion (cid: string, signal?: AbortSignal): Promise<DeletionView | undefined> {
    const { tombstones } = await locate(this.components, cid, { signal, providers: false })
    const valid = []
    for (const t of tombstones) if (await verifyTombstone(t)) valid.push(t)
    if (valid.length === 0) return undefined
    return { deletedBy: [...new Set(valid.map(t => t.owner))].sort(), deletedAt: Math.max(...valid.map(t => t.issuedAt)), purgeAt: null, purged: true }
  }
}

/** Live holders that can go, the one that takes the most indexes with it (no other live copy) first, with k indexes
 *  still live. Greedy, so exact when each index has one holder (the usual case) and an upper bound otherwise. */
export function holderLossesSurvived (shards: CheckResult['shards'], k: number): number {
  const holders = new Map<string, Set<number>>()
  for (const s of shards) if (s.live && s.peer !== null) holders.set(s.peer, (holders.get(s.peer) ?? new Set()).add(s.index))
  const live = (): Set<number> => new Set([...holders.values()].flatMap(set => [...set]))
  if (live().size < k) return -1
  for (let lost = 0; ; lost++) {
    const copies = new Map<number, number>()
    for (const set of holders.values()) for (const i of set) copies.set(i, (copies.get(i) ?? 0) + 1)
    const cost = (set: Set<number>): number => [...set].filter(i => copies.get(i) === 1).length
    const worst = [...holders].sort((a, b) => cost(b[1]) - cost(a[1]) || (a[0] < b[0] ? -1 : 1))[0]
    if (worst === undefined) return lost
    holders.delete(worst[0])
    if (live().size < k) return lost
  }
}
