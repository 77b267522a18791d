// When a fetch asks for one shard more (coder/decoder.ts HedgePolicy): a stripe is late when it has taken
// HEDGE_FACTOR times the median of the recent stripes, never sooner than HEDGE_MIN_MS. Until a stripe has been timed,
// HEDGE_INITIAL_MS stands in. One instance per fetch: stripes of one file over one set of holders are comparable.
import type { HedgePolicy } from '../../coder/decoder.ts'
import type { Clock } from '../clock.ts'

/** 3x the typical stripe time marks a holder as slow "compared to the others"; Dean and Barroso (The Tail at Scale,
 *  CACM 2013) hedge at the 95th percentile, and a median multiple is the cheap stand-in with a short history. */
export const HEDGE_FACTOR = 3
/** Below 50 ms an extra request mostly adds load: loopback and LAN stripes take a few ms. */
export const HEDGE_MIN_MS = 50
/** Before the first stripe is timed: 1 s, a generous RTT plus a 1 MiB block on a slow edge uplink. */
export const HEDGE_INITIAL_MS = 1000
/** Stripes remembered for the median. */
const HISTORY = 16

/** Monotonic time (stripe durations must not jump with the wall clock) and plain timers (a fetch in progress keeps
 *  the process alive anyway). */
const monotonicClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => { clearTimeout(handle as NodeJS.Timeout) }
}

export class HedgeTimer implements HedgePolicy {
  private readonly recent: number[] = []
  private readonly pending = new Map<number, { started: number, timer: unknown, resolve: () => void }>()

  constructor (private readonly clock: Clock = monotonicClock) {}

  /** How long a stripe may take before it counts as late. */
  delay (): number {
    if (this.recent.length === 0) return HEDGE_INITIAL_MS
    const sorted = [...this.recent].sort((a, b) => a - b)
    return Math.max(HEDGE_MIN_MS, HEDGE_FACTOR * sorted[Math.floor(sorted.length / 2)])
  }

  async late (stripe: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(stripe)
        resolve()
      }, this.delay())
      this.pending.set(stripe, { started: this.clock.now(), timer, resolve })
    })
  }

  settled (stripe: number): void {
    const entry = this.pending.get(stripe)
    if (entry === undefined) return // it was late: its time says more about the slow holder than about the others
    this.pending.delete(stripe)
    this.clock.clearTimeout(entry.timer)
    this.recent.push(this.clock.now() - entry.started)
    if (this.recent.length > HISTORY) this.recent.shift()
  }
}
