// Checking a file: find its manifest and every holder (DHT providers too when connected peers hold fewer than k + m
// shard indexes), then make every claimed holder prove its claim with one block at a random stripe (a `has` answer is
// only a claim: node/transfer/shard-proof.ts). Nothing is repaired here; the result shows this node's repair view.
import type { ShardStore } from '../store/shard-store.ts'
import { findFile, type FindFileComponents } from '../transfer/find-file.ts'
import { proveClaims } from '../transfer/shard-proof.ts'
import type { RepairView } from '../repair/types.ts'
import type { CheckResult } from './types.ts'

export interface CheckComponents extends FindFileComponents {
  store: ShardStore
  /** Failure domains of a peer (this node included), when known: shown per holder. */
  domainsOf: (peer: string) => { region: string, zone: string } | undefined
  /** This node's view of the file's repair, when it has one. */
  repairView: (cid: string) => RepairView | undefined
  /** Told when this node's own copy failed its proof and was quarantined. */
  onCorruptShard?: (cid: string, index: number) => void
}

export class CheckService {
  constructor (private readonly components: CheckComponents) {}

  async check (cid: string, options: { signal?: AbortSignal } = {}): Promise<CheckResult> {
    const { signal } = options
    const { components } = this
    const { manifest, holders } = await findFile(components, cid, m => m.k + m.m, signal)
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
    return { cid, k: manifest.k, m: manifest.m, live, healthy: live === n, survivesHolderLosses, shards, repair: components.repairView(cid) }
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
