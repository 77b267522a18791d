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

/**
 * Epoch milliseconds that never step: the wall clock at process start plus the monotonic clock since. Setting the wall
 * clock (an NTP step, a VM resumed, an operator) moves Date.now by hours at once; durations measured with this do not
 * move, so a failure detector on it neither declares every peer dead on a step forward nor keeps a dead one alive for
 * the length of a step back (test/node/repair/failure-detector.test.ts, "clock steps"). It differs from Date.now only
 * by the steps since the process started.
 */
export const monotonicNow = (): number => performance.timeOrigin + performance.now()
