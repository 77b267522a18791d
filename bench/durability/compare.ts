// Redundancy schemes side by side: storage overhead n/k against the annual probability of losing the file.
import { markovDurability, type RepairMode } from './markov.ts'
import { pieceSurvival } from './pieces.ts'
import { DurabilityParamsError } from './errors.ts'

export interface Scheme {
  name: string
  /** Data shards (1 for replication). */
  k: number
  /** Parity shards (R-1 for replication ×R). */
  m: number
}

export function replication (copies: number): Scheme {
  return { name: `replication x${copies}`, k: 1, m: copies - 1 }
}

export function reedSolomon (k: number, m: number): Scheme {
  return { name: `RS(${k},${m})`, k, m }
}

/** The schemes docs/DURABILITY.md compares; RS(4,2) is edgemirror's default (coder/constants.ts). */
export const DEFAULT_SCHEMES: readonly Scheme[] = [
  replication(2), replication(3), reedSolomon(4, 2), reedSolomon(6, 3), reedSolomon(10, 4)
]

/** Every RS(k,m) with n = k+m ≤ maxN whose overhead n/k is exactly `overhead` (e.g. 1.5 → (2,1), (4,2), …). */
export function schemesWithOverhead (overhead: number, maxN = 24): Scheme[] {
  if (!(overhead >= 1)) throw new DurabilityParamsError(`overhead must be ≥ 1, got ${overhead}`, { overhead })
  const schemes: Scheme[] = []
  for (let k = 1; k <= maxN; k++) {
    const n = Math.round(k * overhead)
    // n/k must equal the overhead, not merely round to it (1.4 at k=3 would give n=4, overhead 1.33).
    if (n <= maxN && n > k && Math.abs(n - k * overhead) < 1e-9) schemes.push(k === 1 ? replication(n) : reedSolomon(k, n - k))
  }
  return schemes
}

export interface CompareOptions {
  afr: number
  repairHours: number
  repairMode?: RepairMode
  years?: number
  /** Defaults to DEFAULT_SCHEMES; pass any (k, m) to add or replace. */
  schemes?: readonly Scheme[]
}

export interface SchemeDurability {
  name: string
  k: number
  m: number
  n: number
  /** Stored bytes per byte of data, n/k. */
  overhead: number
  /** P(loss within `years`) with repair (Markov model). */
  lossProbability: number
  /** -log10(lossProbability). */
  nines: number
  mttdlYears: number
  /** P(loss within `years`) if nothing is ever repaired: binomial tail with p = 1 - (1 - AFR)^years. */
  noRepairLossProbability: number
}

/** Rows sorted by overhead, then by loss, so schemes that cost the same storage sit next to each other. */
export function compareAtEqualOverhead (options: CompareOptions): SchemeDurability[] {
  const years = options.years ?? 1
  const schemes = options.schemes ?? DEFAULT_SCHEMES
  const pieceLoss = -Math.expm1(years * Math.log1p(-options.afr))
  return schemes.map((scheme): SchemeDurability => {
    const n = scheme.k + scheme.m
    const model = { k: scheme.k, n, afr: options.afr, repairHours: options.repairHours, repairMode: options.repairMode }
    const d = markovDurability(model, years)
    return {
      name: scheme.name,
      k: scheme.k,
      m: scheme.m,
      n,
      overhead: n / scheme.k,
      lossProbability: d.lossProbability,
      nines: d.nines,
      mttdlYears: d.mttdlYears,
      noRepairLossProbability: pieceSurvival(scheme.k, n, pieceLoss).loss
    }
  }).sort((a, b) => a.overhead - b.overhead || a.lossProbability - b.lossProbability)
}
