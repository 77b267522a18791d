// Lookups over a parsed series (windows sorted by start time).
import type { CarbonWindow } from './reading.ts'

/** The window covering `now`; when windows overlap, the one that started last (the most specific). */
export function coveringWindow (windows: CarbonWindow[], now: number): CarbonWindow | undefined {
  let found: CarbonWindow | undefined
  for (const w of windows) {
    if (w.at > now) break
    if (now < w.at + w.durationMs) found = w
  }
  return found
}

/** The window that ended most recently before `now`, if none covers it. */
export function lastEndedWindow (windows: CarbonWindow[], now: number): CarbonWindow | undefined {
  let found: CarbonWindow | undefined
  for (const w of windows) {
    const end = w.at + w.durationMs
    if (end <= now && (found === undefined || end > found.at + found.durationMs)) found = w
  }
  return found
}

/** Windows that end after `now`, earliest first: the one covering now (if any), then the future. */
export function upcomingWindows (windows: CarbonWindow[], now: number): CarbonWindow[] {
  return windows.filter(w => w.at + w.durationMs > now).map(w => ({ ...w }))
}
