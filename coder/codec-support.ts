// Checks and buffer handling shared by the codec implementations.
import { InvalidParametersError, NotEnoughShardsError } from './errors.ts'

/** Length of the present shards; all must agree and the count must be k + m. */
export function shardLength (shards: Array<Uint8Array | null>, k: number, m: number): number {
  if (shards.length !== k + m) {
    throw new InvalidParametersError(`expected ${k + m} shards, got ${shards.length}`)
  }
  let length = -1
  let present = 0
  for (const shard of shards) {
    if (shard == null) continue
    present++
    if (length === -1) length = shard.byteLength
    else if (shard.byteLength !== length) throw new InvalidParametersError('shards differ in length')
  }
  if (present < k) throw new NotEnoughShardsError(present, k)
  return length
}

/**
 * A view of shards[from..to) as one contiguous array. When the shards already sit back to back in one buffer (as
 * the encoder allocates them) this is free; otherwise they are copied.
 */
export function contiguous (shards: Array<Uint8Array | null>, from: number, to: number, length: number): Uint8Array {
  const first = shards[from]
  if (first != null) {
    let adjacent = true
    for (let i = from + 1; i < to && adjacent; i++) {
      const s = shards[i]
      adjacent = s != null && s.buffer === first.buffer && s.byteOffset === first.byteOffset + (i - from) * length
    }
    if (adjacent) return new Uint8Array(first.buffer, first.byteOffset, (to - from) * length)
  }
  const out = new Uint8Array((to - from) * length)
  for (let i = from; i < to; i++) {
    const s = shards[i]
    if (s != null) out.set(s, (i - from) * length)
  }
  return out
}

/** Copy `source` (shards[from..to) back to back) into those shards, skipping shards that already are views of it. */
export function scatter (source: Uint8Array, shards: Array<Uint8Array | null>, from: number, to: number, length: number): void {
  scatterTargets(source, shards, from, to, length)
}

/** As scatter(), limited to the indexes marked in `targets` (all when omitted). */
export function scatterTargets (source: Uint8Array, shards: Array<Uint8Array | null>, from: number, to: number, length: number, targets?: boolean[]): void {
  for (let i = from; i < to; i++) {
    if (targets != null && !targets[i]) continue
    const part = source.subarray((i - from) * length, (i - from + 1) * length)
    const s = shards[i]
    if (s == null) shards[i] = part.slice()
    else if (s.buffer !== part.buffer || s.byteOffset !== part.byteOffset) s.set(part)
  }
}

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}

/** Re-encode parity into scratch space and compare: the shared body of every codec's verify(). */
export async function verifyByReencoding (encode: (shards: Uint8Array[]) => Promise<void>, shards: Uint8Array[], k: number, m: number): Promise<boolean> {
  const length = shardLength(shards, k, m)
  const copy = shards.map((s, i) => i < k ? s : new Uint8Array(length))
  await encode(copy)
  for (let i = k; i < k + m; i++) {
    if (!equalBytes(copy[i], shards[i])) return false
  }
  return true
}
