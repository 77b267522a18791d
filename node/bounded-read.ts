// Reading a small state file from the repo (untrusted like any input): never through a symlink put in its place, and
// never more than its bound into memory, checked before the bytes are read, not after.
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { FileTooLargeError } from './errors.ts'

/** The file as text; ENOENT and other errno errors as they are, ERR_FILE_TOO_LARGE past `maxBytes`. */
export async function readFileBounded (path: string, maxBytes: number): Promise<string> {
  return (await readBytesBounded(path, maxBytes)).toString('utf8')
}

/**
 * The file's bytes, bounded the same way. `followSymlinks` is for a path the operator named (a feed another program
 * writes, e.g. --carbon-file, may well be a symlink), never for the repo's own state files.
 */
export async function readBytesBounded (path: string, maxBytes: number, options: { followSymlinks?: boolean } = {}): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | (options.followSymlinks === true ? 0 : constants.O_NOFOLLOW))
  try {
    const { size } = await handle.stat()
    if (size > maxBytes) throw new FileTooLargeError(path, `${size} bytes, over ${maxBytes}`)
    const buffer = Buffer.alloc(size + 1)
    let length = 0
    // Read to the end even if the file grew since the stat, but never past the bound.
    while (length < buffer.byteLength) {
      const { bytesRead } = await handle.read(buffer, length, buffer.byteLength - length, length)
      if (bytesRead === 0) break
      length += bytesRead
    }
    if (length > size) throw new FileTooLargeError(path, `it grew while being read (past ${size} bytes)`)
    return buffer.subarray(0, length)
  } finally {
    await handle.close()
  }
}
