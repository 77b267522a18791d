// Background scrubbing: re-hash every stored shard, block by block, against its manifest at a throttled rate, so
// rot is found before a reader or a repair needs the shard. A corrupt shard is quarantined (never served again) and
// reported, and the repair service rebuilds it elsewhere (or here).
import { logger } from '@libp2p/logger'
import { blockMatches } from '../../coder/hash.ts'
import { stripeBlockSize, stripeCount } from '../../coder/layout.ts'
import type { ManifestCache } from '../manifest-cache.ts'
import { readStoredBlock } from '../store/read-block.ts'
import type { ShardStore } from '../store/shard-store.ts'
import { RateLimiter } from './rate-limiter.ts'
import type { Startable } from '../startable.ts'

const log = logger('edgemirror:scrub')

/** 10 MB/s: a full pass over 1 TB takes about 28 hours, so every byte is re-read roughly daily (Ceph deep-scrubs
 *  weekly by default, ZFS guidance is monthly) while a spinning disk keeps >90% of its ~150 MB/s for real work. */
export const DEFAULT_SCRUB_RATE = 10_000_000
/** Pause between passes: scrubbing is continuous but need not spin on a small store. */
export const DEFAULT_SCRUB_INTERVAL_MS = 60 * 60_000

export interface ScrubberComponents {
  store: ShardStore
  manifests: ManifestCache
  /** Told about each shard found corrupt (after it was quarantined). */
  onCorrupt: (cid: string, index: number) => void
}

export interface ScrubberInit {
  bytesPerSecond?: number
  intervalMs?: number
}

export interface ScrubStats {
  passes: number
  bytesScrubbed: number
  corruptFound: number
}

export class Scrubber implements Startable {
  private readonly limiter: RateLimiter
  private readonly intervalMs: number
  private readonly stats: ScrubStats = { passes: 0, bytesScrubbed: 0, corruptFound: 0 }
  private controller = new AbortController()
  private running: Promise<void> | undefined

  constructor (private readonly components: ScrubberComponents, init: ScrubberInit = {}) {
    this.limiter = new RateLimiter({ bytesPerSecond: init.bytesPerSecond ?? DEFAULT_SCRUB_RATE })
    this.intervalMs = init.intervalMs ?? DEFAULT_SCRUB_INTERVAL_MS
  }

  start (): void {
    this.controller = new AbortController()
    const signal = this.controller.signal
    this.running = (async () => {
      while (!signal.aborted) {
        await this.pass(signal).catch((err) => { if (!signal.aborted) log.error('scrub pass failed: %s', (err as Error).message) })
        await pause(this.intervalMs, signal)
      }
    })()
  }

  /** Resolves once the loop has ended: an abort reaches the rate limiter's wait and the store read at once, so this
   *  takes at most one block read from disk, whatever the scrub rate. */
  async stop (): Promise<void> {
    this.controller.abort()
    await this.running
  }

  counters (): ScrubStats {
    return { ...this.stats }
  }

  /** Check every stored shard once. */
  async pass (signal?: AbortSignal): Promise<void> {
    for (const shard of await this.components.store.listShards()) {
      if (signal?.aborted === true) return
      await this.scrubShard(shard.cid, shard.index, signal)
    }
    this.stats.passes++
  }

  private async scrubShard (cid: string, index: number, signal?: AbortSignal): Promise<void> {
    const { store, manifests } = this.components
    const manifest = await manifests.get(cid).catch((err: Error) => { log.error('manifest %s unreadable, its shards are not scrubbed: %s', cid, err.message); return undefined })
    if (manifest === undefined) return // not ours to judge without a manifest; the store keeps it until GC
    const hashes = manifest.shardHashes[index]
    const problem = await (async (): Promise<string | undefined> => {
      for (let stripe = 0; stripe < stripeCount(manifest); stripe++) {
        await this.limiter.take(stripeBlockSize(manifest, stripe), { signal })
        let block: Uint8Array
        try {
          block = await readStoredBlock(store, cid, index, manifest, stripe, signal)
        } catch (err) {
          // Stopped mid-read: the shard is not at fault, and quarantining it would throw away a good copy.
          if (signal?.aborted === true) throw err
          if ((err as { code?: string }).code === 'ERR_NOT_FOUND') return undefined // deleted meanwhile (GC, repair)
          return `block ${stripe} unreadable: ${(err as Error).message}`
        }
        this.stats.bytesScrubbed += block.byteLength
        if (!blockMatches(block, hashes, stripe)) return `block ${stripe} failed its hash during a scrub`
      }
      return undefined
    })()
    if (problem === undefined) return
    this.stats.corruptFound++
    log.error('shard %d of %s is corrupt: %s', index, cid, problem)
    await store.quarantineShard(cid, index, problem)
    this.components.onCorrupt(cid, index)
  }
}

/**
 * Sleep `ms`, or less if `signal` aborts. An already-aborted signal never fires 'abort' again, so it is checked
 * first: a stop during a pass used to leave the loop here until the timer, an hour by default (issue #13). The
 * listener goes when the wait ends either way: one left behind per pass would pile up on the signal for as long as
 * the daemon runs (Node warned at 11 in the repair tests).
 */
async function pause (ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await new Promise<void>((resolve) => {
    const onAbort = (): void => { clearTimeout(timer); resolve() }
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
