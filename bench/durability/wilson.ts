// Confidence interval for a binomial proportion (events / trials).
import { Z_95 } from './constants.ts'
import { DurabilityParamsError } from './errors.ts'

export interface Interval {
  low: number
  high: number
}

/**
 * Wilson score interval (E. B. Wilson, JASA 22:209, 1927). Unlike the normal ("Wald") interval it stays inside
 * [0, 1] and keeps close to its nominal coverage when events are few, which is where loss estimates live;
 * with 0 events it still gives a useful upper bound (≈ z²/trials).
 */
export function wilsonInterval (events: number, trials: number, z = Z_95): Interval {
  if (!Number.isInteger(events) || !Number.isInteger(trials) || trials < 1 || events < 0 || events > trials) {
    throw new DurabilityParamsError(`need integers 0 ≤ events ≤ trials, trials ≥ 1; got ${events}/${trials}`, { events, trials })
  }
  const z2 = z * z
  const denominator = trials + z2
  const centre = (events + z2 / 2) / denominator
  const half = (z / denominator) * Math.sqrt(events * (trials - events) / trials + z2 / 4)
  return {
    low: events === 0 ? 0 : Math.max(0, centre - half),
    high: events === trials ? 1 : Math.min(1, centre + half)
  }
}
