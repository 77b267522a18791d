// The daemon's side of the control API's local fast path (docs/ARCHITECTURE.md, "The local fast path"): open the file
// a client names, and use it only if it is the very file the client described from its own fstat(2). The daemon
// reads a file to share with O_NOFOLLOW, and only fills a file to fetch into that the client created: it never creates
// a file (no O_CREAT), so it never makes a name in a directory on the client's behalf.
import { constants } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import type { BigIntStats } from 'node:fs'
import type { ProgressEvent } from '../../coder/progress.ts'
import { SizeMismatchError } from '../../coder/errors.ts'
import { LocalPathMismatchError } from '../errors.ts'
import type { FetchStart } from '../fetch/types.ts'
import type { LocalFileClaim } from './routes.ts'

/**
 * O_NOFOLLOW: a symlink at the path is refused (ELOOP), not followed. O_NONBLOCK: a FIFO put at the path opens at once
 * (and is then refused as not a regular file) instead of holding a thread-pool thread until a writer comes; it changes
 * nothing for a regular file. O_NOCTTY: a terminal put there does not become the daemon's.
 */
const GUARDS = constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY

/** Errors of open(2) that mean "not a file this daemon can use at that path": the client streams instead. */
const MISMATCH_ERRNOS = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'EACCES', 'EPERM', 'ENXIO', 'EISDIR', 'ETXTBSY', 'EROFS'])

/** The file to share: `claim.path` opened read-only, and the same inode, size and modification time the client saw. */
export async function openClaimedSource (claim: LocalFileClaim & { size: number, mtimeNs: string }): Promise<FileHandle> {
  return await openClaimed(claim, constants.O_RDONLY, (info) => {
    if (info.size !== BigInt(claim.size)) return `its size is ${info.size}, not ${claim.size}`
    if (info.mtimeNs !== BigInt(claim.mtimeNs)) return 'it was modified since the client looked at it'
    return undefined
  })
}

/** The file to fetch into: `claim.path` opened write-only, the inode the client created, and still empty. */
export async function openClaimedTarget (claim: LocalFileClaim): Promise<FileHandle> {
  return await openClaimed(claim, constants.O_WRONLY, (info) => info.size !== 0n ? `it is not empty (${info.size} bytes)` : undefined)
}

async function openClaimed (claim: LocalFileClaim, mode: number, check: (info: BigIntStats) => string | undefined): Promise<FileHandle> {
  let handle: FileHandle
  try {
    handle = await open(claim.path, mode | GUARDS)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? ''
    if (MISMATCH_ERRNOS.has(code)) throw new LocalPathMismatchError(claim.path, `the daemon cannot open it (${code})`)
    throw err
  }
  try {
    const info = await handle.stat({ bigint: true })
    // dev and ino name one file on this machine; the client holds it open while it asks, so the inode cannot have
    // been freed and given to another file meanwhile.
    const why = !info.isFile()
      ? 'not a regular file'
      : info.dev !== BigInt(claim.dev) || info.ino !== BigInt(claim.ino) ? 'another file than the one the client opened' : check(info)
    if (why !== undefined) throw new LocalPathMismatchError(claim.path, why)
    return handle
  } catch (err) {
    await handle.close()
    throw err
  }
}

/**
 * Write a fetch's bytes into `handle` from offset 0, each write awaited before the next chunk is taken (the fetch reads
 * no faster than the disk takes it), then fsync it. Fails if the fetch fails or gives other than its size in bytes.
 */
export async function writeFetchInto (handle: FileHandle, start: FetchStart, onProgress?: (event: ProgressEvent) => void): Promise<void> {
  let position = 0
  for await (const chunk of start.body) {
    let done = 0
    while (done < chunk.byteLength) {
      const { bytesWritten } = await handle.write(chunk, done, chunk.byteLength - done, position + done)
      done += bytesWritten
    }
    position += chunk.byteLength
    onProgress?.({ phase: 'fetch', bytes: position, total: start.size })
  }
  if (position !== start.size) throw new SizeMismatchError(`the fetch gave ${position} bytes, the manifest says ${start.size}`, { cid: start.cid })
  await handle.sync()
}
