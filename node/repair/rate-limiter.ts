// A token bucket for --repair-rate: repair traffic is held to an average rate with bursts of one bucket, so
// rebuilding shards does not take a peer's whole uplink from its users.
//
// Tokens are bytes. take(n) subtracts n at once, even below zero (a "debt"), and waits until the refill pays the debt
// back: each caller's wait is fixed when it calls, so concurrent callers are served in call order without a queue,
// and a take larger than the bucket is allowed (it just waits longer). Time and sleep are injected so tests are exact.
import { setTimeout as delay } from 'node:timers/promises'
import { AbortedError, InvalidParametersError } from '../../coder/errors.ts'
import { formatSize } from '../size.ts'
import { REPAIR_BURST_SECONDS } from './constants.ts'

export interface RateLimiterOptions {
  /** Average rate in bytes per second; Infinity for no limit. */
  bytesPerSecond: number
  /** Bucket depth in bytes (default one second of rate, REPAIR_BURST_SECONDS). */
  burstBytes?: number
  now?: () => number
  /** Wait `ms`; rejects if `signal` aborts. Default: a real timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
}

export class RateLimiter {
  private rate: number
  private burst: number
  private readonly fixedBurst: boolean
  private tokens: number
  private last: number
  private readonly now: () => number
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>

  constructor (options: RateLimiterOptions) {
    this.now = options.now ?? Date.now
    this.sleep = options.sleep ?? (async (ms, signal) => { await delay(ms, undefined, { signal }) })
    this.rate = checkRate(options.bytesPerSecond)
    this.fixedBurst = options.burstBytes !== undefined
    this.burst = this.fixedBurst ? checkBurst(options.burstBytes as number) : this.rate * REPAIR_BURST_SECONDS
    this.tokens = this.burst
    this.last = this.now()
  }

  get bytesPerSecond (): number {
    return this.rate
  }

  /** Change the rate (e.g. the user changed --repair-rate); callers already waiting keep their wait. */
  setRate (bytesPerSecond: number): void {
    this.refill()
    this.rate = checkRate(bytesPerSecond)
    if (!this.fixedBurst) this.burst = this.rate * REPAIR_BURST_SECONDS
    this.tokens = Math.min(this.tokens, this.burst)
  }

  /** Resolve when `bytes` may be sent. On abort the bytes are given back and AbortedError is thrown. */
  async take (bytes: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (!Number.isFinite(bytes) || bytes < 0) throw new InvalidParametersError(`cannot take ${bytes} bytes`, { bytes })
    if (aborted(options.signal)) throw new AbortedError()
    if (this.rate === Infinity) return
    this.refill()
    this.tokens -= bytes
    if (this.tokens >= 0) return
    const waitMs = Math.ceil(-this.tokens / this.rate * 1000)
    try {
      await this.sleep(waitMs, options.signal)
    } catch (err) {
      this.tokens += bytes
      if (aborted(options.signal)) throw new AbortedError(`rate limiter wait for ${formatSize(bytes)} aborted`)
      throw err
    }
  }

  /** Take `amount` now if the bucket holds it, else take nothing and answer false: for limits that refuse rather
   *  than wait (node/wire/peer-rate-limits.ts). */
  tryTake (amount: number): boolean {
    if (this.rate === Infinity) return true
    this.refill()
    if (this.tokens < amount) return false
    this.tokens -= amount
    return true
  }

  private refill (): void {
    const now = this.now()
    if (now > this.last) this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.rate / 1000)
    this.last = Math.max(this.last, now)
  }
}

/** A function, not an inline test, so TypeScript does not narrow `aborted` across the await. */
function aborted (signal?: AbortSignal): boolean {
  return signal?.aborted === true
}

function checkRate (bytesPerSecond: number): number {
  if (!(bytesPerSecond > 0)) throw new InvalidParametersError(`repair rate must be > 0 bytes/s, got ${bytesPerSecond}`, { bytesPerSecond })
  return bytesPerSecond
}

function checkBurst (burstBytes: number): number {
  if (!(burstBytes >= 0) || !Number.isFinite(burstBytes)) throw new InvalidParametersError(`burst must be ≥ 0 bytes, got ${burstBytes}`, { burstBytes })
  return burstBytes
}
