// Rebuilding lost shards (the repair path): read k verified blocks of every stripe from the surviving shards,
// reconstruct exactly the lost indexes, check each rebuilt block against the manifest, and hand it to a sink (which
// streams it to the shard's new holder). Memory: one stripe at a time, whatever the file size.
import type { Codec } from './codec.ts'
import { createCodec } from './codecs.ts'
import { StripeGatherer, type ShardSource } from './decoder.ts'
import { AbortedError, HashMismatchError, InvalidParametersError } from './errors.ts'
import { blockMatches } from './hash.ts'
import { stripeCount } from './layout.ts'
import type { Manifest } from './manifest.ts'
import type { ProgressOptions } from './progress.ts'

/** Receives the rebuilt blocks of one stripe, keyed by shard index; the blocks are valid until the promise resolves. */
export type RebuiltStripeSink = (stripe: number, blocks: Map<number, Uint8Array>) => Promise<void>

export interface RebuildOptions extends ProgressOptions {
  /** Surviving shard indexes in the order to read them (nearest holders first). Default: ascending. */
  preference?: number[]
  codec?: Codec
}

export interface RebuildReport {
  /** Surviving shards that turned out unavailable or corrupt while reading. */
  missing: number[]
  corrupt: number[]
  /** Bytes read from surviving shards. */
  bytesRead: number
}

export async function rebuildShards (manifest: Manifest, source: ShardSource, targets: number[], sink: RebuiltStripeSink, options: RebuildOptions = {}): Promise<RebuildReport> {
  const { k, m } = manifest
  if (targets.length === 0 || targets.some(t => !Number.isInteger(t) || t < 0 || t >= k + m) || new Set(targets).size !== targets.length) {
    throw new InvalidParametersError(`targets must be distinct shard indexes in 0..${k + m - 1}`, { targets })
  }
  const codec = options.codec ?? await createCodec(manifest.codec, k, m)
  const lost = new Set(targets)
  const order = (options.preference ?? Array.from({ length: k + m }, (_, i) => i)).filter(i => !lost.has(i))
  const gatherer = new StripeGatherer(manifest, source, order)
  const stripes = stripeCount(manifest)
  let bytesRead = 0
  for (let stripe = 0; stripe < stripes; stripe++) {
    if (options.signal?.aborted === true) throw new AbortedError()
    const blocks = await gatherer.gather(stripe)
    for (const b of blocks) if (b != null) bytesRead += b.byteLength
    await codec.reconstruct(blocks)
    const rebuilt = new Map<number, Uint8Array>()
    for (const index of targets) {
      const block = blocks[index] as Uint8Array
      // The inputs were verified, so a mismatch here means a codec fault: never ship a wrong shard.
      if (!blockMatches(block, manifest.shardHashes[index], stripe)) throw new HashMismatchError(`rebuilt block ${stripe} of shard ${index}`)
      rebuilt.set(index, block)
    }
    await sink(stripe, rebuilt)
    options.onProgress?.({ phase: 'rebuild', bytes: stripe + 1, total: stripes })
  }
  const { missing, corrupt } = gatherer.report()
  return { missing, corrupt, bytesRead }
}
