// Integer text within bounds, read the same way from CLI flags (node/cli/common.ts) and control API query parameters
// (node/api/server.ts): digits only, a safe integer, inside [min, max]; anything else is a UsageError (ERR_USAGE).
import { UsageError } from './errors.ts'

export function parseIntegerIn (name: string, text: string, min: number, max: number): number {
  const value = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${name} must be an integer in ${min}..${max}, got ${JSON.stringify(text.slice(0, 40))}`)
  }
  return value
}
