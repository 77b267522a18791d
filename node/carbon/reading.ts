// What every carbon provider hands the rest of the node: one figure now, and what is known about the hours ahead.

/** A grid carbon intensity figure and where it came from. */
export interface CarbonReading {
  /** Grams of CO2-equivalent per kWh of electricity drawn. */
  gco2PerKwh: number
  /** Which source the figure is from: 'static', 'country:DE', 'file:/path', 'url:https://…', 'last-good', 'default:world'. */
  source: string
  /** Start of the interval the figure describes (series data), or the time of the reading (static and yearly figures). ms since epoch. */
  at: number
  /** True when the configured live source (file or URL) is not delivering a current figure and this one is a substitute. */
  stale: boolean
  /** Why a substitute is in use, or other context a user should see (`edgemirror status`). */
  note?: string
}

/** One interval of a time series: `gco2PerKwh` holds from `at` for `durationMs`. */
export interface CarbonWindow {
  at: number
  durationMs: number
  gco2PerKwh: number
}

export interface CarbonProvider {
  /** Reads the source once and starts polling. Never throws because a file or URL is unavailable. */
  start (): Promise<void>
  stop (): Promise<void>
  current (): CarbonReading
  /** Windows that end after now, earliest first (the one covering now, if any, comes first). Empty without series data. */
  forecast (): CarbonWindow[]
}

export { systemClock, type Clock } from '../clock.ts'
