// --carbon-file: a series document on disk, read with a size bound (another program may write it).
import { open } from 'node:fs/promises'
import { CarbonDataError } from '../errors.ts'
import { MAX_SERIES_BYTES } from './constants.ts'
import { SeriesProvider } from './series-provider.ts'
import type { SeriesPollInit } from './series-provider.ts'

/** --carbon-file: the file is re-read every poll interval, so another program can keep it current. */
export function fileCarbonProvider (path: string, init: SeriesPollInit = {}): SeriesProvider {
  const maxBytes = init.maxBytes ?? MAX_SERIES_BYTES
  return new SeriesProvider({ ...init, source: `file:${path}`, load: async () => await readSeriesFile(path, maxBytes) })
}

export async function readSeriesFile (path: string, maxBytes: number): Promise<Uint8Array> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (err) {
    throw new CarbonDataError(`cannot read carbon file ${path}: ${(err as Error).message}`, { path })
  }
  try {
    const { size } = await handle.stat()
    if (size > maxBytes) throw tooLarge(path, size, maxBytes)
    // Read one byte more than allowed: a file that grew since stat() is still caught.
    const buf = Buffer.alloc(size + 1)
    let length = 0
    while (length < buf.length) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, length)
      if (bytesRead === 0) break
      length += bytesRead
    }
    if (length > maxBytes) throw tooLarge(path, length, maxBytes)
    return buf.subarray(0, length)
  } finally {
    await handle.close()
  }
}

function tooLarge (path: string, size: number, maxBytes: number): CarbonDataError {
  return new CarbonDataError(`carbon file ${path} is larger than the limit of ${maxBytes} bytes`, { path, size, maxBytes })
}
