// Which shard index goes to which chosen holder. Shards are not interchangeable (index 0 is data, index k+1 parity),
// so a holder that stays should keep its index when the holder set changes. Each (index, holder) pair gets a
// rendezvous weight and pairs are taken heaviest first (greedy matching, which is the unique stable matching when
// both sides rank by the same weight). Replacing one holder then moves its index plus, rarely, a short chain of
// indexes that now prefer the newcomer (docs/PLACEMENT.md, "Churn").
import { indexWeight, type Hash64 } from './rendezvous.ts'

/** One place a shard can go: a holder, and which of its shards of this file (copy > 0 only with fewer peers). */
export interface Slot { peerId: string, hash: Hash64, copy: number }

export function assignIndexes (fileHash: Hash64, indexes: number[], slots: Slot[]): Map<number, Slot> {
  const pairs: Array<{ index: number, slot: number, weight: number }> = []
  for (const index of indexes) {
    slots.forEach((s, slot) => { pairs.push({ index, slot, weight: indexWeight(fileHash, index, s.hash, s.copy) }) })
  }
  const bySlot = (a: number, b: number): number => {
    const x = slots[a]
    const y = slots[b]
    return x.peerId === y.peerId ? x.copy - y.copy : (x.peerId < y.peerId ? -1 : 1)
  }
  pairs.sort((a, b) => b.weight - a.weight || a.index - b.index || bySlot(a.slot, b.slot))
  const chosen = new Map<number, Slot>()
  const taken = new Set<number>()
  for (const p of pairs) {
    if (chosen.has(p.index) || taken.has(p.slot)) continue
    chosen.set(p.index, slots[p.slot])
    taken.add(p.slot)
    if (chosen.size === indexes.length) break
  }
  return chosen
}
