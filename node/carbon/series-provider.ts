// A provider fed by a time series that is re-read on a schedule (--carbon-file, --carbon-url). A failed read is
// never fatal: it is noted, retried with backoff, and current() walks the fallback chain (fallback.ts).
import { AbortedError } from '../../coder/errors.ts'
import { backoffDelay } from '../backoff.ts'
import { CARBON_BACKOFF_BASE_MS, CARBON_BACKOFF_MAX_MS, CARBON_MAX_STALE_MS, CARBON_POLL_INTERVAL_MS, MAX_SERIES_BYTES } from './constants.ts'
import { resolveReading, worldFallback } from './fallback.ts'
import type { Fallback, SeriesState } from './fallback.ts'
import { systemClock } from './reading.ts'
import type { CarbonProvider, CarbonReading, CarbonWindow, Clock } from './reading.ts'
import { parseCarbonSeries } from './series-parser.ts'
import { upcomingWindows } from './windows.ts'

/** Tuning shared by the file and URL providers; every field has a default in constants.ts. */
export interface SeriesPollInit {
  /** Used when no live or recent figure is available (default: the world average). */
  fallback?: Fallback
  clock?: Clock
  /** For backoff jitter; tests make it deterministic. */
  random?: () => number
  pollIntervalMs?: number
  maxStaleMs?: number
  backoffBaseMs?: number
  backoffMaxMs?: number
  maxBytes?: number
  /** Told about every failed (warn) and every recovering (info) poll: the daemon's log, `carbon.feed` (LOGS.md). */
  log?: (message: string, level: 'warn' | 'info') => void
}

export interface SeriesProviderInit extends SeriesPollInit {
  /** Label used as the reading's source: 'file:/path' or 'url:https://…'. */
  source: string
  /** Reads the raw document (bounded); throws on any failure. */
  load: (signal: AbortSignal) => Promise<Uint8Array>
}

export class SeriesProvider implements CarbonProvider {
  readonly source: string
  private readonly init: SeriesProviderInit
  private readonly clock: Clock
  private state: SeriesState = {}
  private failures = 0
  private running = false
  private timer: unknown
  private inflight?: { promise: Promise<boolean>, controller: AbortController }

  constructor (init: SeriesProviderInit) {
    this.init = init
    this.source = init.source
    this.clock = init.clock ?? systemClock
  }

  /** Reads once (a failure only leaves the fallback in use) and schedules the next read. */
  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    await this.poll()
  }

  async stop (): Promise<void> {
    this.running = false
    this.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.inflight?.controller.abort(new AbortedError('carbon provider stopped'))
    await this.inflight?.promise
  }

  /** Read and parse the source now; true on success. Never throws. While running, schedules the next poll. */
  async poll (): Promise<boolean> {
    if (this.inflight !== undefined) return await this.inflight.promise
    const controller = new AbortController()
    const promise = this.readOnce(controller.signal).finally(() => {
      this.inflight = undefined
      this.schedule()
    })
    this.inflight = { promise, controller }
    return await promise
  }

  /** Consecutive failed polls since the last success. */
  get consecutiveFailures (): number {
    return this.failures
  }

  current (): CarbonReading {
    return resolveReading(this.source, this.state, this.init.fallback ?? worldFallback(), this.clock.now(), this.init.maxStaleMs ?? CARBON_MAX_STALE_MS)
  }

  forecast (): CarbonWindow[] {
    return upcomingWindows(this.state.windows ?? [], this.clock.now())
  }

  private async readOnce (signal: AbortSignal): Promise<boolean> {
    try {
      const bytes = await this.init.load(signal)
      const windows = parseCarbonSeries(bytes, { maxBytes: this.init.maxBytes ?? MAX_SERIES_BYTES })
      if (this.failures > 0) this.init.log?.(`${this.source}: recovered after ${this.failures} failed reads`, 'info')
      this.state = { windows, fetchedAt: this.clock.now() }
      this.failures = 0
      return true
    } catch (err) {
      if (signal.aborted && !this.running) return false
      this.failures++
      const message = (err as Error).message
      this.state = { ...this.state, error: { message, at: this.clock.now() } }
      this.init.log?.(`${this.source}: read ${this.failures} failed: ${message}`, 'warn')
      return false
    }
  }

  private schedule (): void {
    if (!this.running) return
    this.clock.clearTimeout(this.timer)
    const delay = this.failures === 0
      ? this.init.pollIntervalMs ?? CARBON_POLL_INTERVAL_MS
      : backoffDelay(this.failures, this.init.backoffBaseMs ?? CARBON_BACKOFF_BASE_MS, this.init.backoffMaxMs ?? CARBON_BACKOFF_MAX_MS, this.init.random)
    this.timer = this.clock.setTimeout(() => { void this.poll() }, delay)
  }
}
