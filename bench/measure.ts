// What the benches (and the demo) measure with: the median of runs, figures rounded for printing, and a file's
// SHA-256 read as a stream.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** `x` to `digits` decimals, for the figures the benches print. */
export function round (x: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

export async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
