// Decoding: rebuild a file from any k good shards, stripe by stripe, verifying every block against the manifest
// before it is used. A block that fails its hash counts as missing for that stripe and is rebuilt from the others;
// fewer than k good blocks in a stripe ends in ERR_NOT_ENOUGH_SHARDS, never in a wrong file. A rebuilt data block is
// checked against its hash too, so every byte handed on was hashed once, read or rebuilt (issue #18, decision 2): the
// manifest is covered by the CID, its block hashes in stripe order and its file size pin the file, and the whole-file
// SHA-256 is a second pass only a caller asks for (verifyFileHash). docs/MANIFEST.md, "Integrity on read".
import { createCodec } from './codecs.ts'
import type { Codec } from './codec.ts'
import { DEMOTION_STRIPES } from './constants.ts'
import { AbortedError, HashMismatchError, NotEnoughShardsError } from './errors.ts'
import { blockMatches, createSha256 } from './hash.ts'
import { stripeBlockSize, stripeCount, stripeDataBytes, stripesForRange, type ByteRange } from './layout.ts'
import type { Manifest } from './manifest.ts'
import type { ProgressOptions } from './progress.ts'
import { equalBytes } from './codec-support.ts'

/** Where shard blocks come from: local files, or peers over the network. */
export interface ShardSource {
  /**
   * Block `stripe` of shard `index` (`size` bytes), or null when that shard cannot be had (holder gone, no such
   * shard). Blocks of one shard are usually asked for in increasing stripe order, but a spare shard may be asked
   * for a single stripe. The decoder verifies what comes back; the source need not.
   */
  readBlock (index: number, stripe: number, size: number): Promise<Uint8Array | null>
  /**
   * Told when the block just read for (`index`, `stripe`) failed its hash, so the source can stop trusting where it
   * came from. Returns true when the source has another holder of that shard to try: the decoder then asks
   * `readBlock` again for the same block. A source that returns true must move on to a holder it has not tried, so
   * the retries end.
   */
  reportCorrupt? (index: number, stripe: number): boolean
}

export type OutputSink = (chunk: Uint8Array) => Promise<void>

/**
 * When to ask for one shard more than needed (hedging, after Dean and Barroso, "The Tail at Scale", CACM 2013): a
 * stripe whose k requests are not all back by the time `late` resolves gets one extra request to the next shard, and
 * the first k good blocks win. The clock lives with the caller; the coder only reacts.
 */
export interface HedgePolicy {
  /** Called as a stripe's first requests go out; resolves when the stripe counts as late. */
  late (stripe: number): Promise<void>
  /** Called once the stripe has k good blocks (the policy can measure how long stripes take). */
  settled (stripe: number): void
}

export interface DecodeOptions extends ProgressOptions {
  /** Shard indexes in the order to try them (best holders first). Default: data shards first, then parity. */
  preference?: number[]
  codec?: Codec
  hedge?: HedgePolicy
  /**
   * Decode only these bytes (an HTTP Range read): only the stripes that hold them are read, and only the range is
   * handed on. Every block is still verified against its hash; the whole-file hash cannot be checked then.
   */
  range?: ByteRange
  /**
   * Also hash the whole file and check it against the manifest's fileHash (ERR_HASH_MISMATCH at the end, after the
   * bytes went out). Off by default: every block is already checked, so this pass only catches a sharer whose file
   * hash disagrees with its own blocks, at the cost of hashing every byte a second time. Ignored for a range.
   */
  verifyFileHash?: boolean
}

export interface DecodeReport {
  /** Shards the source could not provide (for at least one stripe). */
  missing: number[]
  /** Shards with a block that failed its hash and no other holder to read it from (a bad copy that was replaced by
   *  another holder's good one is the source's business, e.g. SwarmShardSource.badHolders). */
  corrupt: number[]
  /** Data shards that had to be reconstructed for at least one stripe. */
  rebuilt: number[]
  /** Stripes for which one extra shard was requested because a holder was slow. */
  hedged: number
}

