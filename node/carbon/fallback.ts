// The fallback chain for series sources (docs/CARBON.md): a live figure, else the last good one while it is
// recent, else the yearly average for the configured country, else the world average. Pure: state in, reading out.
import { COUNTRY_DATASET_PACKAGE, countryAverage, worldAverage } from './country-averages.ts'
import type { CarbonReading, CarbonWindow } from './reading.ts'
import { coveringWindow, lastEndedWindow } from './windows.ts'

/** The figure used when a series has nothing current: a country's or the world's yearly average. */
export interface Fallback { gco2PerKwh: number, source: string, note: string }

/** What a series provider knows: the last document it parsed, and whether the latest poll failed. */
export interface SeriesState {
  windows?: CarbonWindow[]
  /** When `windows` was fetched (ms since epoch). */
  fetchedAt?: number
  /** The latest poll's failure; cleared by a successful poll. */
  error?: { message: string, at: number }
}

export function countryFallback (code: string): Fallback {
  const c = countryAverage(code)
  return { gco2PerKwh: c.gco2PerKwh, source: `country:${c.code}`, note: `${c.name} yearly average for ${c.year} (Ember, via ${COUNTRY_DATASET_PACKAGE})` }
}

export function worldFallback (): Fallback {
  const w = worldAverage()
  return { gco2PerKwh: w.gco2PerKwh, source: 'default:world', note: `world yearly average for ${w.year} (Ember, via ${COUNTRY_DATASET_PACKAGE})` }
}

export function resolveReading (source: string, state: SeriesState, fallback: Fallback, now: number, maxStaleMs: number): CarbonReading {
  const failed = state.error !== undefined ? `${source} failed at ${iso(state.error.at)}: ${state.error.message}` : undefined
  const windows = state.windows ?? []
  const live = coveringWindow(windows, now)
  if (live !== undefined) {
    if (failed === undefined) return { gco2PerKwh: live.gco2PerKwh, source, at: live.at, stale: false }
    // The previous document still has an entry for now (typically a forecast): as good as a fresh one.
    return { gco2PerKwh: live.gco2PerKwh, source: 'last-good', at: live.at, stale: false, note: `${failed}; the data fetched at ${iso(state.fetchedAt)} still covers now` }
  }
  const why = failed ?? (state.windows === undefined ? `${source} has not been read yet` : uncoveredReason(source, windows, now))
  const last = lastEndedWindow(windows, now)
  if (last !== undefined && now - (last.at + last.durationMs) <= maxStaleMs) {
    const minutes = Math.round((now - (last.at + last.durationMs)) / 60_000)
    return { gco2PerKwh: last.gco2PerKwh, source: 'last-good', at: last.at, stale: true, note: `${why}; using the last good figure, which ended ${minutes} min ago` }
  }
  return { gco2PerKwh: fallback.gco2PerKwh, source: fallback.source, at: now, stale: true, note: `${why}; using the ${fallback.note}` }
}

function uncoveredReason (source: string, windows: CarbonWindow[], now: number): string {
  const first = windows[0]
  if (first !== undefined && first.at > now) return `${source} has no entry for now (the first starts at ${iso(first.at)})`
  const end = Math.max(...windows.map(w => w.at + w.durationMs))
  return `${source} has no entry for now (the newest ended at ${iso(end)})`
}

function iso (ms: number | undefined): string {
  return ms === undefined ? 'never' : new Date(ms).toISOString()
}
