// A follower's copy of a mirror set on disk: DIR always shows one complete version and moves to the next atomically.
//
// Layout (docs/MIRRORS.md, "A follower's directory"):
//   DIR                              symlink → `<basename(DIR)>.versions/<seq>` (relative: the pair can be moved)
//   DIR.versions/<seq>/              a complete version: the one DIR shows, and the one it showed before
//   DIR.versions/<seq>.index.json    each file of <seq> as it was right after it was written: cid, size, mtimeNs, ino
//   DIR.versions/<seq>.partial/      the version being built; a file gets its final name there only once complete
//   DIR.versions/<seq>.journal       the files completed in <seq>.partial, one JSON line each (resume after a crash)
//   DIR.versions/<seq>.tmp/          files being fetched or copied, named by their entry's position: a published
//                                    name can be anything, so no temp name inside the tree could be kept from
//                                    colliding with one (`.<name>.part` is a valid published name)
//   DIR.versions/.link-<random>      the new symlink, for the moment before it is renamed over DIR
//
// A switch: every file of <seq>.partial is fsynced (fetchers may not), then its directories; the index is written
// (tmp → fsync → rename); <seq>.partial is renamed to <seq> and DIR.versions fsynced; a new symlink is renamed over
// DIR (rename(2) is atomic: a reader resolving DIR sees the old tree or the new one, never a mix) and DIR's parent
// is fsynced. A SIGKILL at any point leaves DIR on the old version or the new one, each complete, and the next
// materialize resumes: files already complete in <seq>.partial are kept when the journal vouches for them.
// Old versions are removed after the switch except the one just replaced: a reader that resolved a path through it a
// moment ago can still open it; it goes on the next switch. Open file handles never notice (unlink keeps the inode).
//
// Reuse: a file whose CID is in the version DIR shows, still as the index recorded it (size, mtime and inode: the
// follower's copy may have been edited), is hard-linked (same permission bits) or copied instead of fetched. Hard
// links share the inode across versions: an edit through either path shows in both indexes as a changed file, which
// is then neither reused nor served (localFile, localCopy) and is fetched again for the next version. An edit that
// keeps size and mtime (`touch -d`) is not detected, as with rsync's quick check.
//
// Modes: each file gets `entry.mode & 0o777`, exactly the publisher's bits (nothing is stripped or added: a published
// tree is read-only by convention, not by force). Directories are created 0o755 (before the umask).
//
// Paths are untrusted even after the manifest's own checks: each must be relative, with no '', '.' or '..' segment
// and no NUL, resolve inside the version directory, and no existing component may be a symlink. One process manages
// a DIR at a time (the daemon's repo lock); calls on one MirrorDirectory are serialised.
import { randomBytes } from 'node:crypto'
import { constants as fsConstants, type BigIntStats } from 'node:fs'
import { copyFile, link, lstat, mkdir, open, readdir, readlink, rename, rm, rmdir, symlink, unlink, type FileHandle } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path'
import { logger } from '@libp2p/logger'
import { AbortedError, InvalidParametersError, SizeMismatchError } from '../../coder/errors.ts'
import type { DirectoryEntry } from '../../coder/directory-manifest.ts'
import { FileAccessError, InvalidPathError, PathConflictError, UsageError } from '../errors.ts'
import { fsyncPath, writeFileAtomic } from '../fs-atomic.ts'
import { runPool } from './run-pool.ts'

const log = logger('edgemirror:mirror')

export interface VersionFetcher {
  /** Write the verified bytes of `cid` (exactly `size` bytes) to `path`, a new file (create with flags 'wx'); throws
   *  on any failure (the caller removes nothing: MirrorDirectory cleans up). */
  fetchTo: (cid: string, size: number, path: string, options: { signal?: AbortSignal }) => Promise<void>
}

export interface MaterializeResult {
  seq: number
  files: number
  bytes: number
  fetched: number
  fetchedBytes: number
  /** Files not fetched: kept from a resumed .partial, linked or copied from the version DIR showed, or another path
   *  of this version with the same CID. */
  reused: number
  reusedBytes: number
  removedVersions: number[]
}

