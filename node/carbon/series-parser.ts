// Turns a carbon-intensity time series from a file or URL into windows. The document is untrusted: its size is
// bounded, its shape checked, every number and timestamp validated; anything else is a CarbonDataError.
//
// Accepted shapes (docs/CARBON.md):
//   Carbon Aware SDK EmissionsData      [{ "location", "time", "rating", "duration" }]  (also as { "emissions": [...] })
//   Carbon Aware SDK EmissionsDataDTO   [{ "location", "timestamp", "value", "duration" }] and the forecast wrapper
//                                       [{ "location", "forecastData": [EmissionsDataDTO…] }]
//   Electricity Maps                    { "zone", "carbonIntensity", "datetime" }, { "zone", "history": [...] },
//                                       { "zone", "forecast": [...] }
import { CarbonDataError } from '../errors.ts'
import { DEFAULT_ENTRY_DURATION_MS, MAX_ENTRY_DURATION_MS, MAX_GCO2_PER_KWH, MAX_SERIES_BYTES } from './constants.ts'
import type { CarbonWindow } from './reading.ts'

export interface ParseSeriesOptions {
  /** Largest document accepted, in bytes (default MAX_SERIES_BYTES). */
  maxBytes?: number
}

/** A raw entry after validation; the duration may still be unknown. */
interface Entry { at: number, durationMs?: number, gco2PerKwh: number, location?: string }

/** Parse a series document; windows come back sorted by start time, every one with a duration. */
export function parseCarbonSeries (input: string | Uint8Array, options: ParseSeriesOptions = {}): CarbonWindow[] {
  const maxBytes = options.maxBytes ?? MAX_SERIES_BYTES
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength
  if (size > maxBytes) throw new CarbonDataError(`carbon series of ${size} bytes exceeds the limit of ${maxBytes}`, { size, maxBytes })
  let doc: unknown
  try {
    doc = JSON.parse(typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input))
  } catch (err) {
    throw new CarbonDataError(`carbon series is not valid UTF-8 JSON: ${(err as Error).message}`)
  }
  const entries = entriesOf(doc)
  checkOneLocation(entries)
  if (entries.length === 0) throw new CarbonDataError('carbon series has no entries')
  return toWindows(entries)
}

function entriesOf (doc: unknown): Entry[] {
  if (Array.isArray(doc)) return sdkEntries(doc, '')
  if (!isRecord(doc)) throw shapeError(`a ${typeof doc}`)
  if (Array.isArray(doc.emissions)) return sdkEntries(doc.emissions, 'emissions')
  if (Array.isArray(doc.history)) return mapsEntries(doc.history, 'history', zoneOf(doc))
  if (Array.isArray(doc.forecast)) return mapsEntries(doc.forecast, 'forecast', zoneOf(doc))
  if ('carbonIntensity' in doc) return mapsEntries([doc], '', undefined)
  throw shapeError(`an object with keys ${JSON.stringify(Object.keys(doc).slice(0, 10))}`)
}

function shapeError (got: string): CarbonDataError {
  return new CarbonDataError(`carbon series has an unknown shape (${got}): expected a Carbon Aware SDK list ` +
    '[{"location","time","rating","duration"}] or an Electricity Maps object {"carbonIntensity","datetime"}, {"history":[…]} or {"forecast":[…]}')
}

function sdkEntries (list: unknown[], path: string): Entry[] {
  const out: Entry[] = []
  list.forEach((item, i) => {
    const where = `${path}[${i}]`
    if (!isRecord(item)) throw new CarbonDataError(`carbon series ${where} is not an object`)
    if (Array.isArray(item.forecastData)) {
      const location = optionalString(item.location, field(where, 'location'))
      for (const e of sdkEntries(item.forecastData, field(where, 'forecastData'))) out.push({ ...e, location: e.location ?? location })
      return
    }
    // EmissionsData names its fields time/rating, the Web API's EmissionsDataDTO timestamp/value.
    const timeKey = 'timestamp' in item && !('time' in item) ? 'timestamp' : 'time'
    const valueKey = 'value' in item && !('rating' in item) ? 'value' : 'rating'
    out.push({
      at: timestamp(item[timeKey], field(where, timeKey)),
      gco2PerKwh: intensity(item[valueKey], field(where, valueKey)),
      durationMs: item.duration === undefined ? undefined : sdkDuration(item.duration, field(where, 'duration')),
      location: optionalString(item.location, field(where, 'location'))
    })
  })
  return out
}

