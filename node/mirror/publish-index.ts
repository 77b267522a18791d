// The publisher's quick check, as rsync's: a file whose path, size and mtime (and here inode and device too) are those
// it had when it was last published is taken to be unchanged, and keeps its CID without being read or shared again.
// That is what makes a re-publish of a big tree cost only its changed files.
//
// What it misses, as rsync's quick check does: a file rewritten with the same size within the filesystem's mtime
// granularity of the last publish (or whose mtime was set back on purpose, `touch -d`) looks unchanged, and the old
// CID is published for it. Inode and device catch a file replaced by another (a rename over it, an editor's save), not
// one rewritten in place. `publish --checksum` (re-hash every file, as `rsync --checksum`) would be the way out; it
// is not built.
//
// The index is a cache: losing it costs a re-read of every file, never a wrong version (sharing the same bytes again
// gives the same CID). So a file that is unreadable, too big or not what this code wrote is ignored with a log line,
// never fatal. It is one JSON file, written crash-safely (node/fs-atomic.ts).
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { logger } from '@libp2p/logger'
import { readFileBounded } from '../bounded-read.ts'
import { assertMirrorPath, MAX_DIRECTORY_FILES } from '../../coder/directory-manifest.ts'
import { InvalidParametersError } from '../../coder/errors.ts'
import { parseCid } from '../../coder/manifest.ts'
import { writeFileAtomic } from '../fs-atomic.ts'
import type { WalkedFile } from './tree-walk.ts'

const log = logger('edgemirror:mirror:publish-index')

/** What the index remembers of a published file: the quick check's fields and the CID they gave. */
export interface PublishIndexEntry {
  path: string
  size: number
  mtimeMs: number
  ino: number
  dev: number
  cid: string
}

export const PUBLISH_INDEX_VERSION = 1

/** An entry is ~200 bytes of JSON for a typical path; 256 MiB holds MAX_DIRECTORY_FILES of them with room for long
 *  paths, and stays under V8's longest string (2^29 - 24 characters), which JSON.parse needs the file as. */
export const MAX_PUBLISH_INDEX_BYTES = 256 * 1024 * 1024

const ENTRY_FIELDS = ['path', 'size', 'mtimeMs', 'ino', 'dev', 'cid'] as const

export class PublishIndex {
  private constructor (readonly path: string, private entries: Map<string, PublishIndexEntry>) {}

  /** The index at `path`; empty when there is none yet, or when it cannot be used (logged). */
  static async load (path: string): Promise<PublishIndex> {
    let text: string
    try {
      // Never through a symlink put in its place, never over MAX_PUBLISH_INDEX_BYTES.
      text = await readFileBounded(path, MAX_PUBLISH_INDEX_BYTES)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.error('publish index %s unreadable, every file will be read: %s', path, (err as Error).message)
      return new PublishIndex(path, new Map())
    }
    try {
      return new PublishIndex(path, parsePublishIndex(JSON.parse(text)))
    } catch (err) {
      log.error('publish index %s ignored, every file will be read: %s', path, (err as Error).message)
      return new PublishIndex(path, new Map())
    }
  }

  /** Entries held. */
  get size (): number {
    return this.entries.size
  }

  /** The CID `file` had when last published, if its path, size, mtime, inode and device are all unchanged. */
  lookup (file: Pick<WalkedFile, 'path' | 'size' | 'mtimeMs' | 'ino' | 'dev'>): string | undefined {
    const entry = this.entries.get(file.path)
    if (entry === undefined) return undefined
    const unchanged = entry.size === file.size && entry.mtimeMs === file.mtimeMs && entry.ino === file.ino && entry.dev === file.dev
    return unchanged ? entry.cid : undefined
  }

  /** Replace the index with `entries`: every file of the version just published, so that files gone from the tree
   *  leave it too (other fields, such as a WalkedFile's, are not kept). Written crash-safely: a crash leaves the old
   *  index or the new one, whole. */
  async save (entries: PublishIndexEntry[]): Promise<void> {
    let checked: Map<string, PublishIndexEntry>
    try {
      checked = parseEntries(entries.map(({ path, size, mtimeMs, ino, dev, cid }) => ({ path, size, mtimeMs, ino, dev, cid })))
    } catch (err) {
      throw new InvalidParametersError(`publish index entries: ${(err as Error).message}`)
    }
    const text = JSON.stringify({ version: PUBLISH_INDEX_VERSION, entries: [...checked.values()] })
    if (Buffer.byteLength(text) > MAX_PUBLISH_INDEX_BYTES) throw new InvalidParametersError(`publish index over ${MAX_PUBLISH_INDEX_BYTES} bytes`)
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 })
    await writeFileAtomic(this.path, text, 0o600)
    this.entries = checked
  }
}

/** The entries of a parsed index file, by path; throws (with why) unless it is exactly what save() writes. */
export function parsePublishIndex (value: unknown): Map<string, PublishIndexEntry> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object')
  const record = value as Record<string, unknown>
  const keys = Object.keys(record)
  if (keys.length !== 2 || record.version === undefined || record.entries === undefined) throw new Error('want exactly version and entries')
  if (record.version !== PUBLISH_INDEX_VERSION) throw new Error(`unknown version ${String(record.version)}`)
  return parseEntries(record.entries)
}

function parseEntries (value: unknown): Map<string, PublishIndexEntry> {
  if (!Array.isArray(value)) throw new Error('entries is not a list')
  if (value.length > MAX_DIRECTORY_FILES) throw new Error(`${value.length} entries, over ${MAX_DIRECTORY_FILES}`)
  const entries = new Map<string, PublishIndexEntry>()
  value.forEach((item: unknown, i) => {
    const entry = parseEntry(item, `entries[${i}]`)
    if (entries.has(entry.path)) throw new Error(`${JSON.stringify(entry.path)} twice`)
    entries.set(entry.path, entry)
  })
  return entries
}

function parseEntry (item: unknown, where: string): PublishIndexEntry {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new Error(`${where} is not an object`)
  const record = item as Record<string, unknown>
  for (const key of Object.keys(record)) {
    if (!(ENTRY_FIELDS as readonly string[]).includes(key)) throw new Error(`${where} has an unknown field ${JSON.stringify(key.slice(0, 40))}`)
  }
  const { path, size, mtimeMs, ino, dev, cid } = record
  assertMirrorPath(path)
  if (!isCount(size) || !Number.isSafeInteger(size)) throw new Error(`${where} size must be a non-negative integer`)
  // mtime may be before 1970 and has a fraction (Node gives it from nanoseconds); inode and device numbers are
  // integers, above 2^53 only as rounded doubles (Node's number stats), still compared as they came.
  if (typeof mtimeMs !== 'number' || !Number.isFinite(mtimeMs)) throw new Error(`${where} mtimeMs must be a number`)
  if (!isCount(ino) || !isCount(dev)) throw new Error(`${where} ino and dev must be non-negative integers`)
  if (typeof cid !== 'string' || cid.length > 128 || parseCid(cid).toString() !== cid) throw new Error(`${where} cid is not a CID in its canonical form`)
  return { path, size, mtimeMs, ino, dev, cid }
}

function isCount (value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0
}
