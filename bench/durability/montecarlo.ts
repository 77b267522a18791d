// Monte Carlo estimate of P(data loss within a horizon) for one file, to check the Markov model (markov.ts)
// and to try assumptions it cannot take, such as a fixed repair time.
//
// It simulates the peers, not the chain: every shard gets its own exponential lifetime, a repaired shard lands
// on a fresh peer with a fresh lifetime, and a repair timer runs while the file is degraded. Real durability
// values (1e-10 and below) need ~1e12 trials to see a single loss, so the model checks here use harsh
// parameters (AFR 50 %, repairs of weeks) where losses are common; the analytic model carries the real values.
import { DEFAULT_REPAIR_MODE, failureRatePerYear, repairRatePerYear, type FileModel, type RepairMode } from './markov.ts'
import { checkCode, checkYears } from './params.ts'
import { DurabilityParamsError } from './errors.ts'
import { Xoshiro128ss } from './prng.ts'
import { wilsonInterval, type Interval } from './wilson.ts'

/** 'exponential' matches the Markov model; 'deterministic' repairs in exactly repairHours. */
export type RepairDistribution = 'exponential' | 'deterministic'

export interface MonteCarloOptions extends FileModel {
  /** Independent files simulated; run time is linear in it (under 1 µs per trial for n ≤ 6). */
  trials: number
  /** 32-bit seed of the xoshiro128** generator. */
  seed: number
  years?: number
  repairDistribution?: RepairDistribution
}

export interface MonteCarloResult {
  k: number
  n: number
  afr: number
  repairHours: number
  repairMode: RepairMode
  repairDistribution: RepairDistribution
  years: number
  trials: number
  seed: number
  losses: number
  /** losses / trials. */
  estimate: number
  /** Wilson score 95 % interval of the loss probability. */
  ci95: Interval
}

export function simulateLoss (options: MonteCarloOptions): MonteCarloResult {
  const { k, n, trials, seed } = options
  checkCode(k, n)
  const years = options.years ?? 1
  checkYears(years)
  if (!Number.isInteger(trials) || trials < 1) throw new DurabilityParamsError(`trials must be an integer ≥ 1, got ${trials}`, { trials })
  const repairMode = options.repairMode ?? DEFAULT_REPAIR_MODE
  const repairDistribution = options.repairDistribution ?? 'exponential'
  const lambda = failureRatePerYear(options.afr)
  const mu = repairRatePerYear(options.repairHours)
  const rng = new Xoshiro128ss(seed)
  const repairDuration = (): number => {
    if (mu === 0) return Infinity
    return repairDistribution === 'exponential' ? rng.nextExponential(mu) : 1 / mu
  }

  const failsAt = new Float64Array(n)
  const alive = new Uint8Array(n)
  let losses = 0
  for (let trial = 0; trial < trials; trial++) {
    for (let i = 0; i < n; i++) {
      failsAt[i] = rng.nextExponential(lambda)
      alive[i] = 1
    }
    let live = n
    let repairAt = Infinity
    for (;;) {
      let next = Infinity
      let victim = -1
      for (let i = 0; i < n; i++) {
        if (alive[i] === 1 && failsAt[i] < next) {
          next = failsAt[i]
          victim = i
        }
      }
      if (repairAt <= next) {
        if (repairAt > years) break
        const now = repairAt
        // 'all-missing' rebuilds every missing shard in the pass; 'one-at-a-time' one, then starts the next.
        for (let i = 0; i < n; i++) {
          if (alive[i] === 0) {
            alive[i] = 1
            failsAt[i] = now + rng.nextExponential(lambda)
            live++
            if (repairMode === 'one-at-a-time') break
          }
        }
        repairAt = live < n ? now + repairDuration() : Infinity
        continue
      }
      if (next > years) break
      alive[victim] = 0
      live--
      if (live < k) {
        losses++
        break
      }
      // The timer starts when the file first becomes degraded; later losses do not restart it.
      if (repairAt === Infinity) repairAt = next + repairDuration()
    }
  }
  return {
    k,
    n,
    afr: options.afr,
    repairHours: options.repairHours,
    repairMode,
    repairDistribution,
    years,
    trials,
    seed,
    losses,
    estimate: losses / trials,
    ci95: wilsonInterval(losses, trials)
  }
}
