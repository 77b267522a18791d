// --carbon-url: a series document fetched with Node's global fetch, a timeout and a body size bound.
import { CarbonDataError, TimeoutError } from '../errors.ts'
import { CARBON_FETCH_TIMEOUT_MS, MAX_SERIES_BYTES } from './constants.ts'
import { SeriesProvider } from './series-provider.ts'
import type { SeriesPollInit } from './series-provider.ts'

/** --carbon-url: polled every interval, backing off after failures (series-provider.ts). */
export function urlCarbonProvider (url: string, init: SeriesPollInit & { fetchTimeoutMs?: number } = {}): SeriesProvider {
  const options = { timeoutMs: init.fetchTimeoutMs ?? CARBON_FETCH_TIMEOUT_MS, maxBytes: init.maxBytes ?? MAX_SERIES_BYTES }
  return new SeriesProvider({ ...init, source: `url:${url}`, load: async (signal) => await fetchSeries(url, { ...options, signal }) })
}

export interface FetchSeriesOptions {
  timeoutMs: number
  maxBytes: number
  /** Aborts the request early (provider stopped). */
  signal?: AbortSignal
}

export async function fetchSeries (url: string, { timeoutMs, maxBytes, signal }: FetchSeriesOptions): Promise<Uint8Array> {
  const timeout = AbortSignal.timeout(timeoutMs)
  const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout])
  try {
    const res = await fetch(url, { signal: combined, headers: { accept: 'application/json' } })
    if (!res.ok) {
      await res.body?.cancel()
      throw new CarbonDataError(`${url} answered HTTP ${res.status}`, { url, status: res.status })
    }
    const declared = Number(res.headers.get('content-length') ?? NaN)
    if (declared > maxBytes) {
      await res.body?.cancel()
      throw tooLarge(url, maxBytes)
    }
    return await readBounded(res, url, maxBytes)
  } catch (err) {
    if (timeout.aborted) throw new TimeoutError(`GET ${url}`, timeoutMs)
    if (err instanceof CarbonDataError) throw err
    const cause = (err as Error).cause as Error | undefined
    throw new CarbonDataError(`${url} unreachable: ${cause?.message ?? (err as Error).message}`, { url })
  }
}

/** Read the body chunk by chunk and stop at the limit: a missing or lying content-length must not let it grow. */
async function readBounded (res: Response, url: string, maxBytes: number): Promise<Uint8Array> {
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
      throw tooLarge(url, maxBytes)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, size)
}

function tooLarge (url: string, maxBytes: number): CarbonDataError {
  return new CarbonDataError(`${url} sent a body larger than the limit of ${maxBytes} bytes`, { url, maxBytes })
}
