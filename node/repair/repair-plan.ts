// What repairing one file takes, from what the holder map says and who is alive: the indexes to rebuild, the k shards
// to read, and what placement must know to put the rebuilt shards somewhere new. Pure. The caller places the
// missing indexes with
//   placeShards({ key: cid, k, m, shardSize, indexes: plan.missing, existing: plan.existing, exclude: plan.exclude }, peers, weights)
// and collects `excess` copies once the file is healthy.
import { excessCopies, liveShards, type ExcessCopy, type ShardHolders } from './holder-map.ts'
import { rankPositions } from './leader.ts'

export interface RepairPlanInput {
  cid: string
  k: number
  m: number
  /** Index → peers that reported holding it (HolderMap.shards(), or the locator's Holders.shards). */
  shards: ShardHolders
  isAlive: (peer: string) => boolean
  /** This node: shards it holds are read first (no network). */
  self?: string
  /** Distance to a peer (RTT in ms); lower is nearer, undefined is unknown (ranked after every known one). */
  distance?: (peer: string) => number | undefined
  /** Peers that must not receive a rebuilt shard, beyond the holders that are not alive (e.g. failed targets). */
  exclude?: Iterable<string>
  /** Failure domains of holders, passed on to placement so its zone and region caps count them. */
  locate?: (peer: string) => { region: string, zone: string } | undefined
}

export type FileHealth = 'healthy' | 'degraded' | 'urgent' | 'lost'

export interface ShardSource {
  index: number
  peerId: string
}

export interface ExistingShard extends ShardSource {
  region?: string
  zone?: string
}

export interface RepairPlan {
  cid: string
  k: number
  m: number
  /** healthy: all k + m indexes live; degraded: some missing, more than k live; urgent: exactly k live; lost: < k. */
  health: FileHealth
  /** Distinct indexes with a live holder. */
  live: number
  /** live = k: one more loss and the file is gone. */
  urgent: boolean
  /** Indexes to rebuild, ascending (empty when healthy; when lost they cannot be rebuilt). */
  missing: number[]
  /** The k shards to read to rebuild them, in read order (empty when nothing is missing or the file is lost). */
  read: ShardSource[]
  /** Every live copy: placement counts them against its caps and gives their holders nothing more. */
  existing: ExistingShard[]
  /** Peers placement must not use: holders that are not alive, and the caller's exclusions. Sorted. */
  exclude: string[]
  /** Extra copies to collect (only when healthy; see excessCopies). */
  excess: ExcessCopy[]
  /** What the plan is and why, for `edgemirror repair --explain` and logs. */
  explain: () => string[]
}

/** The repair plan of one file. */
export function planRepair (input: RepairPlanInput): RepairPlan {
  const { cid, k, m, isAlive, self } = input
  const n = k + m
  const live = new Map([...liveShards(input.shards, isAlive)].filter(([index]) => index < n))
  const liveCount = live.size
  const missing = Array.from({ length: n }, (_, i) => i).filter(i => !live.has(i))
  const health: FileHealth = liveCount >= n ? 'healthy' : liveCount < k ? 'lost' : liveCount === k ? 'urgent' : 'degraded'
  const read = health === 'degraded' || health === 'urgent' ? chooseReads(input, live) : []
  const existing = [...live].flatMap(([index, peers]) => peers.map(peerId => ({ index, peerId, ...input.locate?.(peerId) })))
  const down = [...input.shards.values()].flat().filter(p => !isAlive(p))
  const exclude = [...new Set([...down, ...(input.exclude ?? [])])].sort()
  const excess = health === 'healthy' ? excessCopies(cid, live, n) : []
  const explain = (): string[] => {
    const lines = [`${cid}: ${health}, ${liveCount} of ${n} shards live (k=${k})`]
    if (health === 'lost') lines.push(`cannot rebuild: fewer than ${k} shards live; missing ${missing.join(', ')}`)
    if (read.length > 0) {
      lines.push(`rebuild ${missing.join(', ')} from ${read.map(r => `${r.index}@${r.peerId}${r.peerId === self ? ' (local)' : ''}`).join(', ')}`)
    }
    if (exclude.length > 0) lines.push(`do not place on ${exclude.join(', ')}`)
    for (const e of excess) lines.push(`extra copy of ${e.index} on ${e.peerId} (kept on ${e.keep})`)
    return lines
  }
  return { cid, k, m, health, live: liveCount, urgent: health === 'urgent', missing, read, existing, exclude, excess, explain }
}

/** k sources: one holder per live index (local, then nearest, then rendezvous rank), and among indexes local ones
 *  first (free), then data shards (with all k data shards no decoding is needed, only re-encoding parity), then the
 *  nearest. */
function chooseReads (input: RepairPlanInput, live: Map<number, string[]>): ShardSource[] {
  const { cid, k, self } = input
  const rank = rankPositions(cid, [...live.values()].flat())
  const distance = (peer: string): number => peer === self ? -1 : input.distance?.(peer) ?? Infinity
  const byNearness = (a: string, b: string): number => distance(a) - distance(b) || (rank.get(a) as number) - (rank.get(b) as number)
  const sources = [...live].map(([index, peers]) => ({ index, peerId: [...peers].sort(byNearness)[0] }))
  sources.sort((a, b) => Number(b.peerId === self) - Number(a.peerId === self) || Number(a.index >= k) - Number(b.index >= k) ||
    byNearness(a.peerId, b.peerId) || a.index - b.index)
  return sources.slice(0, k)
}
