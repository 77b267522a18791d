// --carbon-file: a series document on disk, read with a size bound (another program may write it).
import { readBytesBounded } from '../bounded-read.ts'
import { CarbonDataError, FileTooLargeError } from '../errors.ts'
import { MAX_SERIES_BYTES } from './constants.ts'
import { SeriesProvider } from './series-provider.ts'
import type { SeriesPollInit } from './series-provider.ts'

/** --carbon-file: the file is re-read every poll interval, so another program can keep it current. */
export function fileCarbonProvider (path: string, init: SeriesPollInit = {}): SeriesProvider {
  const maxBytes = init.maxBytes ?? MAX_SERIES_BYTES
  return new SeriesProvider({ ...init, source: `file:${path}`, load: async () => await readSeriesFile(path, maxBytes) })
}

export async function readSeriesFile (path: string, maxBytes: number): Promise<Uint8Array> {
  try {
    return await readBytesBounded(path, maxBytes, { followSymlinks: true })
  } catch (err) {
    if (err instanceof FileTooLargeError) throw new CarbonDataError(`carbon file ${path} is larger than the limit of ${maxBytes} bytes`, { path, maxBytes })
    throw new CarbonDataError(`cannot read carbon file ${path}: ${(err as Error).message}`, { path })
  }
}
