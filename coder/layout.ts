// Stripe geometry. A file is cut into stripes of k data blocks; shard i is block i of every stripe, in order.
// Full stripes use blockSize. The last stripe is shorter: its block size is ceil(remaining / k) rounded up to the
// 8-byte alignment and zero-padded, so a 1-byte file costs (k + m) x 8 bytes rather than (k + m) x blockSize.
// Everything here derives from (k, m, blockSize, fileSize), which the manifest records.
import { BLOCK_ALIGNMENT, MAX_BLOCK_SIZE, MAX_TOTAL_SHARDS } from './constants.ts'
import { InvalidParametersError } from './errors.ts'

export interface Geometry {
  k: number
  m: number
  blockSize: number
  fileSize: number
}

export function assertGeometry (g: Geometry): void {
  const { k, m, blockSize, fileSize } = g
  if (!Number.isSafeInteger(k) || k < 1) throw new InvalidParametersError(`k must be a positive integer (got ${k})`)
  if (!Number.isSafeInteger(m) || m < 0) throw new InvalidParametersError(`m must be a non-negative integer (got ${m})`)
  if (k + m > MAX_TOTAL_SHARDS) throw new InvalidParametersError(`k + m must be at most ${MAX_TOTAL_SHARDS} (got ${k + m})`)
  if (!Number.isSafeInteger(blockSize) || blockSize < BLOCK_ALIGNMENT || blockSize > MAX_BLOCK_SIZE || blockSize % BLOCK_ALIGNMENT !== 0) {
    throw new InvalidParametersError(`blockSize must be a multiple of ${BLOCK_ALIGNMENT} between ${BLOCK_ALIGNMENT} and ${MAX_BLOCK_SIZE} (got ${blockSize})`)
  }
  if (!Number.isSafeInteger(fileSize) || fileSize < 0) throw new InvalidParametersError(`fileSize must be a non-negative integer (got ${fileSize})`)
}

export function stripeCount (g: Geometry): number {
  return Math.ceil(g.fileSize / (g.k * g.blockSize))
}

/** Block size of stripe `stripe` (every shard's block in that stripe has this size). */
export function stripeBlockSize (g: Geometry, stripe: number): number {
  const stripes = stripeCount(g)
  if (stripe < stripes - 1) return g.blockSize
  const remaining = g.fileSize - (stripes - 1) * g.k * g.blockSize
  return alignUp(Math.ceil(remaining / g.k))
}

/** Bytes of file data in stripe `stripe` (the rest of its data blocks is padding). */
export function stripeDataBytes (g: Geometry, stripe: number): number {
  return Math.min(g.k * g.blockSize, g.fileSize - stripe * g.k * g.blockSize)
}

/** Size in bytes of every shard of the file. */
export function shardSize (g: Geometry): number {
  const stripes = stripeCount(g)
  if (stripes === 0) return 0
  return (stripes - 1) * g.blockSize + stripeBlockSize(g, stripes - 1)
}

/** Byte offset of stripe `stripe`'s block inside any shard. */
export function blockOffset (g: Geometry, stripe: number): number {
  return stripe * g.blockSize
}

export function alignUp (n: number): number {
  return Math.ceil(n / BLOCK_ALIGNMENT) * BLOCK_ALIGNMENT
}

/** Bytes `start` (inclusive) to `end` (exclusive) of a file. */
export interface ByteRange {
  start: number
  end: number
}

/**
 * The stripes that hold the bytes of `range`: [first, end) (empty when the range is). A range read fetches and
 * verifies these blocks only, so its cost follows the range, not the file.
 */
export function stripesForRange (g: Geometry, range: ByteRange): { first: number, end: number } {
  const { start, end } = range
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end > g.fileSize) {
    throw new InvalidParametersError(`range ${start}-${end} is not within a file of ${g.fileSize} bytes`)
  }
  if (start === end) return { first: 0, end: 0 }
  const stripeBytes = g.k * g.blockSize
  return { first: Math.floor(start / stripeBytes), end: Math.floor((end - 1) / stripeBytes) + 1 }
}