export interface MaterializeProgress { files: number, totalFiles: number, bytes: number, totalBytes: number }

export interface MaterializeOptions {
  signal?: AbortSignal
  onProgress?: (event: MaterializeProgress) => void
  /** Files fetched at once. */
  concurrency?: number
}

/** Files fetched at once by default: enough to overlap the swarm's latency, few enough for a 2-core edge box. */
export const DEFAULT_MATERIALIZE_CONCURRENCY = 4
/** Linux's PATH_MAX and NAME_MAX (bytes): a longer path or name cannot be created anyway. */
const MAX_PATH_BYTES = 4096
const MAX_NAME_BYTES = 255
/** wire/messages.ts bounds CIDs the same way. */
const MAX_CID_LENGTH = 128
/** An index or journal line is ~200 bytes per file: 64 MiB holds ~300,000 files; a larger file is not one of ours. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024
const INDEX_VERSION = 1
const DIR_MODE = 0o755
// O_NOFOLLOW: a symlink planted in DIR.versions (where our state files live) is refused, not followed.
const READ_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0)
const APPEND_FLAGS = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_APPEND | (fsConstants.O_NOFOLLOW ?? 0)
const SEQ_NAME = /^[1-9][0-9]{0,15}$/
const DECIMAL = /^[0-9]{1,30}$/

/** A file as it was right after it was written: if its stat still says so, it is unchanged. */
interface FileRecord { path: string, cid: string, size: number, mtimeNs: string, ino: string }

interface VersionIndex { byPath: Map<string, FileRecord>, byCid: Map<string, FileRecord[]> }

/** The segments of a safe relative path, or a reason it is not one. */
function pathSegments (path: unknown): string[] | string {
  if (typeof path !== 'string') return 'not a string'
  if (path === '') return 'empty'
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) return `over ${MAX_PATH_BYTES} bytes`
  if (path.includes('\0')) return 'holds a NUL byte'
  if (path.startsWith('/')) return 'absolute'
  const segments = path.split('/')
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') return `a segment is ${JSON.stringify(segment)}`
    if (Buffer.byteLength(segment) > MAX_NAME_BYTES) return `a name is over ${MAX_NAME_BYTES} bytes`
  }
  return segments
}

/** `path` joined under `root`, refused unless it stays strictly inside (belt and braces after pathSegments). */
function inside (root: string, path: string): string {
  const segments = pathSegments(path)
  if (typeof segments === 'string') throw new InvalidPathError(path, segments)
  const full = resolve(root, ...segments)
  if (!full.startsWith(root + sep)) throw new InvalidPathError(path, 'resolves outside the directory')
  return full
}

/** Check a version's entries before anything touches the disk: safe paths, sane fields, no path twice, no file
 *  that another path needs as a directory. Returns every directory the tree needs. */
function checkEntries (entries: DirectoryEntry[]): Set<string> {
  const files = new Set<string>()
  const dirs = new Map<string, string>()
  for (const entry of entries) {
    const segments = pathSegments(entry?.path)
    if (typeof segments === 'string') throw new InvalidPathError(String(entry?.path), segments)
    if (typeof entry.cid !== 'string' || entry.cid.length === 0 || entry.cid.length > MAX_CID_LENGTH || /[^\x21-\x7e]/.test(entry.cid)) {
      throw new InvalidParametersError(`${entry.path}: its CID is not a printable string of 1 to ${MAX_CID_LENGTH} characters`, { path: entry.path })
    }
    if (!Number.isSafeInteger(entry.size) || entry.size < 0) throw new InvalidParametersError(`${entry.path}: size ${String(entry.size)} is not a byte count`, { path: entry.path })
    if (!Number.isInteger(entry.mode) || entry.mode < 0 || entry.mode > 0o777) throw new InvalidParametersError(`${entry.path}: mode ${String(entry.mode)} is not within 0o777`, { path: entry.path })
    if (files.has(entry.path)) throw new PathConflictError(entry.path, entry.path)
    const needer = dirs.get(entry.path)
    if (needer !== undefined) throw new PathConflictError(entry.path, needer)
    files.add(entry.path)
    for (let i = 1; i < segments.length; i++) {
      const dir = segments.slice(0, i).join('/')
      if (files.has(dir)) throw new PathConflictError(dir, entry.path)
      if (!dirs.has(dir)) dirs.set(dir, entry.path)
    }
  }
  return new Set(dirs.keys())
}

