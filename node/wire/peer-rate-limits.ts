// One token bucket per remote peer, for requests that cost this node work a peer could ask for in a loop (a
// corrupt-block report makes the holder read and hash a block). A request beyond its peer's bucket is refused at once
// (ERR_RATE_LIMITED), never queued: a queue would only move the cost to memory.
import { RateLimiter } from '../repair/rate-limiter.ts'
import { RateLimitedError } from '../errors.ts'

export interface PeerRateLimitsOptions {
  /** Requests a second, on average, per peer. */
  perSecond: number
  /** Requests a peer may make at once after a quiet spell (the bucket's depth). */
  burst: number
  /** What is limited, for the error message. */
  what: string
  now?: () => number
}

export class PeerRateLimits {
  private readonly buckets = new Map<string, { limiter: RateLimiter, lastUsed: number }>()
  private readonly now: () => number
  /** After this long unused, a peer's bucket is full again: forgetting it then changes nothing, and bounds the map by
   *  the peers active in the last few seconds. */
  private readonly refillMs: number

  constructor (private readonly options: PeerRateLimitsOptions) {
    this.now = options.now ?? Date.now
    this.refillMs = Math.ceil(options.burst / options.perSecond * 1000)
  }

  /** Count one request from `peer`; throws ERR_RATE_LIMITED when its bucket is empty. */
  take (peer: string): void {
    const now = this.now()
    this.forgetIdle(now)
    const bucket = this.buckets.get(peer) ?? { limiter: new RateLimiter({ bytesPerSecond: this.options.perSecond, burstBytes: this.options.burst, now: this.now }), lastUsed: now }
    // Re-inserted so the map stays in order of last use: forgetIdle stops at the first bucket still in use.
    this.buckets.delete(peer)
    this.buckets.set(peer, bucket)
    bucket.lastUsed = now
    if (!bucket.limiter.tryTake(1)) {
      throw new RateLimitedError(`${this.options.what}: more than ${this.options.perSecond}/s (burst ${this.options.burst}) from this peer`, { perSecond: this.options.perSecond, burst: this.options.burst })
    }
  }

  /** Peers with a bucket (tests). */
  get size (): number {
    return this.buckets.size
  }

  private forgetIdle (now: number): void {
    for (const [peer, bucket] of this.buckets) {
      if (now - bucket.lastUsed < this.refillMs) return
      this.buckets.delete(peer)
    }
  }
}
