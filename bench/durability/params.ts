// Parameter checks shared by the analytic and Monte Carlo models: fail loudly instead of returning NaN.
import { MAX_TOTAL_SHARDS } from './constants.ts'
import { DurabilityParamsError } from './errors.ts'

/** k data shards out of n in total: 1 ≤ k ≤ n ≤ 256. */
export function checkCode (k: number, n: number): void {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 1 || n < k || n > MAX_TOTAL_SHARDS) {
    throw new DurabilityParamsError(`need integers 1 ≤ k ≤ n ≤ ${MAX_TOTAL_SHARDS}, got k=${k} n=${n}`, { k, n })
  }
}

/** A probability in [0, 1]. */
export function checkProbability (name: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new DurabilityParamsError(`${name} must be in [0, 1], got ${p}`, { [name]: p })
}

/** An annual failure rate in [0, 1): AFR = 1 means certain failure, an infinite rate. */
export function checkAfr (afr: number): void {
  if (!(afr >= 0 && afr < 1)) throw new DurabilityParamsError(`afr must be in [0, 1), got ${afr}`, { afr })
}

/** Repair time in hours: > 0; Infinity means "never repaired". */
export function checkRepairHours (repairHours: number): void {
  if (!(repairHours > 0)) {
    throw new DurabilityParamsError(`repairHours must be > 0 (Infinity = no repair), got ${repairHours}`, { repairHours })
  }
}

/** A time horizon in years: finite and ≥ 0. */
export function checkYears (years: number): void {
  if (!(years >= 0 && Number.isFinite(years))) {
    throw new DurabilityParamsError(`years must be finite and ≥ 0, got ${years}`, { years })
  }
}