function recordOf (value: unknown): FileRecord | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
  const r = value as Record<string, unknown>
  if (typeof pathSegments(r.path) === 'string') return undefined
  if (typeof r.cid !== 'string' || r.cid.length === 0 || r.cid.length > MAX_CID_LENGTH) return undefined
  if (typeof r.size !== 'number' || !Number.isSafeInteger(r.size) || r.size < 0) return undefined
  if (typeof r.mtimeNs !== 'string' || !DECIMAL.test(r.mtimeNs) || typeof r.ino !== 'string' || !DECIMAL.test(r.ino)) return undefined
  return { path: r.path as string, cid: r.cid, size: r.size, mtimeNs: r.mtimeNs, ino: r.ino }
}

function indexOf (records: Iterable<FileRecord>): VersionIndex {
  const index: VersionIndex = { byPath: new Map(), byCid: new Map() }
  for (const record of records) {
    index.byPath.set(record.path, record)
    const same = index.byCid.get(record.cid)
    if (same === undefined) index.byCid.set(record.cid, [record])
    else same.push(record)
  }
  return index
}

function matches (info: BigIntStats, record: FileRecord): boolean {
  return info.isFile() && info.size === BigInt(record.size) && info.mtimeNs.toString() === record.mtimeNs && info.ino.toString() === record.ino
}

/** Read one of our own small state files (index, journal) as untrusted: a regular file, not a symlink, bounded. */
async function readStateFile (path: string): Promise<string | undefined> {
  let handle: FileHandle
  try {
    handle = await open(path, READ_FLAGS)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    log.error('cannot open %s, ignored: %s', path, (err as Error).message)
    return undefined
  }
  try {
    const info = await handle.stat()
    if (!info.isFile() || info.size > MAX_INDEX_BYTES) {
      log.error('%s is not a regular file of at most %d bytes, ignored', path, MAX_INDEX_BYTES)
      return undefined
    }
    return await handle.readFile('utf8')
  } finally {
    await handle.close()
  }
}

function errno (err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code
}

export class MirrorDirectory {
  readonly dir: string
  readonly versionsDir: string
  /** DIR's symlink target for `seq` is `${linkPrefix}${seq}`. */
  readonly #linkPrefix: string
  readonly #indexes = new Map<number, VersionIndex>()
  #queue: Promise<unknown> = Promise.resolve()

  constructor (dir: string) {
    if (!isAbsolute(dir)) throw new UsageError(`a mirror directory must be an absolute path, got ${JSON.stringify(dir)}`)
    this.dir = resolve(dir)
    if (basename(this.dir) === '') throw new UsageError('a mirror directory cannot be the root directory')
    this.versionsDir = `${this.dir}.versions`
    this.#linkPrefix = `${basename(this.dir)}.versions/`
  }

  /** Check DIR can be managed: absent, an empty directory (replaced by the symlink at the first switch), or already
   *  our symlink into DIR.versions. Anything else is a user's and is refused, never deleted. */
  async prepare (): Promise<void> {
    const parent = dirname(this.dir)
    const parentInfo = await lstat(parent).catch(() => undefined)
    if (parentInfo?.isDirectory() !== true) throw new UsageError(`cannot mirror into ${this.dir}: its parent ${parent} is not an existing directory`)
    const info = await lstat(this.dir).catch((err: unknown) => { if (errno(err) === 'ENOENT') return undefined; throw err })
    if (info !== undefined) {
      if (info.isSymbolicLink()) {
        if (this.#seqOfLink(await readlink(this.dir)) === undefined) {
          throw new UsageError(`cannot mirror into ${this.dir}: it is a symlink that edgemirror did not make (it would point into ${basename(this.versionsDir)}/); move it away first`)
        }
      } else if (info.isDirectory()) {
        if ((await readdir(this.dir)).length > 0) throw new UsageError(`cannot mirror into ${this.dir}: it is a directory that is not empty; mirror into a new or empty one (its files are never deleted)`)
      } else {
        throw new UsageError(`cannot mirror into ${this.dir}: it exists and is not a directory`)
      }
    }
    const versions = await lstat(this.versionsDir).catch((err: unknown) => { if (errno(err) === 'ENOENT') return undefined; throw err })
    if (versions !== undefined && !versions.isDirectory()) throw new UsageError(`cannot mirror into ${this.dir}: ${this.versionsDir} exists and is not a directory`)
  }

