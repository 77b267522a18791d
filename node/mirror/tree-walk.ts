// The walk of a directory to publish: every regular file under it, and every path left out with the reason
// (docs/MIRRORS.md, "What a version holds"). What a version holds and what it leaves out:
// - Regular files only. A symbolic link is never followed, whether it points inside the tree or out of it (a link out
//   would publish files its publisher never meant to, and a link in would publish them twice); sockets, FIFOs and
//   devices have no content to share. Each is listed in `skipped`.
// - The directory given may itself be a symbolic link (`publish /srv/current` where current -> release-42): it is
//   resolved once, at the start, so the whole walk reads one directory even if the link changes meanwhile.
// - Names must be valid UTF-8 and make a path assertMirrorPath accepts (a directory manifest holds strings, and a
//   follower must write the same name back); any other name is skipped, its path shown with U+FFFD in place of the
//   bytes that are not UTF-8.
// - Empty directories are not part of a version: a version is a list of files, and a follower creates the directories
//   that hold them. A directory holding only skipped paths is empty too.
// - The mode kept is the permission bits (mode & 0o777): setuid, setgid and sticky are dropped, so a follower never
//   writes a setuid file because a publisher had one.
// - A subdirectory that cannot be read (EACCES…) is skipped with its errno; the directory given must be readable.
import { lstat, opendir, realpath, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { assertMirrorPath, compareMirrorPaths, MAX_DIRECTORY_FILES } from '../../coder/directory-manifest.ts'
import { classifyError, EdgemirrorError, TreeTooLargeError, UsageError } from '../errors.ts'
import type { SkippedPath } from './types.ts'

export interface WalkedFile {
  /** Relative POSIX path, as the directory manifest records it. */
  path: string
  /** Where to read it: the resolved directory given, joined with `path`. */
  absolute: string
  size: number
  /** Permission bits only (mode & 0o777). */
  mode: number
  /** What the publish index compares (node/mirror/publish-index.ts): a file with the same path, size, mtime, inode and
   *  device is taken to be unchanged. */
  mtimeMs: number
  ino: number
  dev: number
}

export interface TreeWalk {
  /** Sorted by path (compareMirrorPaths), the order of the directory manifest. */
  files: WalkedFile[]
  /** Sorted by path too. */
  skipped: SkippedPath[]
}

export interface WalkOptions {
  signal?: AbortSignal
  /** Most files (and, apart, most skipped paths) before the walk gives up with ERR_TREE_TOO_LARGE: MAX_DIRECTORY_FILES,
   *  or less (tests). */
  maxFiles?: number
}

/** lstat calls in flight per directory: libuv runs 4 file system calls at once (UV_THREADPOOL_SIZE), so a few more
 *  keep its threads busy without queueing thousands of requests for a huge directory. */
const LSTAT_BATCH = 16

const utf8 = new TextDecoder('utf-8', { fatal: true })
const lossyUtf8 = new TextDecoder('utf-8')

export async function walkTree (dir: string, options: WalkOptions = {}): Promise<TreeWalk> {
  const { signal } = options
  const maxFiles = Math.min(options.maxFiles ?? MAX_DIRECTORY_FILES, MAX_DIRECTORY_FILES)
  let root: string
  try {
    root = await realpath(dir)
    if (!(await stat(root)).isDirectory()) throw new UsageError(`${dir} is not a directory`)
  } catch (err) {
    throw err instanceof EdgemirrorError ? err : classifyError(err)
  }
  const files: WalkedFile[] = []
  const skipped: SkippedPath[] = []
  const skip = (path: string, reason: string): void => {
    skipped.push({ path, reason })
    if (skipped.length > maxFiles) throw new TreeTooLargeError(dir, maxFiles, 'paths to leave out')
  }
  // Every name read is a file, a skipped path or a directory: files and skipped paths have their bound, directories
  // (empty ones cost nothing else) as many again, so that a tree of millions of empty directories ends too.
  const maxNames = 3 * maxFiles
  let names = 0
  // Relative paths of the directories still to read ('' is the root): a stack, not recursion, so depth costs nothing.
  const pending = ['']
  for (let rel = pending.pop(); rel !== undefined; rel = pending.pop()) {
    signal?.throwIfAborted()
    let listing: Buffer[]
    try {
      listing = await readNames(rel === '' ? root : join(root, rel), maxNames - names)
    } catch (err) {
      if (err instanceof EdgemirrorError) throw err
      if (rel === '') throw classifyError(err)
      skip(rel, `${errnoOf(err)}: the directory cannot be read`)
      continue
    }
    names += listing.length
    if (names > maxNames) throw new TreeTooLargeError(dir, maxNames, 'directory entries (files, directories and skipped paths)')
    const prefix = rel === '' ? '' : `${rel}/`
    const children: string[] = []
    for (const bytes of listing) {
      let name: string
      try {
        name = utf8.decode(bytes)
      } catch {
        skip(prefix + lossyUtf8.decode(bytes), 'the name is not valid UTF-8')
        continue
      }
      const path = prefix + name
      try {
        assertMirrorPath(path)
      } catch (err) {
        skip(path, `not a valid mirror path: ${String((err as EdgemirrorError).details.reason)}`)
        continue
      }
      children.push(path)
    }
    for (let i = 0; i < children.length; i += LSTAT_BATCH) {
      signal?.throwIfAborted()
      const batch = children.slice(i, i + LSTAT_BATCH)
      const stats = await Promise.allSettled(batch.map(async path => await lstat(join(root, path))))
      batch.forEach((path, j) => {
        const result = stats[j]
        if (result.status === 'rejected') {
          const errno = errnoOf(result.reason)
          skip(path, errno === 'ENOENT' ? 'ENOENT: removed during the walk' : `${errno}: cannot stat`)
          return
        }
        const st = result.value
        if (st.isSymbolicLink()) skip(path, 'symbolic link: not followed')
        else if (st.isDirectory()) pending.push(path)
        else if (st.isFile()) {
          files.push({ path, absolute: join(root, path), size: st.size, mode: st.mode & 0o777, mtimeMs: st.mtimeMs, ino: st.ino, dev: st.dev })
          if (files.length > maxFiles) throw new TreeTooLargeError(dir, maxFiles)
        } else skip(path, `not a regular file (${kindOf(st)})`)
      })
    }
  }
  files.sort((a, b) => compareMirrorPaths(a.path, b.path))
  skipped.sort((a, b) => compareMirrorPaths(a.path, b.path))
  return { files, skipped }
}

/** The names in a directory, as bytes: a name that is not UTF-8 would otherwise be decoded with U+FFFD and could not
 *  be opened again. Stops after `max` + 1 (what is left of the walk's bound, and one to tell it was exceeded). */
async function readNames (dir: string, max: number): Promise<Buffer[]> {
  const names: Buffer[] = []
  // 'buffer' works here as for readdir (tested), but @types/node types Dir with text encodings only.
  const handle = await opendir(dir, { encoding: 'buffer' as BufferEncoding })
  for await (const dirent of handle) { // closes the handle when done or thrown out of
    names.push(dirent.name as unknown as Buffer)
    if (names.length > max) break
  }
  return names
}

function errnoOf (err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code
  return typeof code === 'string' ? code : (err as Error)?.message ?? String(err)
}

function kindOf (st: { isFIFO: () => boolean, isSocket: () => boolean, isBlockDevice: () => boolean, isCharacterDevice: () => boolean }): string {
  if (st.isFIFO()) return 'a FIFO'
  if (st.isSocket()) return 'a socket'
  if (st.isBlockDevice()) return 'a block device'
  if (st.isCharacterDevice()) return 'a character device'
  return 'unknown type'
}
