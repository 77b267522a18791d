// The holder map of one file on this node: which peers hold which shard index, as their shard reports (`has` answers,
// one per heartbeat) and this node's own repairs and collections say. Each node keeps its own maps; they are not
// exchanged (no protocol carries one: docs/REPAIR.md, "Holder maps").
//
// The map is a set of entries, one per (index, peer) pair: { present, generation, writer }. `present` false is a
// tombstone ("this peer no longer holds this index"). Every change stamps its entry with the map's generation + 1,
// so the generation counts the changes that made the map what it is (check shows it).
import { MAX_TOTAL_SHARDS } from '../../coder/constants.ts'
import { InvalidParametersError } from '../../coder/errors.ts'
import { rankPositions } from './leader.ts'

export interface HolderEntry {
  index: number
  peerId: string
  /** False: a tombstone (the peer no longer holds the index). */
  present: boolean
  generation: number
  /** Peer that wrote this entry (usually the holder itself; the repairer for a shard it placed or collected). */
  writer: string
}

/** A holder map as plain data. Entries sorted by (index, peerId). */
export interface HolderMapState {
  cid: string
  entries: HolderEntry[]
}

/** Shard index → peers, the shape the locator returns (node/transfer/locator.ts Holders.shards). */
export type ShardHolders = ReadonlyMap<number, readonly string[]>

/** An extra copy of a shard index: `peerId` may delete it, `keep` keeps the index's copy. */
export interface ExcessCopy {
  index: number
  peerId: string
  keep: string
}

const keyOf = (index: number, peerId: string): string => `${index}\0${peerId}`

export class HolderMap {
  private readonly entries = new Map<string, HolderEntry>()
  private lamport = 0
  private changes = 0

  constructor (readonly cid: string) {}

  /** Highest generation among the entries (0 when empty). */
  get generation (): number {
    return this.lamport
  }

  /** Number of changes to this map. */
  get version (): number {
    return this.changes
  }

  /** `writer` says `peerId` holds `index`. False when the map already says so. */
  add (index: number, peerId: string, writer: string): boolean {
    return this.write(index, peerId, writer, true)
  }

  /** `writer` says `peerId` no longer holds `index` (deleted, quarantined, or collected as an extra copy). */
  remove (index: number, peerId: string, writer: string): boolean {
    return this.write(index, peerId, writer, false)
  }

  /** Peers that hold `index`, sorted. */
  holders (index: number): string[] {
    return this.shards().get(index) ?? []
  }

  /** Index → peers holding it (tombstones left out), indexes ascending, peers sorted. */
  shards (): Map<number, string[]> {
    const shards = new Map<number, string[]>()
    for (const entry of this.state().entries) {
      if (entry.present) shards.set(entry.index, [...(shards.get(entry.index) ?? []), entry.peerId])
    }
    return shards
  }

  /** Index → live peers holding it; indexes without a live holder are left out. */
  liveShards (isAlive: (peer: string) => boolean): Map<number, string[]> {
    return liveShards(this.shards(), isAlive)
  }

  /** The map as plain sorted data (canonical: equal maps give deep-equal states). */
  state (): HolderMapState {
    const entries = [...this.entries.values()].map(e => ({ ...e }))
    entries.sort((a, b) => a.index - b.index || (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0))
    return { cid: this.cid, entries }
  }

  toJSON (): HolderMapState {
    return this.state()
  }

  private write (index: number, peerId: string, writer: string, present: boolean): boolean {
    checkIndex(index)
    const key = keyOf(index, peerId)
    const mine = this.entries.get(key)
    if (mine !== undefined ? mine.present === present : !present) return false
    this.lamport++
    this.entries.set(key, { index, peerId, present, generation: this.lamport, writer })
    this.changes++
    return true
  }
}

/** Keep only the live holders; drop indexes left without one. */
export function liveShards (shards: ShardHolders, isAlive: (peer: string) => boolean): Map<number, string[]> {
  const live = new Map<number, string[]>()
  for (const [index, peers] of [...shards].sort((a, b) => a[0] - b[0])) {
    const alive = peers.filter(isAlive)
    if (alive.length > 0) live.set(index, alive)
  }
  return live
}

/** Copies beyond one per index, among the live holders `live` of a file with n = k + m shards. Every peer computes
 *  the same answer from the same map. Nothing is extra until all n indexes have a live copy: while a file is
 *  degraded a second copy of an index is still redundancy, and collecting it can never leave fewer than n distinct
 *  live indexes because one copy of each is kept.
 *
 *  Which copy stays: indexes are taken in order, and each keeps the copy on the peer that keeps the fewest indexes
 *  of this file so far (a peer that is sole holder of an index keeps it), ties broken by the file's rendezvous
 *  ranking (leader.ts). So if A and B both hold indexes 1 and 2, A keeps one and B the other: one peer's loss
 *  still costs one shard, not two. */
export function excessCopies (cid: string, live: ShardHolders, n: number): ExcessCopy[] {
  for (let index = 0; index < n; index++) if ((live.get(index)?.length ?? 0) === 0) return []
  const kept = new Map<string, number>()
  const keep = (peer: string): void => { kept.set(peer, (kept.get(peer) ?? 0) + 1) }
  const indexes = [...live.keys()].sort((a, b) => a - b)
  for (const index of indexes) {
    const peers = new Set(live.get(index))
    if (peers.size === 1) keep([...peers][0])
  }
  const rank = rankPositions(cid, [...live.values()].flat())
  const excess: ExcessCopy[] = []
  for (const index of indexes) {
    const peers = [...new Set(live.get(index))]
    if (peers.length < 2) continue
    peers.sort((a, b) => (kept.get(a) ?? 0) - (kept.get(b) ?? 0) || (rank.get(a) as number) - (rank.get(b) as number))
    const [keeper, ...extra] = peers
    keep(keeper)
    for (const peerId of extra) excess.push({ index, peerId, keep: keeper })
  }
  return excess
}

function checkIndex (index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_TOTAL_SHARDS) throw new InvalidParametersError(`shard index must be an integer in [0, ${MAX_TOTAL_SHARDS}), got ${index}`, { index })
}

