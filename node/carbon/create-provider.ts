// Picks the carbon provider from the daemon's flags (docs/CARBON.md has the precedence and the fallback chain).
import { CarbonDataError, UsageError } from '../errors.ts'
import { MAX_GCO2_PER_KWH } from './constants.ts'
import { countryFallback, worldFallback } from './fallback.ts'
import { fileCarbonProvider } from './file-provider.ts'
import type { CarbonProvider } from './reading.ts'
import type { SeriesPollInit } from './series-provider.ts'
import { staticProvider } from './static-provider.ts'
import { urlCarbonProvider } from './url-provider.ts'

export interface CarbonProviderOptions extends Omit<SeriesPollInit, 'fallback'> {
  /** --carbon: a fixed figure in gCO2/kWh. */
  carbon?: number
  /** --carbon-country: ISO 3166-1 alpha-2; alone it is the figure, with a file or URL it is the fallback. */
  country?: string
  /** --carbon-file: a series document, re-read every poll interval. */
  file?: string
  /** --carbon-url: a series document over http(s), polled. */
  url?: string
  /** Request timeout for --carbon-url (default CARBON_FETCH_TIMEOUT_MS). */
  fetchTimeoutMs?: number
  /** Extra request headers for --carbon-url, e.g. { 'auth-token': … } for Electricity Maps. */
  urlHeaders?: Record<string, string>
}

/** Throws on contradictory or invalid flags (UsageError, CarbonDataError); never because a file or URL is unavailable. */
export function createCarbonProvider (options: CarbonProviderOptions): CarbonProvider {
  const { carbon, country, file, url, urlHeaders, ...poll } = options
  if (file !== undefined && url !== undefined) throw new UsageError('give only one of --carbon-file and --carbon-url')
  if (carbon !== undefined) {
    if (country !== undefined || file !== undefined || url !== undefined) {
      throw new UsageError('--carbon sets a fixed figure: it cannot be combined with --carbon-country, --carbon-file or --carbon-url')
    }
    if (!Number.isFinite(carbon) || carbon < 0 || carbon > MAX_GCO2_PER_KWH) {
      throw new CarbonDataError(`--carbon must be a number of gCO2/kWh in 0..${MAX_GCO2_PER_KWH}, got ${carbon}`, { carbon })
    }
    return staticProvider({ gco2PerKwh: carbon, source: 'static' }, poll.clock)
  }
  // Resolved before any file or URL so an unknown country fails at startup, not at the first outage.
  const fallback = country !== undefined ? countryFallback(country) : worldFallback()
  if (file !== undefined) return fileCarbonProvider(file, { ...poll, fallback })
  if (url !== undefined) return urlCarbonProvider(checkedUrl(url), { ...poll, fallback, headers: urlHeaders })
  if (country !== undefined) return staticProvider({ gco2PerKwh: fallback.gco2PerKwh, source: fallback.source, note: fallback.note }, poll.clock)
  return staticProvider({ gco2PerKwh: fallback.gco2PerKwh, source: fallback.source, note: `no carbon source configured (--carbon, --carbon-country, --carbon-file or --carbon-url); using the ${fallback.note}` }, poll.clock)
}

function checkedUrl (url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new UsageError(`--carbon-url is not a URL: ${JSON.stringify(url)}`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--carbon-url must be http or https, got ${parsed.protocol}`)
  return url
}
