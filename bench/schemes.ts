// Redundancy schemes by the names the benchmarks print ("replicas-3", "rs-4-2"), as the durability model's Scheme
// (k data shards, m parity; replication ×R is k=1, m=R-1) and as `edgemirror share` flags.
import { reedSolomon, replication, type Scheme } from './durability/compare.ts'

export interface NamedScheme extends Scheme {
  /** The id the JSON lines carry: 'replicas-3', 'rs-4-2' (bench/transfer.ts uses the same). */
  id: string
}

/** Replication ×2 and ×3, RS(4,2), RS(6,3), RS(10,4): the schemes issue 7 compares everywhere. */
export const DEFAULT_SCHEME_IDS = ['replicas-2', 'replicas-3', 'rs-4-2', 'rs-6-3', 'rs-10-4'] as const

export function parseScheme (id: string): NamedScheme {
  const replicas = /^replicas-(\d+)$/.exec(id)
  if (replicas != null && Number(replicas[1]) >= 2) return { id, ...replication(Number(replicas[1])) }
  const rs = /^rs-(\d+)-(\d+)$/.exec(id)
  if (rs != null && Number(rs[1]) >= 1 && Number(rs[2]) >= 1 && Number(rs[1]) + Number(rs[2]) <= 256) return { id, ...reedSolomon(Number(rs[1]), Number(rs[2])) }
  throw new Error(`unknown scheme ${JSON.stringify(id)}: use replicas-<r> (r ≥ 2) or rs-<k>-<m> (k + m ≤ 256)`)
}

/** A comma-separated list, e.g. "rs-4-2,replicas-3"; the defaults when undefined. */
export function parseSchemes (list: string | undefined): NamedScheme[] {
  const ids = list === undefined ? [...DEFAULT_SCHEME_IDS] : list.split(',').map(s => s.trim()).filter(s => s !== '')
  if (ids.length === 0) throw new Error('--schemes lists no scheme')
  return [...new Set(ids)].map(parseScheme)
}

/** `edgemirror share` flags for the scheme. */
export function shareFlags (scheme: Scheme): string[] {
  return scheme.k === 1 ? ['--replicas', String(scheme.m + 1)] : ['--k', String(scheme.k), '--m', String(scheme.m)]
}