function mapsEntries (list: unknown[], path: string, zone: string | undefined): Entry[] {
  const out: Entry[] = []
  list.forEach((item, i) => {
    const where = path === '' ? '' : `${path}[${i}]`
    if (!isRecord(item)) throw new CarbonDataError(`carbon series ${where} is not an object`)
    // Electricity Maps reports null for hours it has no estimate for: a gap, not an error.
    if (item.carbonIntensity === null) return
    out.push({
      at: timestamp(item.datetime, field(where, 'datetime')),
      gco2PerKwh: intensity(item.carbonIntensity, field(where, 'carbonIntensity')),
      location: optionalString(item.zone, field(where, 'zone')) ?? zone
    })
  })
  return out
}

function zoneOf (doc: Record<string, unknown>): string | undefined {
  return optionalString(doc.zone, 'zone')
}

function checkOneLocation (entries: Entry[]): void {
  const locations = [...new Set(entries.map(e => e.location).filter(l => l !== undefined))]
  if (locations.length > 1) {
    throw new CarbonDataError(`carbon series mixes ${locations.length} locations (${locations.slice(0, 5).join(', ')}): give a series for this node's location only`, { locations: locations.slice(0, 20) })
  }
}

/** Sort, then give each entry without a duration the gap to the next entry (the last one DEFAULT_ENTRY_DURATION_MS). */
function toWindows (entries: Entry[]): CarbonWindow[] {
  const sorted = [...entries].sort((a, b) => a.at - b.at)
  return sorted.map((e, i) => {
    const gap = i + 1 < sorted.length ? sorted[i + 1].at - e.at : 0
    const durationMs = e.durationMs ?? (gap > 0 && gap <= MAX_ENTRY_DURATION_MS ? gap : DEFAULT_ENTRY_DURATION_MS)
    return { at: e.at, durationMs, gco2PerKwh: e.gco2PerKwh }
  })
}

// RFC 3339 date-time with an explicit offset: a timestamp without one would be read in the node's local zone.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})$/

function timestamp (value: unknown, where: string): number {
  if (typeof value !== 'string' || value.length > 40 || !RFC3339.test(value)) {
    throw new CarbonDataError(`carbon series ${where} must be an RFC 3339 timestamp with an offset (e.g. 2024-06-01T12:00:00Z), got ${preview(value)}`)
  }
  const ms = Date.parse(value)
  if (!Number.isFinite(ms)) throw new CarbonDataError(`carbon series ${where} is not a real date: ${preview(value)}`)
  return ms
}

function intensity (value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_GCO2_PER_KWH) {
    throw new CarbonDataError(`carbon series ${where} must be a number of gCO2/kWh in 0..${MAX_GCO2_PER_KWH}, got ${preview(value)}`)
  }
  return value
}

// .NET TimeSpan as System.Text.Json writes it: [-][d.]hh:mm:ss[.fffffff]
const TIMESPAN = /^(?:(\d{1,3})\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/

/** The SDK's duration: minutes as a number (EmissionsDataDTO) or a TimeSpan string (EmissionsData, e.g. "01:00:00"). */
function sdkDuration (value: unknown, where: string): number {
  let ms: number | undefined
  if (typeof value === 'number' && Number.isFinite(value)) ms = value * 60_000
  const m = typeof value === 'string' ? TIMESPAN.exec(value) : null
  if (m !== null) {
    ms = ((Number(m[1] ?? 0) * 24 + Number(m[2])) * 60 + Number(m[3])) * 60_000 + Number(m[4]) * 1000 + Number(`0.${m[5] ?? 0}`) * 1000
  }
  if (ms === undefined || ms <= 0 || ms > MAX_ENTRY_DURATION_MS) {
    throw new CarbonDataError(`carbon series ${where} must be minutes (a number) or a TimeSpan "hh:mm:ss", above zero and at most 7 days, got ${preview(value)}`)
  }
  return Math.round(ms)
}

function optionalString (value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string' || value.length > 200) throw new CarbonDataError(`carbon series ${where} must be a string, got ${preview(value)}`)
  return value
}

/** A readable path into the document for error messages: 'history[3].datetime'. */
function field (where: string, key: string): string {
  return where === '' ? key : `${where}.${key}`
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function preview (value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 60 ? `${text.slice(0, 60)}…` : text
}