  /** The seq DIR points at now, or undefined (absent, not our symlink, or pointing at no version directory). */
  async current (): Promise<number | undefined> {
    try {
      const seq = this.#seqOfLink(await readlink(this.dir))
      if (seq === undefined) return undefined
      return (await lstat(this.#versionPath(seq))).isDirectory() ? seq : undefined
    } catch {
      return undefined
    }
  }

  /** Build version `seq` from `entries` beside the current one and switch DIR to it (see the header). A seq at or
   *  below the current one is a no-op answering the current numbers: DIR never goes back. */
  async materialize (seq: number, entries: DirectoryEntry[], fetcher: VersionFetcher, options: MaterializeOptions = {}): Promise<MaterializeResult> {
    const run = this.#queue.then(async () => await this.#materialize(seq, entries, fetcher, options))
    this.#queue = run.catch(() => {})
    return await run
  }

  /** Absolute path of `path` in version `seq`, when DIR shows `seq` now and the file is as it was written; else
   *  undefined. The path is inside DIR.versions/<seq>, so it stays valid through the next switch. */
  async localFile (seq: number, path: string): Promise<string | undefined> {
    if (typeof pathSegments(path) === 'string') return undefined
    if (await this.current() !== seq) return undefined
    const record = (await this.#index(seq)).byPath.get(path)
    if (record === undefined) return undefined
    return await this.#unchanged(seq, record) !== undefined ? inside(this.#versionPath(seq), path) : undefined
  }

  /** Absolute path of an unchanged copy of a file with this CID in the version DIR shows, or undefined. */
  async localCopy (cid: string): Promise<string | undefined> {
    const seq = await this.current()
    if (seq === undefined) return undefined
    for (const record of (await this.#index(seq)).byCid.get(cid) ?? []) {
      if (await this.#unchanged(seq, record) !== undefined) return inside(this.#versionPath(seq), record.path)
    }
    return undefined
  }

  // ---- building a version

  async #materialize (seq: number, entries: DirectoryEntry[], fetcher: VersionFetcher, options: MaterializeOptions): Promise<MaterializeResult> {
    if (!Number.isSafeInteger(seq) || seq < 1) throw new UsageError(`a version is a positive integer, got ${String(seq)}`)
    if (!Array.isArray(entries)) throw new UsageError('entries must be a list')
    const concurrency = options.concurrency ?? DEFAULT_MATERIALIZE_CONCURRENCY
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new UsageError(`concurrency must be a positive integer, got ${String(concurrency)}`)
    const dirs = checkEntries(entries)
    await this.prepare()
    const current = await this.current()
    if (current !== undefined && seq <= current) return await this.#currentNumbers(current)
    options.signal?.throwIfAborted()

    await mkdir(this.versionsDir, { mode: DIR_MODE, recursive: true })
    await this.#removeLeftovers(seq, current)
    const partial = join(this.versionsDir, `${seq}.partial`)
    const tmp = join(this.versionsDir, `${seq}.tmp`)
    const journalPath = join(this.versionsDir, `${seq}.journal`)
    const journaled = await this.#resumable(seq)
    await mkdir(partial, { mode: DIR_MODE, recursive: true })
    await rm(tmp, { recursive: true, force: true })
    await mkdir(tmp, { mode: DIR_MODE })

    const byPath = new Map(entries.map(entry => [entry.path, entry]))
    const done = new Map<string, FileRecord>()
    await this.#prune(partial, '', byPath, dirs, journaled, done)

    const totalBytes = entries.reduce((sum, entry) => sum + entry.size, 0)
    const result: MaterializeResult = { seq, files: entries.length, bytes: totalBytes, fetched: 0, fetchedBytes: 0, reused: done.size, reusedBytes: 0, removedVersions: [] }
    for (const record of done.values()) result.reusedBytes += record.size
    let doneBytes = result.reusedBytes
    const progress = (): void => { options.onProgress?.({ files: done.size, totalFiles: entries.length, bytes: doneBytes, totalBytes }) }
    progress()

    const oldIndex = current !== undefined ? await this.#index(current) : undefined
    const journal = await open(journalPath, APPEND_FLAGS, 0o644)
    const made = new Set<string>([''])
    const abort = new AbortController()
    const signal = options.signal !== undefined ? AbortSignal.any([options.signal, abort.signal]) : abort.signal
    const place = async (entry: DirectoryEntry, how: 'fetched' | 'reused', record: FileRecord): Promise<void> => {
      await journal.appendFile(`${JSON.stringify(record)}\n`)
      done.set(entry.path, record)
      doneBytes += entry.size
      if (how === 'fetched') {
        result.fetched++
        result.fetchedBytes += entry.size
      } else {
        result.reused++
        result.reusedBytes += entry.size
      }
      progress()
    }

    // One task per CID: its first missing path comes from a kept file, the old version or the fetcher; the others
    // are linked or copied from that one, so a CID is fetched at most once per version.
    const groups = new Map<string, DirectoryEntry[]>()
    entries.forEach(entry => {
      if (done.has(entry.path)) return
      const group = groups.get(entry.cid)
      if (group === undefined) groups.set(entry.cid, [entry])
      else group.push(entry)
    })
    const positions = new Map(entries.map((entry, i) => [entry.path, i]))
    const tmpOf = (entry: DirectoryEntry): string => join(tmp, String(positions.get(entry.path)))

    const kept = new Map<string, FileRecord>()
    for (const record of done.values()) kept.set(record.cid, record)
    const fromOldVersion = async (entry: DirectoryEntry, target: string): Promise<FileRecord | undefined> => {
      if (oldIndex === undefined || current === undefined) return undefined
      for (const old of oldIndex.byCid.get(entry.cid) ?? []) {
        const oldPath = await this.#unchanged(current, old)
        const record = oldPath !== undefined ? await this.#reuse({ path: oldPath, record: old }, entry, target, tmpOf(entry)) : undefined
        if (record !== undefined) return record
      }
      return undefined
    }
    const buildGroup = async (cid: string, missing: DirectoryEntry[]): Promise<void> => {
      const first = kept.get(cid)
      let source = first !== undefined ? { path: inside(partial, first.path), record: first } : undefined
      for (const entry of missing) {
        signal.throwIfAborted()
        const target = await this.#makeParents(partial, entry.path, made)
        let record = source !== undefined ? await this.#reuse(source, entry, target, tmpOf(entry)) : undefined
        record ??= await fromOldVersion(entry, target)
        if (record !== undefined) {
          await place(entry, 'reused', record)
        } else {
          record = await this.#fetch(fetcher, entry, target, tmpOf(entry), signal)
          await place(entry, 'fetched', record)
        }
        source = { path: target, record }
      }
    }

    try {
      await runPool([...groups], concurrency, async ([cid, missing]) => { await buildGroup(cid, missing) }, abort)
    } catch (err) {
      if (options.signal?.aborted === true) throw new AbortedError(`materializing version ${seq} of ${this.dir} aborted; the files done are kept for the next run`)
      throw err
    } finally {
      await journal.close()
    }

    // Durable before visible: the files were fsynced one by one; now their directories, the index, the rename.
    for (const dir of [...dirs].sort((a, b) => b.length - a.length)) await fsyncPath(inside(partial, dir), { directory: true })
    await fsyncPath(partial, { directory: true })
    const records = entries.map(entry => done.get(entry.path) as FileRecord)
    await writeFileAtomic(this.#indexPath(seq), JSON.stringify({ version: INDEX_VERSION, seq, files: records }))
    await rename(partial, this.#versionPath(seq))
    await fsyncPath(this.versionsDir, { directory: true })
    this.#indexes.set(seq, indexOf(records))

    await this.#switchTo(seq)
    await rm(journalPath, { force: true })
    await rm(tmp, { recursive: true, force: true })
    result.removedVersions = await this.#removeOldVersions(seq, current)
    return result
  }

  /** The numbers of the version DIR shows, for a materialize that has nothing to do. */
  async #currentNumbers (seq: number): Promise<MaterializeResult> {
    const index = await this.#index(seq)
    let bytes = 0
    for (const record of index.byPath.values()) bytes += record.size
    return { seq, files: index.byPath.size, bytes, fetched: 0, fetchedBytes: 0, reused: 0, reusedBytes: 0, removedVersions: [] }
  }

  /** What a crashed run of `seq` completed: its journal, plus the index of a `<seq>` that was renamed into place but
   *  never switched to (it becomes the .partial again, checked file by file like any other). */
  async #resumable (seq: number): Promise<Map<string, FileRecord>> {
    const records = new Map<string, FileRecord>()
    const built = this.#versionPath(seq)
    const partial = join(this.versionsDir, `${seq}.partial`)
    if ((await lstat(built).catch(() => undefined)) !== undefined) {
      if ((await lstat(partial).catch(() => undefined)) === undefined) {
        for (const record of await this.#readIndexFile(seq)) records.set(record.path, record)
        await rename(built, partial)
      } else {
        await rm(built, { recursive: true, force: true })
      }
    }
    await rm(this.#indexPath(seq), { force: true })
    this.#indexes.delete(seq)
    const text = await readStateFile(join(this.versionsDir, `${seq}.journal`))
    for (const line of text?.split('\n') ?? []) {
      if (line === '') continue
      let record: FileRecord | undefined
      try {
        record = recordOf(JSON.parse(line))
      } catch {}
      // A torn last line (a crash mid-append) or a foreign one: that file is checked again or fetched again.
      if (record === undefined) log('journal of version %d: skipped a line that is not a file record', seq)
      else records.set(record.path, record)
    }
    return records
  }

  /** Walk a resumed .partial: keep each file the journal vouches for (same CID, size and mode as its entry, stat as
   *  recorded), remove everything else (files of no entry, torn or edited files, symlinks, stray directories). */
  async #prune (root: string, prefix: string, byPath: Map<string, DirectoryEntry>, dirs: Set<string>, journaled: Map<string, FileRecord>, done: Map<string, FileRecord>): Promise<void> {
    const here = prefix === '' ? root : join(root, prefix)
    for (const name of await readdir(here)) {
      const rel = prefix === '' ? name : `${prefix}/${name}`
      const full = join(here, name)
      const info = await lstat(full, { bigint: true })
      if (info.isDirectory() && dirs.has(rel)) {
        await this.#prune(root, rel, byPath, dirs, journaled, done)
        continue
      }
      const entry = byPath.get(rel)
      const record = journaled.get(rel)
      if (entry !== undefined && record !== undefined && record.cid === entry.cid && record.size === entry.size &&
        matches(info, record) && Number(info.mode & 0o777n) === entry.mode) {
        done.set(rel, record)
        continue
      }
      await rm(full, { recursive: true, force: true })
    }
  }

  /** Create the parent directories of `path` under `root` (0o755), refusing any existing component that is not a
   *  real directory (a symlink planted there would send the write elsewhere). Returns the file's full path. */
  async #makeParents (root: string, path: string, made: Set<string>): Promise<string> {
    const target = inside(root, path)
    const segments = path.split('/')
    for (let i = 1; i < segments.length; i++) {
      const dir = segments.slice(0, i).join('/')
      if (made.has(dir)) continue
      const full = join(root, dir)
      try {
        await mkdir(full, { mode: DIR_MODE })
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw err
      }
      const info = await lstat(full)
      if (!info.isDirectory()) throw new FileAccessError(`${full} is not a directory (a symlink or file appeared there): refusing to write through it`, { path: full })
      made.add(dir)
    }
    return target
  }

  /** Place `entry` at `target` from an unchanged local file with its CID: a hard link when the permission bits are
   *  the same, else a copy. Undefined when the source changed meanwhile (the caller fetches instead). */
  async #reuse (source: { path: string, record: FileRecord }, entry: DirectoryEntry, target: string, tmp: string): Promise<FileRecord | undefined> {
    const before = await lstat(source.path, { bigint: true }).catch(() => undefined)
    if (before === undefined || !matches(before, source.record) || source.record.size !== entry.size) return undefined
    if (Number(before.mode & 0o777n) === entry.mode) {
      await link(source.path, target)
      const linked = await lstat(target, { bigint: true })
      // The source may have been replaced or edited between the check and the link: then this is not the file.
      if (!matches(linked, source.record)) {
        await unlink(target)
        return undefined
      }
      return { ...source.record, path: entry.path }
    }
    try {
      await copyFile(source.path, tmp, fsConstants.COPYFILE_EXCL)
      const after = await lstat(source.path, { bigint: true })
      if (!matches(after, source.record)) {
        await rm(tmp, { force: true })
        return undefined
      }
      return await this.#complete(entry, tmp, target)
    } catch (err) {
      await rm(tmp, { force: true })
      throw err
    }
  }

  async #fetch (fetcher: VersionFetcher, entry: DirectoryEntry, target: string, tmp: string, signal: AbortSignal): Promise<FileRecord> {
    try {
      await fetcher.fetchTo(entry.cid, entry.size, tmp, { signal })
      return await this.#complete(entry, tmp, target)
    } catch (err) {
      await rm(tmp, { force: true })
      throw err
    }
  }

  /** A written temp file becomes `target`: its size checked, the publisher's mode applied, fsynced, renamed. */
  async #complete (entry: DirectoryEntry, tmp: string, target: string): Promise<FileRecord> {
    const handle = await open(tmp, READ_FLAGS)
    try {
      const info = await handle.stat()
      if (!info.isFile()) throw new FileAccessError(`${tmp} is not a regular file`, { path: tmp })
      if (info.size !== entry.size) {
        throw new SizeMismatchError(`${entry.path}: ${entry.cid} was written as ${info.size} bytes, the version says ${entry.size}`, { path: entry.path, cid: entry.cid, expected: entry.size, actual: info.size })
      }
      await handle.chmod(entry.mode)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(tmp, target)
    const info = await lstat(target, { bigint: true })
    return { path: entry.path, cid: entry.cid, size: entry.size, mtimeNs: info.mtimeNs.toString(), ino: info.ino.toString() }
  }

  // ---- switching and cleaning up

  /** Point DIR at version `seq`: a new symlink renamed over DIR (atomic), then DIR's parent fsynced. */
  async #switchTo (seq: number): Promise<void> {
    const temp = join(this.versionsDir, `.link-${randomBytes(6).toString('hex')}`)
    await symlink(`${this.#linkPrefix}${seq}`, temp)
    try {
      const info = await lstat(this.dir).catch(() => undefined)
      // An empty directory cannot be renamed over (EISDIR): remove it first. rmdir fails on a non-empty one, so a
      // file the user put there meanwhile is never lost; a crash in between leaves DIR absent, which is no version.
      if (info?.isDirectory() === true) {
        await rmdir(this.dir).catch((err: unknown) => {
          if (errno(err) === 'ENOTEMPTY' || errno(err) === 'EEXIST') throw new UsageError(`cannot mirror into ${this.dir}: files appeared in it; move them away`)
          throw err
        })
      }
      await rename(temp, this.dir)
    } catch (err) {
      await rm(temp, { force: true })
      throw err
    }
    await fsyncPath(dirname(this.dir), { directory: true })
  }

  /** Before a build: remove what earlier runs left that no run can use (symlinks of an interrupted switch, partial
   *  builds of other versions, versions built but never switched to, temp dirs, orphaned indexes and journals). */
  async #removeLeftovers (seq: number, current: number | undefined): Promise<void> {
    for (const name of await readdir(this.versionsDir)) {
      const full = join(this.versionsDir, name)
      const match = /^([1-9][0-9]{0,15})(\.partial|\.tmp|\.journal|\.index\.json)?$/.exec(name)
      let remove = name.startsWith('.link-') || /^\.[0-9]+\.index\.json\..*\.tmp$/.test(name) // an index write cut short
      if (match !== null) {
        const n = Number(match[1])
        const kind = match[2] ?? ''
        if (kind === '.tmp') remove = true
        else if (n !== seq) {
          if (kind === '.partial' || kind === '.journal') remove = true
          else if (current === undefined || n > current) remove = true // built, never switched to
          else if (kind === '.index.json') remove = (await lstat(this.#versionPath(n)).catch(() => undefined)) === undefined
        }
      }
      if (remove) {
        log('removing leftover %s', full)
        await rm(full, { recursive: true, force: true })
        if (match !== null) this.#indexes.delete(Number(match[1]))
      }
    }
  }

  /** After switching from `previous` to `seq`: remove every other version (the previous one stays until the next
   *  switch, for readers that resolved a path through it a moment ago). */
  async #removeOldVersions (seq: number, previous: number | undefined): Promise<number[]> {
    const removed: number[] = []
    for (const name of await readdir(this.versionsDir)) {
      if (!SEQ_NAME.test(name)) continue
      const n = Number(name)
      if (n === seq || n === previous) continue
      await rm(this.#indexPath(n), { force: true })
      await rm(join(this.versionsDir, name), { recursive: true, force: true })
      this.#indexes.delete(n)
      removed.push(n)
    }
    return removed.sort((a, b) => a - b)
  }

  // ---- indexes

  async #index (seq: number): Promise<VersionIndex> {
    let index = this.#indexes.get(seq)
    if (index === undefined) {
      index = indexOf(await this.#readIndexFile(seq))
      this.#indexes.set(seq, index)
    }
    return index
  }

  /** The records of `<seq>.index.json`, validated; a corrupt index is logged and read as empty (its files are then
   *  neither reused nor served locally: they are fetched again). */
  async #readIndexFile (seq: number): Promise<FileRecord[]> {
    const path = this.#indexPath(seq)
    const text = await readStateFile(path)
    if (text === undefined) return []
    try {
      const value = JSON.parse(text) as Record<string, unknown>
      if (value?.version !== INDEX_VERSION || value.seq !== seq || !Array.isArray(value.files)) throw new Error('not an index of this version')
      return value.files.map((item: unknown, i: number) => {
        const record = recordOf(item)
        if (record === undefined) throw new Error(`file ${i} is not a valid record`)
        return record
      })
    } catch (err) {
      log.error('index %s is corrupt, treated as empty: %s', path, (err as Error).message)
      return []
    }
  }

  /** The full path of `record` in version `seq` when it is still the file the index recorded, with no symlink on
   *  the way; else undefined. */
  async #unchanged (seq: number, record: FileRecord): Promise<string | undefined> {
    const root = this.#versionPath(seq)
    try {
      const full = inside(root, record.path)
      const segments = record.path.split('/')
      let dir = root
      for (const segment of ['', ...segments.slice(0, -1)]) {
        if (segment !== '') dir = join(dir, segment)
        const info = await lstat(dir)
        if (!info.isDirectory()) return undefined
      }
      return matches(await lstat(full, { bigint: true }), record) ? full : undefined
    } catch {
      return undefined
    }
  }

  #seqOfLink (target: string): number | undefined {
    if (!target.startsWith(this.#linkPrefix)) return undefined
    const rest = target.slice(this.#linkPrefix.length)
    return SEQ_NAME.test(rest) && Number.isSafeInteger(Number(rest)) ? Number(rest) : undefined
  }

  #versionPath (seq: number): string {
    return join(this.versionsDir, String(seq))
  }

  #indexPath (seq: number): string {
    return join(this.versionsDir, `${seq}.index.json`)
  }
}
