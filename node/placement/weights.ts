// How much each soft goal counts. A spec like `carbon=0.5,latency=0.3,balance=0.2` comes from the CLI or the
// daemon config; it is checked strictly (a typo must not silently become a zero weight) and normalised to sum 1.
import { UsageError } from '../errors.ts'

export interface Weights { carbon: number, latency: number, balance: number }

const KEYS = ['carbon', 'latency', 'balance'] as const

/** Defaults: carbon first, then latency to the readers, then fill balance. Tuned with bench/placement.ts on a
 *  50-country world (docs/PLACEMENT.md): at these weights carbon-aware placement stores the same bytes for far less
 *  CO2 than carbon-blind placement at a small cost in fetch latency. */
export const DEFAULT_WEIGHTS: Weights = Object.freeze({ carbon: 0.5, latency: 0.3, balance: 0.2 })

/** Check a weights object (non-negative finite numbers, not all zero) and scale it to sum 1. */
export function normalizeWeights (weights: Weights): Weights {
  for (const key of KEYS) {
    const value = weights[key]
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new UsageError(`placement weight ${key} must be a non-negative number, got ${String(value)}`)
    }
  }
  const sum = weights.carbon + weights.latency + weights.balance
  if (sum <= 0) throw new UsageError('placement weights must not all be zero')
  return { carbon: weights.carbon / sum, latency: weights.latency / sum, balance: weights.balance / sum }
}

/** Parse `carbon=0.5,latency=0.3,balance=0.2`. Keys left out weigh 0; unknown or repeated keys, and values that
 *  are not plain non-negative decimals, are usage errors (ERR_USAGE). */
export function parseWeights (spec: string): Weights {
  const weights: Weights = { carbon: 0, latency: 0, balance: 0 }
  const seen = new Set<string>()
  const parts = spec.split(',').map(p => p.trim())
  if (spec.trim() === '') throw new UsageError('empty placement weights: expected e.g. carbon=0.5,latency=0.3,balance=0.2')
  for (const part of parts) {
    const match = /^([a-z]+)\s*=\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)$/.exec(part)
    if (match === null) throw new UsageError(`bad placement weight ${JSON.stringify(part)}: expected key=number, e.g. carbon=0.5`)
    const [, key, value] = match
    if (!(KEYS as readonly string[]).includes(key)) throw new UsageError(`unknown placement weight ${JSON.stringify(key)}: expected one of ${KEYS.join(', ')}`)
    if (seen.has(key)) throw new UsageError(`placement weight ${key} given twice`)
    seen.add(key)
    weights[key as keyof Weights] = Number(value)
  }
  return normalizeWeights(weights)
}

/** The spec form of weights, for logs and bench output. */
export function formatWeights (weights: Weights): string {
  return KEYS.map(k => `${k}=${Number(weights[k].toFixed(4))}`).join(',')
}
