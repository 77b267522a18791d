// The CLI's side of the local fast path (docs/ARCHITECTURE.md, "The local fast path"): when the daemon sees this file
// system, it reads the file to share and writes the file fetched itself, and the bytes never cross the control API.
// The CLI opens the file (a share) or creates the temp file (a fetch) itself and sends what its fstat(2) saw; the
// daemon uses the path only if it opens that very file. If it cannot (ERR_LOCAL_PATH_MISMATCH: another file system, a
// symlink, another user's daemon...), these answer undefined and the verb streams the bytes as before.
import { open, rm } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { ApiClient, ShareRequest } from '../api/client.ts'
import type { FetchLocalResult } from '../api/routes.ts'
import type { SharedFile } from '../api/types.ts'
import { EdgemirrorError } from '../errors.ts'
import { eventProgress } from './progress.ts'

/** How the bytes went between the CLI and the daemon: the daemon read or wrote the file itself, or they streamed over HTTP. */
export type Transfer = 'local' | 'stream'

export const NO_LOCAL_HELP = 'stream the bytes over the control API instead of letting the daemon read or write the file itself'

/** Share `file` by path. The CLI holds it open while the daemon works, so its inode cannot be freed and reused by
 *  another file between the CLI's fstat and the daemon's. */
export async function shareLocally (api: ApiClient, file: string, request: Omit<ShareRequest, 'size'>, showProgress: boolean): Promise<SharedFile & { transfer: Transfer } | undefined> {
  const path = resolve(file)
  const handle = await open(path, 'r')
  const progress = eventProgress('share', showProgress)
  try {
    const info = await handle.stat({ bigint: true })
    const claim = { path, dev: String(info.dev), ino: String(info.ino), size: Number(info.size), mtimeNs: String(info.mtimeNs) }
    const shared = await fallBackOnMismatch(api.shareLocal({ ...claim, ...request }, { onProgress: progress.update }))
    return shared === undefined ? undefined : { ...shared, transfer: 'local' }
  } finally {
    progress.stop()
    await handle.close()
  }
}

export interface FetchIntoOptions {
  showProgress: boolean
  /** Check the filled temp file against what the daemon says it wrote (its size; with --sha256 its hash) and give it
   *  its final name (fetch's target checks and rename or link). */
  place: (written: FetchLocalResult) => Promise<void>
}

/**
 * Fetch `cid` into `tmp`, a file this creates (exclusively, mode 0644 as a streamed fetch does) and the daemon fills,
 * then `place` it. On any failure, and on the fallback, the temp file is removed: the streamed fetch starts afresh.
 */
export async function fetchLocally (api: ApiClient, cid: string, tmp: string, options: FetchIntoOptions): Promise<FetchLocalResult & { transfer: Transfer } | undefined> {
  const handle = await open(tmp, 'wx', 0o644)
  const progress = eventProgress('fetch', options.showProgress)
  let placed = false
  try {
    const info = await handle.stat({ bigint: true })
    const fetched = await fallBackOnMismatch(api.fetchLocal({ cid, path: tmp, dev: String(info.dev), ino: String(info.ino) }, { onProgress: progress.update }))
    progress.stop()
    if (fetched === undefined) return undefined
    await handle.close()
    await options.place(fetched)
    placed = true
    return { ...fetched, transfer: 'local' }
  } finally {
    progress.stop()
    await handle.close()
    if (!placed) await rm(tmp, { force: true })
  }
}

async function fallBackOnMismatch<T> (request: Promise<T>): Promise<T | undefined> {
  try {
    return await request
  } catch (err) {
    if (err instanceof EdgemirrorError && err.code === 'ERR_LOCAL_PATH_MISMATCH') return undefined
    throw err
  }
}
