// Continuous-time Markov model of one file: n shards on n distinct peers, any k rebuild it, peers fail
// independently with exponential lifetimes, and the swarm repairs a degraded file at rate μ.
//
// States are the number of live shards, n, n-1, …, k, plus k-1 which is absorbing (data loss). From i live
// shards a peer fails at rate i·λ (i → i-1). Repair, from every degraded state k ≤ i < n, is one of:
//  - 'all-missing' (default): i → n at rate μ. edgemirror's repair fetches k shards once and re-encodes every
//    missing shard of the file in the same pass, so the time to repair hardly depends on how many are missing.
//  - 'one-at-a-time': i → i+1 at rate μ, the classic birth-death model of RAID/replication literature, kept to
//    show what batching buys and for systems that rebuild one shard per pass.
// Repair time is exponential with mean 1/μ (what makes it a Markov chain); bench/durability/montecarlo.ts can
// also run a deterministic repair time to show how much that assumption matters.
import { HOURS_PER_YEAR, UNIFORMISATION_EXTRA_TERMS } from './constants.ts'
import { checkAfr, checkCode, checkRepairHours, checkYears } from './params.ts'

export type RepairMode = 'all-missing' | 'one-at-a-time'

export interface FileModel {
  /** Shards needed to rebuild (1 for replication). */
  k: number
  /** Shards stored, on n distinct peers (R for replication ×R). */
  n: number
  /** Annual failure rate of a peer: probability that a given peer loses its shard within a year. */
  afr: number
  /** Mean time from a shard's loss to the file being whole again, in hours; Infinity = never repaired. */
  repairHours: number
  repairMode?: RepairMode
}

export const DEFAULT_REPAIR_MODE: RepairMode = 'all-missing'

/** λ per year such that a peer survives a year with probability 1 - AFR: λ = -ln(1 - AFR). */
export function failureRatePerYear (afr: number): number {
  checkAfr(afr)
  return -Math.log1p(-afr)
}

/** μ per year = 1 / repair time; 0 when repairHours is Infinity. */
export function repairRatePerYear (repairHours: number): number {
  checkRepairHours(repairHours)
  return HOURS_PER_YEAR / repairHours
}

/** Off-diagonal rates between states 0..m+1, where state s means n-s live shards and m+1 is data loss. */
function rateMatrix (model: FileModel): number[][] {
  const { k, n } = model
  checkCode(k, n)
  const lambda = failureRatePerYear(model.afr)
  const mu = repairRatePerYear(model.repairHours)
  const mode = model.repairMode ?? DEFAULT_REPAIR_MODE
  const size = n - k + 2
  const rates = Array.from({ length: size }, () => new Array<number>(size).fill(0))
  for (let s = 0; s < size - 1; s++) {
    rates[s][s + 1] = (n - s) * lambda
    if (s > 0 && mu > 0) rates[s][mode === 'all-missing' ? 0 : s - 1] += mu
  }
  return rates
}

function multiply (a: number[][], b: number[][]): number[][] {
  const size = a.length
  const out = Array.from({ length: size }, () => new Array<number>(size).fill(0))
  for (let i = 0; i < size; i++) {
    for (let l = 0; l < size; l++) {
      const ail = a[i][l]
      if (ail === 0) continue
      for (let j = 0; j < size; j++) out[i][j] += ail * b[l][j]
    }
  }
  return out
}

/**
 * P(data loss within `years`) starting from a whole file: the absorbing entry of exp(Q·t).
 *
 * exp(Q·t) = (exp(Q·h))^(2^s) with h = t/2^s chosen so that Λh ≤ 1 (Λ = the largest exit rate). exp(Q·h) is the
 * uniformised series Σ_j e^{-Λh} (Λh)^j/j! · P^j with P = I + Q/Λ, then it is squared s times. P has no
 * negative entry and neither has any sum or product formed after it, so no step subtracts two close numbers:
 * the loss probability keeps its relative precision at 1e-30 just as at 0.3 (it is read directly from the
 * absorbing column, never formed as 1 - P(alive)). Cost is O((n-k+2)³·(n-k+47+log₂Λt)), well under a
 * millisecond for the codes edgemirror uses, and independent of how stiff μ/λ is.
 */
