// When to run a repair that can wait: at the start of the greenest window of the grid's carbon forecast within a
// bounded delay, if it is meaningfully greener than now. Only repairs with spare redundancy may wait (the queue
// decides which; see repair-queue.ts); an urgent one runs now whatever the grid.
import { formatDuration } from '../duration.ts'
import { CARBON_MIN_IMPROVEMENT } from './constants.ts'

/** One interval of a carbon intensity forecast (the shape of node/carbon's CarbonWindow). */
export interface ForecastWindow {
  /** ms epoch when the interval starts. */
  at: number
  durationMs: number
  gco2PerKwh: number
}

export interface RepairTime {
  /** When to start: `now` unless deferred. */
  at: number
  /** Expected intensity at that time (the current one when not deferred). */
  gco2PerKwh: number
  deferred: boolean
  /** For `edgemirror status`: why it was or was not deferred. */
  reason: string
}

/** The start of the lowest-intensity window that begins within `maxDelayMs` of `now` (a window already running counts
 *  from now), if it is at least `minImprovement` (a fraction, default 10 %) below `currentIntensity`; else now.
 *  Among equally green windows the earliest wins. Windows with nonsense figures are ignored. */
export function chooseRepairTime (now: number, forecast: readonly ForecastWindow[], currentIntensity: number, maxDelayMs: number, minImprovement = CARBON_MIN_IMPROVEMENT): RepairTime {
  const stay = (reason: string): RepairTime => ({ at: now, gco2PerKwh: currentIntensity, deferred: false, reason })
  if (!Number.isFinite(currentIntensity) || currentIntensity <= 0) return stay('current carbon intensity unknown')
  let best: { at: number, gco2PerKwh: number } | undefined
  for (const w of forecast) {
    if (!Number.isFinite(w.gco2PerKwh) || w.gco2PerKwh < 0 || !(w.durationMs > 0)) continue
    const start = Math.max(w.at, now)
    if (w.at + w.durationMs <= now || start > now + maxDelayMs) continue
    if (best === undefined || w.gco2PerKwh < best.gco2PerKwh || (w.gco2PerKwh === best.gco2PerKwh && start < best.at)) best = { at: start, gco2PerKwh: w.gco2PerKwh }
  }
  const bound = formatDuration(maxDelayMs)
  if (best === undefined) return stay(`no carbon forecast within ${bound}`)
  const gain = 1 - best.gco2PerKwh / currentIntensity
  if (best.at === now || best.gco2PerKwh > currentIntensity * (1 - minImprovement)) {
    return stay(`no window within ${bound} is ${Math.round(minImprovement * 100)}% greener than now (${Math.round(currentIntensity)} gCO2/kWh)`)
  }
  return {
    at: best.at,
    gco2PerKwh: best.gco2PerKwh,
    deferred: true,
    reason: `deferred ${formatDuration(best.at - now)} to a window at ${Math.round(best.gco2PerKwh)} gCO2/kWh, ${Math.round(gain * 100)}% below now (${Math.round(currentIntensity)})`
  }
}
