// Blocks of each shard of one file, streamed from its holders (this node's store or peers), one holder at a time per
// shard; a holder that fails or stalls is dropped for that shard, and one that serves a bad block is dropped for the
// whole file (a peer that lies about one shard cannot be trusted with the others) and told (corrupt-block), so that
// a holder whose disk rotted takes its copy out of service. Used by fetch and repair.
import { logger } from '@libp2p/logger'
import type { ShardSource } from '../../coder/decoder.ts'
import { stripeCount } from '../../coder/layout.ts'
import type { Manifest } from '../../coder/manifest.ts'
import { getShardBlocks, reportCorruptBlock, type Dialer } from './shard-client.ts'
import { isCorruptRead, quarantineBadShard } from '../store/quarantine.ts'
import { readStoredBlocks } from '../store/read-block.ts'
import type { ShardStore } from '../store/shard-store.ts'

const log = logger('edgemirror:shard-source')

export interface SwarmShardSourceComponents {
  selfId: string
  store: ShardStore
  dial: Dialer
  /** Told when this node's own copy of a shard was found bad (short, unreadable, failing its hash) and quarantined. */
  onCorruptShard?: (cid: string, index: number) => void
}

/**
 * A read that lands at most this many stripes ahead of a holder's open stream stays on that stream: the skipped
 * blocks are read and dropped. They are already on their way (the yamux window, node/constants.ts, holds 4 blocks
 * of 1 MiB), so dropping them costs less than a new stream, which throws that window away and adds a round trip.
 * Skips happen whenever a hedged stripe (coder/decoder.ts) settled without this shard's block.
 */
export const MAX_SKIP_STRIPES = 8

/** One open read of a shard from one holder; `controller` cuts it off even while a block is still on its way. */
interface Cursor {
  peer: string
  /** The stripe the stream was opened at (it has delivered blocks once `next` is past it). */
  opened: number
  /** The stripe the stream will deliver next. */
  next: number
  /** The stripe after the last one asked of this cursor: reads queue behind each other in stripe order. */
  asked: number
  /** The last queued read: the next one starts when it ends. */
  tail: Promise<unknown>
  /** Released for a read elsewhere in the shard (not a verdict on the holder). */
  superseded: boolean
  blocks: AsyncGenerator<Uint8Array>
  controller: AbortController
}

/** Blocks of each shard, streamed from one holder at a time; a failing holder is dropped for the next one. */
export class SwarmShardSource implements ShardSource {
  private readonly cursors = new Map<number, Cursor>()
  /** Holders that failed (reset, stall, no such shard) per shard index: other shards may still come from them. */
  private readonly failed = new Map<number, Set<string>>()
  /** Holders that served a block failing its hash: dropped for every shard of the file. */
  private readonly bad = new Set<string>()
  /** Who served the last block read of each shard, so a bad block is pinned on the right holder. */
  private readonly servedBy = new Map<number, { stripe: number, peer: string }>()
  /** Holders already told of a bad block, as `peer index`: one report per holder and shard per read. */
  private readonly reported = new Set<string>()

  constructor (private readonly components: SwarmShardSourceComponents, private readonly cid: string, private readonly manifest: Manifest,
    private readonly holders: Map<number, string[]>, private readonly signal?: AbortSignal,
    /** Streams stop before this stripe (a range read asks holders for its stripes only); default: the last one. */
    private readonly stripeEnd = stripeCount(manifest)) {}

  async readBlock (index: number, stripe: number): Promise<Uint8Array | null> {
    for (const peer of this.holders.get(index) ?? []) {
      let reopened = false
      while (this.usable(index, peer)) {
        let cursor = this.cursors.get(index)
        if (cursor === undefined || cursor.peer !== peer || stripe < cursor.asked || stripe - cursor.asked > MAX_SKIP_STRIPES) {
          // A read behind this stream, or far ahead of it (the decoder skipped many stripes): start over.
          if (cursor !== undefined) supersede(cursor)
          const controller = new AbortController()
          cursor = { peer, opened: stripe, next: stripe, asked: stripe, tail: Promise.resolve(), superseded: false, controller, blocks: this.open(peer, index, stripe, controller.signal) }
          this.cursors.set(index, cursor)
        }
        try {
          const block = await readAt(cursor, stripe)
          this.servedBy.set(index, { stripe, peer })
          return block
        } catch (err) {
          // Superseded by a newer read of this shard: the decoder stopped waiting for this block long ago. Not a verdict
          // on the holder (null would mark the shard unavailable), so fail this read alone.
          if (cursor.superseded) throw err
          log('shard %d of %s from %s failed: %s', index, this.cid, peer, (err as Error).message)
          // Our own copy is short or unreadable: out of service now, and repair told, not at the next scrub.
          if (peer === this.components.selfId && isCorruptRead(err)) await this.quarantineOwn(index, (err as Error).message)
          // A remote stream that had been delivering and broke (its connection dropped and came straight back under
          // load, or the holder closed it after it sat unread past its idle timeout while the decoder read other
          // shards) gets one fresh stream before the holder counts as failed for this shard. A stream that never
          // delivered (no such shard, holder gone) does not: a dead holder costs one attempt, as before.
          const delivered = cursor.next > cursor.opened
          if (!reopened && delivered && peer !== this.components.selfId && this.signal?.aborted !== true) {
            reopened = true
            this.cursors.delete(index)
            release(cursor)
            continue
          }
          this.drop(index, peer)
        }
      }
    }
    return null
  }

