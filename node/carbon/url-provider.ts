// --carbon-url: a series document fetched with Node's global fetch, a timeout and a body size bound.
import { CarbonDataError, TimeoutError } from '../errors.ts'
import { CARBON_FETCH_TIMEOUT_MS, MAX_SERIES_BYTES } from './constants.ts'
import { SeriesProvider } from './series-provider.ts'
import type { SeriesPollInit } from './series-provider.ts'

/** --carbon-url: polled every interval, backing off after failures (series-provider.ts). `headers` carries API
 *  credentials (Electricity Maps wants `auth-token`). */
export function urlCarbonProvider (url: string, init: SeriesPollInit & { fetchTimeoutMs?: number, headers?: Record<string, string> } = {}): SeriesProvider {
  const label = redactedUrl(url)
  const options = { timeoutMs: init.fetchTimeoutMs ?? CARBON_FETCH_TIMEOUT_MS, maxBytes: init.maxBytes ?? MAX_SERIES_BYTES, headers: init.headers, label }
  return new SeriesProvider({ ...init, source: `url:${label}`, load: async (signal) => await fetchSeries(url, { ...options, signal }) })
}

/** The URL as shown to users and sent to peers (reading.source): no user-info or query string, which may hold
 *  credentials, and short enough for the peer-info message's 200-character carbonSource field. */
export function redactedUrl (url: string): string {
  const u = new URL(url)
  const text = `${u.protocol}//${u.host}${u.pathname}${u.search !== '' ? '?…' : ''}`
  return text.length > 150 ? `${text.slice(0, 149)}…` : text
}

export interface FetchSeriesOptions {
  timeoutMs: number
  maxBytes: number
  headers?: Record<string, string>
  /** How to name the URL in errors (default: redactedUrl(url)). */
  label?: string
  /** Aborts the request early (provider stopped). */
  signal?: AbortSignal
}

export async function fetchSeries (url: string, { timeoutMs, maxBytes, headers, signal, label = redactedUrl(url) }: FetchSeriesOptions): Promise<Uint8Array> {
  const timeout = AbortSignal.timeout(timeoutMs)
  const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout])
  try {
    const res = await fetch(url, { signal: combined, headers: { accept: 'application/json', ...headers } })
    if (!res.ok) {
      await res.body?.cancel()
      throw new CarbonDataError(`${label} answered HTTP ${res.status}`, { url: label, status: res.status })
    }
    const declared = Number(res.headers.get('content-length') ?? NaN)
    if (declared > maxBytes) {
      await res.body?.cancel()
      throw tooLarge(label, maxBytes)
    }
    return await readBounded(res, label, maxBytes)
  } catch (err) {
    if (timeout.aborted) throw new TimeoutError(`GET ${label}`, timeoutMs)
    if (err instanceof CarbonDataError) throw err
    const cause = (err as Error).cause as Error | undefined
    throw new CarbonDataError(`${label} unreachable: ${cause?.message ?? (err as Error).message}`, { url: label })
  }
}

/** Read the body chunk by chunk and stop at the limit: a missing or lying content-length must not let it grow. */
async function readBounded (res: Response, label: string, maxBytes: number): Promise<Uint8Array> {
  if (res.body === null) return new Uint8Array(0)
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = res.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      throw tooLarge(label, maxBytes)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, size)
}

function tooLarge (label: string, maxBytes: number): CarbonDataError {
  return new CarbonDataError(`${label} sent a body larger than the limit of ${maxBytes} bytes`, { url: label, maxBytes })
}
