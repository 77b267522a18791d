// A follower's own copy of a mirror-set file, read from disk for the gateway: no holder is asked for anything. The
// mirror service verified the copy when it built the version (docs/MIRRORS.md); here the file is only checked to still
// have the size the version's entry gives, so a copy truncated or replaced since is never served as the entry's bytes.
import { constants } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { logger } from '@libp2p/logger'
import { SizeMismatchError } from '../../coder/errors.ts'
import type { ByteRange } from '../../coder/layout.ts'
import type { FetchReport } from '../fetch/types.ts'
import type { FileBody } from './serve-file.ts'

const log = logger('edgemirror:gateway:local')

/** What a read from disk reports: nothing was missing, corrupt or rebuilt, no holder was involved. */
const LOCAL_READ_REPORT: FetchReport = { missing: [], corrupt: [], rebuilt: [], hedged: 0, badHolders: [] }

export interface LocalCopy {
  /** `range` of the file (all of it when undefined), streamed with backpressure; fails if the file ends early. */
  read: (range: ByteRange | undefined, signal: AbortSignal) => FileBody
  close: () => Promise<void>
}

/**
 * Open `path` if it is a regular file of exactly `size` bytes; otherwise (gone, replaced by something else, another
 * size) undefined, and the caller reads from the swarm. The size is taken from the open handle, so a rename over the
 * path after this check does not change what is read.
 */
export async function openLocalCopy (path: string, size: number): Promise<LocalCopy | undefined> {
  let handle: FileHandle
  try {
    // O_NONBLOCK: a FIFO put at the path would block the open until a writer came; on a regular file it changes nothing.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (err) {
    log('local copy %s unreadable, reading from the swarm: %s', path, (err as Error).message)
    return undefined
  }
  const stat = await handle.stat().catch(() => undefined)
  if (stat === undefined || !stat.isFile() || stat.size !== size) {
    log('local copy %s is not a file of %d bytes (%s), reading from the swarm', path, size, stat?.size ?? 'no stat')
    await handle.close()
    return undefined
  }
  return {
    read: (range, signal) => readRange(handle, range ?? { start: 0, end: size }, signal),
    close: async () => { await handle.close() }
  }
}

/** Bytes read from disk at a time: fs.ReadStream's default highWaterMark. */
const READ_CHUNK_BYTES = 64 * 1024

/**
 * Read `range` from the open handle, one chunk per pull: the next chunk is read only when the client took the last
 * one (backpressure, as for swarm reads). Positional reads rather than handle.createReadStream: on Node 20 a
 * FileHandle's read stream closes the handle when it ends, even with autoClose: false, and a response with several
 * ranges reads the one handle several times.
 */
function readRange (handle: FileHandle, range: ByteRange, signal: AbortSignal): FileBody {
  let finished!: (report: FetchReport) => void
  const done = new Promise<FetchReport>(resolve => { finished = resolve })
  async function * body (): AsyncGenerator<Uint8Array> {
    for (let position = range.start; position < range.end;) {
      signal.throwIfAborted()
      const length = Math.min(READ_CHUNK_BYTES, range.end - position)
      const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(length), 0, length, position)
      // Shorter than its size now: truncated while being read. Cut the response off rather than end it short.
      if (bytesRead === 0) throw new SizeMismatchError(`the local copy ended at byte ${position} of the range ${range.start}-${range.end - 1}`, { expected: range.end, actual: position })
      position += bytesRead
      yield buffer.subarray(0, bytesRead)
    }
    finished(LOCAL_READ_REPORT)
  }
  return { body: body(), done }
}