  /** Drop whoever served the bad block; true when another holder of the shard is left to try. */
  reportCorrupt (index: number, stripe: number): boolean {
    const served = this.servedBy.get(index)
    const peer = served?.stripe === stripe ? served.peer : this.cursors.get(index)?.peer
    if (peer === undefined) return this.hasHolderLeft(index)
    if (peer === this.components.selfId) {
      // Our own copy rotted: it goes (a remote holder does this itself when it serves a bad block); other shards
      // stored here are independent files on disk, so they stay in use.
      // Not awaited (the decoder asks synchronously); quarantineBadShard logs its own failures and never throws.
      void this.quarantineOwn(index, `block ${stripe} failed its hash during a read`)
      this.drop(index, peer)
    } else if (!this.bad.has(peer)) {
      // Holders send blocks as stored (they do not hash what they serve): a bad block is rot on the holder's disk, a
      // lie or a broken peer, and the reader cannot tell which. The holder is told, and checks its copy itself; until
      // then this read trusts none of its shards of this file.
      log.error('holder %s served block %d of shard %d of %s that fails its hash: dropped for the whole file', peer, stripe, index, this.cid)
      this.tellHolder(peer, index, stripe)
      this.bad.add(peer)
      for (const [i, cursor] of this.cursors) {
        if (cursor.peer !== peer) continue
        this.cursors.delete(i)
        release(cursor)
      }
    }
    return this.hasHolderLeft(index)
  }

  /** Peers that served a block failing its hash (sorted): fetch reports them. */
  badHolders (): string[] {
    return [...this.bad].sort()
  }

  async close (): Promise<void> {
    for (const c of this.cursors.values()) supersede(c)
    this.cursors.clear()
  }

  private usable (index: number, peer: string): boolean {
    return !this.bad.has(peer) && this.failed.get(index)?.has(peer) !== true
  }

  private hasHolderLeft (index: number): boolean {
    return (this.holders.get(index) ?? []).some(p => this.usable(index, p))
  }

  /** Send `peer` a corrupt-block report, fire and forget: the read goes on with other holders whatever it answers,
   *  and a holder that is down or refuses (rate limit) costs a debug line. Not tied to the read's signal: a read that
   *  ends first must not cut the report off. */
  private tellHolder (peer: string, index: number, stripe: number): void {
    const key = `${peer} ${index}`
    if (this.reported.has(key)) return
    this.reported.add(key)
    reportCorruptBlock(this.components.dial, peer, { cid: this.cid, index, stripe }).then(
      (answer) => { log('holder %s checked block %d of shard %d of %s: %s', peer, stripe, index, this.cid, answer.quarantined ? 'bad, quarantined' : 'matches its hash') },
      (err: Error) => { log('corrupt-block report to %s failed: %s', peer, err.message) })
  }

  private async quarantineOwn (index: number, reason: string): Promise<void> {
    await quarantineBadShard(this.components.store, this.cid, index, reason, this.components.onCorruptShard)
  }

  private drop (index: number, peer: string): void {
    const set = this.failed.get(index) ?? new Set()
    set.add(peer)
    this.failed.set(index, set)
    const cursor = this.cursors.get(index)
    if (cursor?.peer === peer) {
      this.cursors.delete(index)
      release(cursor)
    }
  }

  private open (peer: string, index: number, from: number, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const to = this.stripeEnd
    if (peer === this.components.selfId) return readStoredBlocks(this.components.store, this.cid, index, this.manifest, from, to, signal)
    const combined = this.signal !== undefined ? AbortSignal.any([this.signal, signal]) : signal
    return getShardBlocks(this.components.dial, peer, this.cid, index, this.manifest, from, to, combined)
  }
}

/** Queue a read of `stripe` on the cursor: after the reads already asked of it, dropping the blocks it skips. */
async function readAt (cursor: Cursor, stripe: number): Promise<Uint8Array> {
  const read = cursor.tail.then(async () => {
    let block: Uint8Array
    do {
      const result = await cursor.blocks.next()
      if (result.done === true) throw new Error('shard ended early')
      block = result.value
    } while (cursor.next++ < stripe)
    return block
  })
  cursor.asked = stripe + 1
  cursor.tail = read.catch(() => {}) // only orders the next read after this one; its failure is thrown just below
  return await read
}

/** Release a cursor because a read elsewhere in the shard replaces it; its pending reads fail without a verdict. */
function supersede (cursor: Cursor): void {
  cursor.superseded = true
  release(cursor)
}

/** Close a read without waiting for it: a stalled holder must not hold up the decoder or the end of a fetch. */
function release (cursor: Cursor): void {
  cursor.controller.abort()
  cursor.blocks.return(undefined).catch((err: Error) => { log.trace('closing an abandoned read: %s', err.message) })
}

