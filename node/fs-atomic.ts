// Crash-safe small-file writes for the repo dir (config, identity, API address): tmp → fsync → rename → fsync dir.
import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

export async function writeFileAtomic (path: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const file = await open(tmp, 'wx', mode)
  try {
    await file.writeFile(data)
    await file.sync()
  } finally {
    await file.close()
  }
  await renameDurably(tmp, path)
}

/** Rename `from` over `to` and fsync the directory, so the new name survives a crash; `from` is removed on failure. */
export async function renameDurably (from: string, to: string): Promise<void> {
  try {
    await rename(from, to)
  } catch (err) {
    await rm(from, { force: true })
    throw err
  }
  await fsyncPath(dirname(to))
}

/** fsync a file or directory by path. `directory: true` skips the fsync on Windows, where a directory cannot be opened
 *  for it (the shard store's directories; the repo dir's small files never ran there). */
export async function fsyncPath (path: string, options: { directory?: boolean } = {}): Promise<void> {
  if (options.directory === true && process.platform === 'win32') return
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