export async function decodeFile (manifest: Manifest, source: ShardSource, output: OutputSink, options: DecodeOptions = {}): Promise<DecodeReport> {
  const { k, m } = manifest
  const codec = options.codec ?? await createCodec(manifest.codec, k, m)
  const gatherer = new StripeGatherer(manifest, source, options.preference ?? Array.from({ length: k + m }, (_, i) => i), options.hedge)
  const rebuilt = new Set<number>()
  const range = options.range
  const stripes = range === undefined ? { first: 0, end: stripeCount(manifest) } : stripesForRange(manifest, range)
  // Only on request, and only for a whole file: a range has no hash of its own (its blocks are checked one by one).
  const fileHash = range === undefined && options.verifyFileHash === true ? createSha256() : undefined
  const stripeBytes = k * manifest.blockSize
  const total = range === undefined ? manifest.fileSize : range.end - range.start
  let written = 0

  /** The stripe's data bytes to hand on: all of them, or for a range only those inside it ([from, to)). */
  const window = (stripe: number): { from: number, to: number } => {
    const stripeStart = stripe * stripeBytes
    if (range === undefined) return { from: 0, to: stripeDataBytes(manifest, stripe) }
    return { from: Math.max(0, range.start - stripeStart), to: Math.min(stripeDataBytes(manifest, stripe), range.end - stripeStart) }
  }

  /** Hash and hand on one stripe's data: the last stripe's padding cut off, and for a range only the bytes inside it
   *  (the data blocks outside the window may be null: a range read need not fetch them). */
  const write = async (blocks: Array<Uint8Array | null>, stripe: number): Promise<void> => {
    const { from, to } = window(stripe)
    const size = stripeBlockSize(manifest, stripe)
    for (let i = Math.floor(from / size); i < k && i * size < to; i++) {
      const block = blocks[i] as Uint8Array
      const part = block.subarray(Math.max(0, from - i * size), Math.min(size, to - i * size))
      if (part.byteLength === 0) continue
      fileHash?.update(part)
      await output(part)
      written += part.byteLength
    }
    options.onProgress?.({ phase: 'decode', bytes: written, total })
  }

  /**
   * For a range, the data blocks of `stripe` that hold bytes of it, when they are fewer than k: reading just those
   * (verified, no decoding) is all a range inside one block needs. Undefined when the whole stripe is needed.
   */
  const partial = (stripe: number): number[] | undefined => {
    if (range === undefined) return undefined
    const { from, to } = window(stripe)
    const size = stripeBlockSize(manifest, stripe)
    const first = Math.floor(from / size)
    const last = Math.floor((to - 1) / size)
    return last - first + 1 < k ? Array.from({ length: last - first + 1 }, (_, j) => first + j) : undefined
  }

  // Stripe s is handed on while stripe s + 1 is gathered and verified: an output that waits for its consumer (the
  // HTTP response to the CLI waits for every block to drain) would otherwise leave the reader idle while it writes.
  let writing: Promise<void> = Promise.resolve()
  const aborted = (): boolean => options.signal?.aborted === true
  for (let stripe = stripes.first; stripe < stripes.end; stripe++) {
    if (aborted()) throw new AbortedError()
    // A range's edge stripe: its own data blocks when they can be had, else the whole stripe, decoded.
    const some = partial(stripe)
    let blocks = some !== undefined ? await gatherer.gatherData(stripe, some) : undefined
    if (blocks === undefined) {
      blocks = await gatherer.gather(stripe)
      const lost = blocks.slice(0, k).flatMap((b, i) => b == null ? [i] : [])
      for (const i of lost) rebuilt.add(i)
      if (lost.length > 0) {
        await codec.reconstruct(blocks, { dataOnly: true })
        assertRebuiltBlocks(manifest, blocks, lost, stripe)
      }
    }
    await writing
    if (aborted()) throw new AbortedError()
    writing = write(blocks, stripe)
    // Awaited above or below; a gather that fails first must not leave this rejection unhandled.
    writing.catch(() => {})
  }
  await writing
  // Every block was verified, so this only fails if the sharer's file hash disagrees with its own blocks.
  if (fileHash !== undefined && !equalBytes(new Uint8Array(fileHash.digest()), manifest.fileHash)) {
    throw new HashMismatchError('rebuilt file does not match the manifest file hash')
  }
  return { ...gatherer.report(), rebuilt: [...rebuilt].sort(byNumber) }
}

/**
 * Check the data blocks just rebuilt for `stripe` against their hashes in the manifest (the same check as a read block:
 * the last stripe's blocks are shorter, padding included, and hashed as they are). The blocks used were all verified,
 * so a mismatch means the sharer's parity disagrees with the data it hashed (or a codec fault): no block of this
 * stripe can be trusted to rebuild the file, and a wrong file must never go out.
 */
function assertRebuiltBlocks (manifest: Manifest, blocks: Array<Uint8Array | null>, rebuilt: number[], stripe: number): void {
  for (const index of rebuilt) {
    const block = blocks[index] as Uint8Array
    if (!blockMatches(block, manifest.shardHashes[index], stripe)) {
      const used = blocks.flatMap((b, i) => b != null && !rebuilt.includes(i) ? [i] : [])
      throw new HashMismatchError(`data block ${stripe} of shard ${index}, rebuilt from shards ${used.join(', ')}, does not match its hash in the manifest: the file's parity disagrees with its data`, { stripe, shard: index, from: used })
    }
  }
}

/**
 * Reads one stripe's blocks from a source until k of them passed their hash, trying shards in preference order.
 * Remembers across stripes which shards could not be had and which were corrupt. Shared by the decoder (which
 * rebuilds data) and the repair path (which rebuilds lost shards, coder/rebuild.ts).
 */
export class StripeGatherer {
  private readonly unavailable = new Set<number>()
  private readonly corrupt = new Set<number>()
  private hedged = 0
  private readonly preference: number[]
  /** Shards that held a stripe up: at the back of the order until stripe `until`; `length` doubles each time. */
  private readonly demoted = new Map<number, { until: number, length: number }>()

