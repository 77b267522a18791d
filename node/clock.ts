// Time and timers, injectable so that staleness, backoff and hedging can be tested without waiting. One interface for
// every part that needs more than a `now()` (a part that only reads the time takes `now?: () => number`).
export interface Clock {
  now (): number
  setTimeout (fn: () => void, ms: number): unknown
  clearTimeout (handle: unknown): void
}

/** Wall-clock time, and timers that never keep the process alive on their own (background polling). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms)
    // Polling must never keep the process alive on its own.
    timer.unref()
    return timer
  },
  clearTimeout: (handle) => { clearTimeout(handle as ReturnType<typeof setTimeout>) }
}
