// Striping: turn a byte stream into stripes of k data blocks plus m zeroed parity blocks, one contiguous buffer per
// stripe (so codecs that want contiguous memory get it without a copy). Memory: one stripe being filled.
import { AbortedError } from './errors.ts'
import { alignUp } from './layout.ts'

export interface Stripe {
  index: number
  /** Block size of this stripe (blockSize, or less for the last stripe). */
  blockSize: number
  /** k + m views into one buffer; data blocks filled (zero-padded), parity blocks zero. */
  blocks: Uint8Array[]
  /** File bytes in this stripe. */
  dataBytes: number
}

/**
 * A source that reads into the buffer it is given (a file the daemon reads itself, docs/ARCHITECTURE.md "The local
 * fast path"): stripes are read straight into their own buffers, where a stream of chunks costs an allocation and a
 * copy of every byte (issue #18, decision 4).
 */
export interface FillSource {
  /** Fill `target` from its start; fewer bytes than its length only at the end of the source. */
  readInto (target: Uint8Array): Promise<number>
}

export type ByteSource = AsyncIterable<Uint8Array> | FillSource

export function isFillSource (source: ByteSource): source is FillSource {
  return typeof (source as Partial<FillSource>).readInto === 'function'
}

export async function * readStripes (source: ByteSource, k: number, m: number, blockSize: number, signal?: AbortSignal): AsyncGenerator<Stripe> {
  if (isFillSource(source)) {
    yield * fillStripes(source, k, m, blockSize, signal)
    return
  }
  const stripeData = k * blockSize
  let buffer = new Uint8Array((k + m) * blockSize)
  let filled = 0
  let index = 0
  for await (const chunk of source) {
    if (signal?.aborted === true) throw new AbortedError()
    let offset = 0
    while (offset < chunk.byteLength) {
      const take = Math.min(chunk.byteLength - offset, stripeData - filled)
      buffer.set(chunk.subarray(offset, offset + take), filled)
      filled += take
      offset += take
      if (filled === stripeData) {
        yield { index: index++, blockSize, blocks: stripeViews(buffer, k + m, blockSize), dataBytes: stripeData }
        buffer = new Uint8Array((k + m) * blockSize)
        filled = 0
      }
    }
  }
  if (filled > 0) yield lastStripe(buffer, filled, index, k, m)
}

async function * fillStripes (source: FillSource, k: number, m: number, blockSize: number, signal?: AbortSignal): AsyncGenerator<Stripe> {
  const stripeData = k * blockSize
  for (let index = 0; ; index++) {
    if (signal?.aborted === true) throw new AbortedError()
    const buffer = new Uint8Array((k + m) * blockSize)
    const filled = await source.readInto(buffer.subarray(0, stripeData))
    if (filled < stripeData) {
      if (filled > 0) yield lastStripe(buffer, filled, index, k, m)
      return
    }
    yield { index, blockSize, blocks: stripeViews(buffer, k + m, blockSize), dataBytes: stripeData }
  }
}

/** The last stripe: smaller blocks, so a short file is not padded to a whole stripe. */
function lastStripe (buffer: Uint8Array, filled: number, index: number, k: number, m: number): Stripe {
  const lastBlockSize = alignUp(Math.ceil(filled / k))
  const last = new Uint8Array((k + m) * lastBlockSize)
  last.set(buffer.subarray(0, filled))
  return { index, blockSize: lastBlockSize, blocks: stripeViews(last, k + m, lastBlockSize), dataBytes: filled }
}

/** `count` views of `size` bytes each, back to back, into one stripe buffer. */
export function stripeViews (buffer: Uint8Array, count: number, size: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let i = 0; i < count; i++) out.push(buffer.subarray(i * size, (i + 1) * size))
  return out
}
