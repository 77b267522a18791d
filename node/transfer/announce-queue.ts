// DHT announces, only when they can matter, one at a time. The DHT is the fallback locator for peers a reader is not
// connected to (node/transfer/locator.ts asks every connection first). While the swarm fits in a full mesh (fewer
// connections than MAX_MESH_PEERS, so the mesh keeper is connected to every peer it hears of) no reader ever needs
// it, and a provide costs a DHT walk over every peer: each holder announcing each stored CID made a publish of 100
// small files on 6 loopback daemons take 24.2 s instead of 9.0 s (2 cores; docs/BENCHMARKS.md, "bench:mirror").
// So announces are skipped while the mesh is full, and once it is not, this node announces everything it holds, then
// each new CID, in the background, deduplicated, one provide at a time.
import { logger } from '@libp2p/logger'
import type { Startable } from '../startable.ts'

const log = logger('edgemirror:announce')

/** How often the queue checks whether the mesh stopped being full (a swarm outgrowing MAX_MESH_PEERS is rare). */
const MESH_CHECK_MS = 60_000
/** CIDs waiting: beyond this the oldest waiting ones are dropped (they are announced again on the next catch-up). */
const MAX_WAITING = 100_000

export interface AnnounceQueueComponents {
  /** One DHT provide. */
  provide: (cid: string) => Promise<void>
  /** True while every peer of the swarm is a direct connection (the locator finds every holder without the DHT). */
  meshFull: () => boolean
  /** Every CID this node can serve (its manifests), for the catch-up when the mesh stops being full. */
  held: () => Promise<string[]>
}

export class AnnounceQueue implements Startable {
  private readonly waiting = new Set<string>()
  private readonly announced = new Set<string>()
  private pumping: Promise<void> | undefined
  /** The CID being provided now. */
  private current: string | undefined
  private timer: NodeJS.Timeout | undefined
  /** Whether this node announced what it held since the mesh was last full. */
  private caughtUp = false
  private running = false

  constructor (private readonly components: AnnounceQueueComponents, private readonly init: { checkMs?: number } = {}) {}

  start (): void {
    this.running = true
    this.timer = setInterval(() => { this.check() }, this.init.checkMs ?? MESH_CHECK_MS)
    this.timer.unref()
  }

  async stop (): Promise<void> {
    this.running = false
    clearInterval(this.timer)
    this.waiting.clear()
    await this.pumping
  }

  /** This node can now serve `cid`: announce it if and when the DHT can matter. */
  announce (cid: string): void {
    if (!this.running || this.components.meshFull()) return
    this.enqueue([cid])
    if (!this.caughtUp) this.check()
  }

  /** CIDs announced so far and waiting (tests, status). */
  counts (): { announced: number, waiting: number } {
    return { announced: this.announced.size, waiting: this.waiting.size }
  }

  /** The mesh stopped being full: announce everything held, once; it is full again: forget that we did. */
  check (): void {
    if (!this.running) return
    if (this.components.meshFull()) {
      this.caughtUp = false
      this.announced.clear()
      return
    }
    if (this.caughtUp) return
    this.caughtUp = true
    this.components.held().then((cids) => { this.enqueue(cids) }, (err: Error) => { log('listing held CIDs failed: %s', err.message) })
  }

  private enqueue (cids: string[]): void {
    for (const cid of cids) {
      if (this.announced.has(cid) || this.current === cid) continue
      this.waiting.add(cid)
      if (this.waiting.size > MAX_WAITING) this.waiting.delete(this.waiting.values().next().value as string)
    }
    this.startPump()
  }

  private startPump (): void {
    // A CID enqueued after the loop found the queue empty but before it ended starts the next loop here.
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined
      if (this.running && this.waiting.size > 0) this.startPump()
    })
  }

  private async pump (): Promise<void> {
    while (this.running && this.waiting.size > 0) {
      const cid = this.waiting.values().next().value as string
      this.waiting.delete(cid)
      this.current = cid
      try {
        await this.components.provide(cid)
        this.announced.add(cid)
      } catch (err) {
        // Best effort: the locator still finds holders among connections, and the next catch-up tries again.
        log('announce %s failed: %s', cid, (err as Error).message)
      } finally {
        this.current = undefined
      }
    }
  }
}