  constructor (private readonly manifest: Manifest, private readonly source: ShardSource, preference: number[], private readonly hedge?: HedgePolicy) {
    this.preference = [...preference]
  }

  /** The order to ask shards in for `stripe`: the preference, with shards still demoted at that stripe moved back. */
  private order (stripe: number): number[] {
    const isDemoted = (index: number): boolean => (this.demoted.get(index)?.until ?? 0) > stripe
    return [...this.preference.filter(i => !isDemoted(i)), ...this.preference.filter(isDemoted)]
  }

  /**
   * k + m entries: at least k verified blocks, null elsewhere. Throws ERR_NOT_ENOUGH_SHARDS when k cannot be had.
   * Asks for k blocks at once; a block that fails its hash is asked of the shard's next holder when the source has
   * one, and a shard that still fails is replaced by the next candidate; a late stripe (hedge policy)
   * gets one extra request. Answers that come after the stripe has its k blocks are dropped, and a shard that was
   * still outstanding then moves to the back of the order for a while (DEMOTION_STRIPES): the next stripes ask the
   * holders that kept up.
   */
  async gather (stripe: number): Promise<Array<Uint8Array | null>> {
    const { k, m } = this.manifest
    const size = stripeBlockSize(this.manifest, stripe)
    const blocks: Array<Uint8Array | null> = new Array(k + m).fill(null)
    let good = 0
    let next = 0
    let inFlight = 0
    let done = false
    const outstanding = new Set<number>()
    const order = this.order(stripe)
    return await new Promise<Array<Uint8Array | null>>((resolve, reject) => {
      const finish = (error?: Error): void => {
        if (done) return
        done = true
        this.hedge?.settled(stripe)
        for (const slow of outstanding) this.demote(slow, stripe)
        if (error !== undefined) reject(error)
        else resolve(blocks)
      }
      /** Ask the next candidate shard; false when none is left. */
      const ask = (): boolean => {
        while (next < order.length && this.unavailable.has(order[next])) next++
        if (next >= order.length) return false
        const index = order[next++]
        inFlight++
        outstanding.add(index)
        this.goodBlock(index, stripe, size).then((block) => {
          inFlight--
          outstanding.delete(index)
          if (done) return
          if (block != null) {
            blocks[index] = block
            good++
          }
          settle()
        }, (err: Error) => { finish(err) })
        return true
      }
      /** Done when k are good; otherwise keep k - good requests out, and fail when none is out and none is left. */
      const settle = (): void => {
        if (good >= k) {
          finish()
          return
        }
        while (inFlight < k - good && ask()) { /* ask until enough requests are out */ }
        if (inFlight === 0) finish(new NotEnoughShardsError(good, k, { stripe, ...this.report() }))
      }
      settle()
      if (done) return
      this.hedge?.late(stripe).then(() => {
        if (!done && ask()) this.hedged++
      }, () => {})
    })
  }

  /**
   * Only data blocks `indexes` of `stripe`, verified (a range inside part of a stripe needs no more); undefined when
   * one of them cannot be had, and the caller gathers the whole stripe instead (which then skips what failed here).
   */
  async gatherData (stripe: number, indexes: number[]): Promise<Array<Uint8Array | null> | undefined> {
    if (indexes.some(i => this.unavailable.has(i))) return undefined
    const size = stripeBlockSize(this.manifest, stripe)
    const got = await Promise.all(indexes.map(async i => await this.goodBlock(i, stripe, size)))
    if (got.includes(null)) return undefined
    const blocks: Array<Uint8Array | null> = new Array(this.manifest.k + this.manifest.m).fill(null)
    indexes.forEach((i, j) => { blocks[i] = got[j] })
    return blocks
  }

  private demote (index: number, stripe: number): void {
    const length = (this.demoted.get(index)?.length ?? DEMOTION_STRIPES / 2) * 2
    this.demoted.set(index, { until: stripe + 1 + length, length })
  }

  /** Shards the source could not provide, and shards with a block that failed its hash, so far. */
  report (): { missing: number[], corrupt: number[], hedged: number } {
    return { missing: [...this.unavailable].sort(byNumber), corrupt: [...this.corrupt].sort(byNumber), hedged: this.hedged }
  }

  /**
   * Fetch and verify one block; null if unavailable or corrupt. A bad block is asked again as long as the source
   * has another holder of the shard: one lying holder must not cost a shard index (the repair path reads exactly k).
   */
  private async goodBlock (index: number, stripe: number, size: number): Promise<Uint8Array | null> {
    while (!this.unavailable.has(index)) {
      const block = await this.source.readBlock(index, stripe, size)
      if (block == null) {
        this.unavailable.add(index)
        return null
      }
      if (block.byteLength === size && blockMatches(block, this.manifest.shardHashes[index], stripe)) return block
      if (this.source.reportCorrupt?.(index, stripe) !== true) {
        this.corrupt.add(index)
        return null
      }
    }
    return null
  }
}

function byNumber (a: number, b: number): number {
  return a - b
}