export function lossProbability (model: FileModel, years = 1): number {
  checkYears(years)
  const rates = rateMatrix(model)
  const size = rates.length
  const exits = rates.map(row => row.reduce((a, b) => a + b, 0))
  const uniformRate = Math.max(...exits)
  if (uniformRate === 0 || years === 0) return 0
  const tau = uniformRate * years
  const squarings = tau > 1 ? Math.ceil(Math.log2(tau)) : 0
  const tauH = tau / 2 ** squarings
  const step = rates.map((row, i) => row.map((r, j) => i === j ? 1 - exits[i] / uniformRate : r / uniformRate))
  let power: number[][] = step.map((row, i) => row.map((_, j) => (i === j ? 1 : 0)))
  let weight = Math.exp(-tauH)
  let expm = power.map(row => row.map(v => v * weight))
  const terms = size + UNIFORMISATION_EXTRA_TERMS
  for (let j = 1; j <= terms; j++) {
    power = multiply(power, step)
    weight *= tauH / j
    for (let a = 0; a < size; a++) for (let b = 0; b < size; b++) expm[a][b] += weight * power[a][b]
  }
  for (let i = 0; i < squarings; i++) expm = multiply(expm, expm)
  return Math.min(1, expm[0][size - 1])
}

/**
 * Mean time to data loss from a whole file, in years, by first-step recurrences with only additions,
 * multiplications and divisions of positive numbers (a generic linear solve of the transient generator loses
 * every digit when μ/λ is large, because its rows nearly cancel).
 *  - 'one-at-a-time' (birth-death): D_i, the mean time to go from i live shards to i-1, is D_n = 1/(nλ),
 *    D_i = (1 + μ·D_{i+1}) / (iλ); MTTDL = Σ_{i=k}^{n} D_i.
 *  - 'all-missing': write T_i = α_i + β_i·T_n and carry γ_i = 1 - β_i (never formed by subtraction):
 *    α_{k-1} = 0, γ_{k-1} = 1, α_i = (1 + iλ·α_{i-1}) / (iλ + μ), γ_i = iλ·γ_{i-1} / (iλ + μ);
 *    MTTDL = T_n = (1/(nλ) + α_{n-1}) / γ_{n-1}.
 * Both give (3λ + μ) / (2λ²) for replication ×2, the textbook mirrored-pair result.
 */
export function mttdlYears (model: FileModel): number {
  const { k, n } = model
  checkCode(k, n)
  const lambda = failureRatePerYear(model.afr)
  const mu = repairRatePerYear(model.repairHours)
  if (lambda === 0) return Infinity
  if ((model.repairMode ?? DEFAULT_REPAIR_MODE) === 'one-at-a-time') {
    let down = 1 / (n * lambda)
    let total = down
    for (let i = n - 1; i >= k; i--) {
      down = (1 + mu * down) / (i * lambda)
      total += down
    }
    return total
  }
  let alpha = 0
  let gamma = 1
  for (let i = k; i <= n - 1; i++) {
    const out = i * lambda
    alpha = (1 + out * alpha) / (out + mu)
    gamma = out * gamma / (out + mu)
  }
  return (1 / (n * lambda) + alpha) / gamma
}

export interface MarkovDurability {
  k: number
  n: number
  afr: number
  repairHours: number
  repairMode: RepairMode
  years: number
  lambdaPerYear: number
  muPerYear: number
  /** P(data loss within `years`). */
  lossProbability: number
  /** -log10(lossProbability): 9 means 99.9999999 % durability over the horizon. */
  nines: number
  mttdlYears: number
}

export function markovDurability (model: FileModel, years = 1): MarkovDurability {
  const loss = lossProbability(model, years)
  return {
    k: model.k,
    n: model.n,
    afr: model.afr,
    repairHours: model.repairHours,
    repairMode: model.repairMode ?? DEFAULT_REPAIR_MODE,
    years,
    lambdaPerYear: failureRatePerYear(model.afr),
    muPerYear: repairRatePerYear(model.repairHours),
    lossProbability: loss,
    nines: -Math.log10(loss),
    mttdlYears: mttdlYears(model)
  }
}
