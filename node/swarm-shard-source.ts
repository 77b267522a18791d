// Blocks of each shard of one file, streamed from its holders (this node's store or peers), one holder at a time per
// shard; a holder that fails, stalls or serves a bad block is dropped for the next one. Used by fetch and repair.
import { logger } from '@libp2p/logger'
import type { ShardSource } from '../coder/decoder.ts'
import { stripeCount } from '../coder/layout.ts'
import type { Manifest } from '../coder/manifest.ts'
import { getShardBlocks, type Dialer } from './shard-client.ts'
import { readStoredBlocks } from './store/read-block.ts'
import type { ShardStore } from './store/shard-store.ts'

const log = logger('edgemirror:shard-source')

export interface SwarmShardSourceComponents {
  selfId: string
  store: ShardStore
  dial: Dialer
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
  private readonly failed = new Map<number, Set<string>>()

  constructor (private readonly components: SwarmShardSourceComponents, private readonly cid: string, private readonly manifest: Manifest,
    private readonly holders: Map<number, string[]>, private readonly signal?: AbortSignal) {}

  async readBlock (index: number, stripe: number): Promise<Uint8Array | null> {
    for (const peer of this.holders.get(index) ?? []) {
      if (this.failed.get(index)?.has(peer) === true) continue
      let cursor = this.cursors.get(index)
      if (cursor === undefined || cursor.peer !== peer || stripe < cursor.asked || stripe - cursor.asked > MAX_SKIP_STRIPES) {
        // A read behind this stream, or far ahead of it (the decoder skipped many stripes): start over.
        if (cursor !== undefined) supersede(cursor)
        const controller = new AbortController()
        cursor = { peer, next: stripe, asked: stripe, tail: Promise.resolve(), superseded: false, controller, blocks: this.open(peer, index, stripe, controller.signal) }
        this.cursors.set(index, cursor)
      }
      try {
        return await readAt(cursor, stripe)
      } catch (err) {
        // Superseded by a newer read of this shard: the decoder stopped waiting for this block long ago. Not a verdict
        // on the holder (null would mark the shard unavailable), so fail this read alone.
        if (cursor.superseded) throw err
        log('shard %d of %s from %s failed: %s', index, this.cid, peer, (err as Error).message)
        this.drop(index, peer)
      }
    }
    return null
  }

  reportCorrupt (index: number, stripe: number): void {
    const cursor = this.cursors.get(index)
    if (cursor === undefined) return
    // Our own copy is bad: take it out of service now (a remote holder does this itself when it serves a bad block).
    if (cursor.peer === this.components.selfId) {
      this.components.store.quarantineShard(this.cid, index, `block ${stripe} failed its hash during a fetch`)
        .catch((err) => { log.error('quarantine of shard %d of %s failed: %s', index, this.cid, (err as Error).message) })
    }
    this.drop(index, cursor.peer)
  }

  async close (): Promise<void> {
    for (const c of this.cursors.values()) supersede(c)
    this.cursors.clear()
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
    const to = stripeCount(this.manifest)
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
  cursor.tail = read.catch(() => {})
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
  cursor.blocks.return(undefined).catch(() => {})
}

