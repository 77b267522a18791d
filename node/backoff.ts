// Retry delays: the carbon feed's polls after failures (node/carbon/series-provider.ts) and repair jobs that failed
// (node/repair/repair-queue.ts) back off the same way.

/** Delay before retry number `failures` (1 = first retry): base·2^(failures-1) capped at max, half of it random
 *  ("equal jitter", M. Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015). */
export function backoffDelay (failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30))
  return Math.round(ceiling / 2 + random() * ceiling / 2)
}
