// The directory manifest of a mirror set version: which file (by CID) is at which path. Format: docs/MIRRORS.md.
//
// A version's tree is a root, stored in the swarm as an ordinary file (its CID is the `root` of the signed version
// record). A small tree lists its entries in the root itself; a large one is cut into pages, each its own swarm file,
// and the root lists the pages (CID, counts, first and last path) so a reader finds the page of a path, or the pages
// of a directory, without reading the others. Entries are sorted by path in UTF-8 byte order, so a tree has one
// encoding and the same tree gives the same CIDs (an unchanged page of a big tree is not stored twice).
//
// Encoded like the file manifest (coder/manifest.ts): MessagePack with plain maps and a fixed key order, strict field
// sets, and every bound checked before a value is used, since a root or page comes from the swarm and is untrusted.
import { Packr } from 'msgpackr'
import { MAX_NAME_BYTES } from './constants.ts'
import { EdgemirrorError, InvalidPathError, ManifestInvalidError, ManifestVersionError } from './errors.ts'
import { parseCid } from './manifest.ts'

/** One regular file of a published tree. */
export interface DirectoryEntry {
  /** Relative POSIX path ('docs/index.html'): no leading '/', no '.' or '..' segments, no empty segments. */
  path: string
  /** CID of the file (its manifest), as `share` gives it. */
  cid: string
  size: number
  /** Permission bits (0o777 at most: no setuid, setgid or sticky bit). */
  mode: number
}

/** A page of a large tree, as its root lists it. */
export interface PageRef {
  cid: string
  /** Entries in the page (at least one). */
  files: number
  /** Sum of the sizes of its entries. */
  bytes: number
  /** Path of its first and last entry: page i holds exactly the tree's paths from first to last. */
  first: string
  last: string
}

interface DirectoryRootBase {
  version: 1
  files: number
  bytes: number
}

/** The root of a version's tree: its entries inline (a small tree), or the pages that hold them. */
export type DirectoryRoot = DirectoryRootBase & (
  { entries: DirectoryEntry[], pages?: undefined } | { pages: PageRef[], entries?: undefined }
)

/** How planDirectory cut a tree: one page that goes inline in the root, or pages of their own. */
export interface DirectoryPlan {
  /** True when the whole tree fits in one page: then `pages` has exactly one (possibly empty) page, for the root. */
  inline: boolean
  pages: DirectoryEntry[][]
}

export const DIRECTORY_MANIFEST_VERSION = 1

/** Longest path: Linux's PATH_MAX (4096 bytes, <linux/limits.h>), so any tree a follower can write on Linux fits. */
export const MAX_MIRROR_PATH_BYTES = 4096

/** Longest path segment: NAME_MAX, 255 bytes on every common filesystem (the file manifest's name bound too). */
export const MAX_MIRROR_SEGMENT_BYTES = MAX_NAME_BYTES

/** Most entries in a page (or inline in a root). A typical entry (a ~60-byte path, a 59-character CID) encodes to ~150
 *  bytes, so a full page is ~600 KiB: `ls` or a follower looking up one path reads well under 1 MiB. */
export const MAX_DIRECTORY_PAGE_ENTRIES = 4096

/** Most encoded bytes in a page (or a root with inline entries). Long paths make entries big (4096 entries of
 *  4096-byte paths would be ~17 MiB), so pages are also cut by size: at worst a page holds ~1000 entries. */
export const MAX_DIRECTORY_PAGE_BYTES = 4 * 1024 * 1024

/** Most files in a version. The publisher walks the tree and followers hold a version's entries in memory (a few
 *  hundred bytes each on the JS heap: a few hundred MiB at the bound); a larger tree should be several sets. */
export const MAX_DIRECTORY_FILES = 1_000_000

/** Most pages in a root. MAX_DIRECTORY_FILES in pages cut by size at worst (~1000 entries of 4096-byte paths each,
 *  see MAX_DIRECTORY_PAGE_BYTES) is ~1003 pages: 1024 covers every tree within the other bounds. */
export const MAX_DIRECTORY_PAGES = 1024

/** Most encoded bytes in a root that lists pages: a page reference is ~8.3 KiB at worst (two 4096-byte paths and a
 *  CID), so 1024 of them stay under 9 MiB; 16 MiB refuses anything else before it is parsed. */
export const MAX_DIRECTORY_ROOT_BYTES = 16 * 1024 * 1024

/** Upper bound of the encoded bytes of an entry besides its path and CID strings: map header, the four keys, string
 *  headers (5 bytes each at most), size (9 bytes at most) and mode (3). Measured: 39 at most; the planner cuts pages with it. */
const ENTRY_OVERHEAD_BYTES = 48
/** The same for a page besides its entries: map header, 'version', its value, 'entries', an array header. */
const PAGE_OVERHEAD_BYTES = 32

const ROOT_FIELDS = new Set(['version', 'files', 'bytes', 'entries', 'pages'])
const PAGE_FIELDS = new Set(['version', 'entries'])
const ENTRY_FIELDS = new Set(['path', 'cid', 'size', 'mode'])
const PAGE_REF_FIELDS = new Set(['cid', 'files', 'bytes', 'first', 'last'])

// Plain maps (no msgpackr records) so the bytes are standard MessagePack any implementation can read.
const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true, int64AsType: 'number' })

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Throws InvalidPathError (ERR_INVALID_PATH) unless `path` is a path a mirror set may hold: relative POSIX, not empty,
 * at most MAX_MIRROR_PATH_BYTES of UTF-8, segments not empty, not '.' or '..', each at most MAX_MIRROR_SEGMENT_BYTES,
 * no NUL, no leading or trailing '/', and well-formed Unicode (a lone surrogate has no UTF-8 form: it would be written
 * as U+FFFD and the follower's path would differ from the publisher's).
 *
 * Not required: NFC (a path is its bytes, as on Linux: 'é' precomposed and decomposed are two paths), nor anything
 * about other systems (a backslash, a control character other than NUL, names that differ only in case are all
 * accepted; a follower on a case-insensitive filesystem would see such two files as one).
 */
export function assertMirrorPath (path: unknown): asserts path is string {
  if (typeof path !== 'string') throw new InvalidPathError(String(path), 'not a string')
  if (path === '') throw new InvalidPathError(path, 'empty')
  // Each UTF-16 unit is at least one byte of UTF-8: checked first so that no longer string is scanned.
  if (path.length > MAX_MIRROR_PATH_BYTES) throw new InvalidPathError(path, `over ${MAX_MIRROR_PATH_BYTES} bytes`)
  // String.prototype.isWellFormed is not in every Node 20 typing: the same test by hand.
  if (LONE_SURROGATE.test(path)) throw new InvalidPathError(path, 'not well-formed Unicode (a lone surrogate)')
  if (path.includes('\0')) throw new InvalidPathError(path, 'holds a NUL character')
  if (path.startsWith('/')) throw new InvalidPathError(path, 'absolute (a leading /)')
  if (path.endsWith('/')) throw new InvalidPathError(path, 'a trailing /')
  if (Buffer.byteLength(path) > MAX_MIRROR_PATH_BYTES) throw new InvalidPathError(path, `over ${MAX_MIRROR_PATH_BYTES} bytes`)
  for (const segment of path.split('/')) {
    if (segment === '') throw new InvalidPathError(path, 'an empty segment (//)')
    if (segment === '.' || segment === '..') throw new InvalidPathError(path, `a ${JSON.stringify(segment)} segment`)
    if (Buffer.byteLength(segment) > MAX_MIRROR_SEGMENT_BYTES) throw new InvalidPathError(path, `a segment over ${MAX_MIRROR_SEGMENT_BYTES} bytes`)
  }
}

/**
 * Order of paths in a directory manifest: UTF-8 byte order (the order `LC_ALL=C sort` and Go's string comparison
 * give), which is code point order. JavaScript's `<` compares UTF-16 units, which puts U+E000..U+FFFF after the
 * surrogate pairs of U+10000 and up: each unit is ranked so the two agree, without encoding either string.
 */
export function compareMirrorPaths (a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointRank(x) - codePointRank(y)
  }
  return a.length - b.length
}

function codePointRank (unit: number): number {
  if (unit >= 0xE000) return unit - 0x800 // U+E000..U+FFFF: below every surrogate
  if (unit >= 0xD800) return unit + 0x2000 // surrogates (U+10000 and up): above U+FFFF
  return unit
}

/**
 * Sort a copy of `entries`, check them (paths, CIDs, sizes, modes, no duplicates, no file that is also a directory of
 * another, at most MAX_DIRECTORY_FILES) and cut them into pages: inline when they fit in one page, else pages of at
 * most `pageEntries` entries and `pageBytes` encoded bytes. The cut depends only on the entries, so the same tree is
 * cut the same way (and its pages keep their CIDs). The two options exist for tests; they can only lower the bounds.
 */
export function planDirectory (entries: DirectoryEntry[], options: { pageEntries?: number, pageBytes?: number } = {}): DirectoryPlan {
  const { pageEntries = MAX_DIRECTORY_PAGE_ENTRIES, pageBytes = MAX_DIRECTORY_PAGE_BYTES } = options
  if (!Number.isSafeInteger(pageEntries) || pageEntries < 1 || pageEntries > MAX_DIRECTORY_PAGE_ENTRIES) {
    throw new ManifestInvalidError(`pageEntries must be 1..${MAX_DIRECTORY_PAGE_ENTRIES}`)
  }
  // The smallest budget still fits one entry of the longest path.
  const smallest = PAGE_OVERHEAD_BYTES + ENTRY_OVERHEAD_BYTES + MAX_MIRROR_PATH_BYTES + 128
  if (!Number.isSafeInteger(pageBytes) || pageBytes < smallest || pageBytes > MAX_DIRECTORY_PAGE_BYTES) {
    throw new ManifestInvalidError(`pageBytes must be ${smallest}..${MAX_DIRECTORY_PAGE_BYTES}`)
  }
  if (entries.length > MAX_DIRECTORY_FILES) throw new ManifestInvalidError(`${entries.length} files, over ${MAX_DIRECTORY_FILES}`)
  const sorted = entries.map(({ path, cid, size, mode }) => ({ path, cid, size, mode })).sort((a, b) => compareMirrorPaths(a.path, b.path))
  assertEntries(sorted, 'tree')
  const pages: DirectoryEntry[][] = []
  let page: DirectoryEntry[] = []
  let bytes = PAGE_OVERHEAD_BYTES
  for (const entry of sorted) {
    const size = entryBytesBound(entry)
    if (page.length > 0 && (page.length === pageEntries || bytes + size > pageBytes)) {
      pages.push(page)
      page = []
      bytes = PAGE_OVERHEAD_BYTES
    }
    page.push(entry)
    bytes += size
  }
  pages.push(page)
  if (pages.length > MAX_DIRECTORY_PAGES) throw new ManifestInvalidError(`${pages.length} pages, over ${MAX_DIRECTORY_PAGES}`)
  return { inline: pages.length === 1, pages }
}

/** The root of a plan, once each of its pages is stored under `pageCids[i]` (none for an inline plan). */
export function directoryRootOf (plan: DirectoryPlan, pageCids: string[] = []): DirectoryRoot {
  const files = plan.pages.reduce((n, page) => n + page.length, 0)
  const bytes = plan.pages.reduce((n, page) => n + sumSizes(page), 0)
  if (plan.inline) {
    if (plan.pages.length !== 1 || pageCids.length !== 0) throw new ManifestInvalidError('an inline plan has one page and no page CIDs')
    return { version: DIRECTORY_MANIFEST_VERSION, files, bytes, entries: plan.pages[0] }
  }
  if (pageCids.length !== plan.pages.length) throw new ManifestInvalidError(`${plan.pages.length} pages but ${pageCids.length} page CIDs`)
  const pages = plan.pages.map((page, i): PageRef => ({
    cid: pageCids[i], files: page.length, bytes: sumSizes(page), first: page[0].path, last: page[page.length - 1].path
  }))
  return { version: DIRECTORY_MANIFEST_VERSION, files, bytes, pages }
}

export function encodeDirectoryRoot (root: DirectoryRoot): Uint8Array {
  assertRoot(root)
  // Fixed key order makes the encoding, and so the CID, deterministic.
  const record: Record<string, unknown> = { version: root.version, files: root.files, bytes: root.bytes }
  if (root.entries !== undefined) record.entries = root.entries.map(packEntry)
  else record.pages = root.pages.map(({ cid, files, bytes, first, last }) => ({ cid, files, bytes, first, last }))
  const max = root.entries !== undefined ? MAX_DIRECTORY_PAGE_BYTES : MAX_DIRECTORY_ROOT_BYTES
  return checkedPack(record, max, 'root')
}

/** Decode an untrusted root: bounded size, strict schema, every entry or page reference checked, totals that add up. */
export function decodeDirectoryRoot (bytes: Uint8Array): DirectoryRoot {
  const record = unpackMap(bytes, MAX_DIRECTORY_ROOT_BYTES, 'root')
  assertFields(record, ROOT_FIELDS, 'root')
  assertVersion(record.version)
  let root: DirectoryRoot
  if (record.entries !== undefined && record.pages === undefined) {
    if (bytes.byteLength > MAX_DIRECTORY_PAGE_BYTES) throw new ManifestInvalidError(`root with inline entries of ${bytes.byteLength} bytes, over ${MAX_DIRECTORY_PAGE_BYTES}`)
    root = { version: DIRECTORY_MANIFEST_VERSION, files: record.files as number, bytes: record.bytes as number, entries: readEntries(record.entries, 'root') }
  } else if (record.pages !== undefined && record.entries === undefined) {
    const pages = record.pages
    if (!Array.isArray(pages)) throw new ManifestInvalidError('root pages is not a list')
    if (pages.length > MAX_DIRECTORY_PAGES) throw new ManifestInvalidError(`root lists ${pages.length} pages, over ${MAX_DIRECTORY_PAGES}`)
    root = { version: DIRECTORY_MANIFEST_VERSION, files: record.files as number, bytes: record.bytes as number, pages: pages.map((p, i) => readPageRef(p, `pages[${i}]`)) }
  } else {
    throw new ManifestInvalidError('a root has exactly one of entries and pages')
  }
  assertRoot(root)
  return root
}

export function encodeDirectoryPage (entries: DirectoryEntry[]): Uint8Array {
  if (entries.length === 0) throw new ManifestInvalidError('a page holds at least one entry')
  assertEntries(entries, 'page')
  return checkedPack({ version: DIRECTORY_MANIFEST_VERSION, entries: entries.map(packEntry) }, MAX_DIRECTORY_PAGE_BYTES, 'page')
}

/** Decode an untrusted page: its entries, valid and sorted. That they are the page its root describes is
 *  assertPageMatches' job (the root knows the counts and the first and last paths), and that no page conflicts with
 *  another is joinPages'. */
export function decodeDirectoryPage (bytes: Uint8Array): DirectoryEntry[] {
  const record = unpackMap(bytes, MAX_DIRECTORY_PAGE_BYTES, 'page')
  assertFields(record, PAGE_FIELDS, 'page')
  assertVersion(record.version)
  const entries = readEntries(record.entries, 'page')
  if (entries.length === 0) throw new ManifestInvalidError('a page holds at least one entry')
  assertEntries(entries, 'page')
  return entries
}

/** Throws ManifestInvalidError unless `entries` (a decoded page) are what `ref` says: count, bytes, first and last. */
export function assertPageMatches (ref: PageRef, entries: DirectoryEntry[]): void {
  if (entries.length !== ref.files) throw new ManifestInvalidError(`page ${ref.cid} holds ${entries.length} entries, its root says ${ref.files}`)
  if (sumSizes(entries) !== ref.bytes) throw new ManifestInvalidError(`page ${ref.cid} holds ${sumSizes(entries)} bytes, its root says ${ref.bytes}`)
  if (entries[0].path !== ref.first || entries[entries.length - 1].path !== ref.last) {
    throw new ManifestInvalidError(`page ${ref.cid} runs from ${JSON.stringify(entries[0].path)}, not the ${JSON.stringify(ref.first)} its root says`)
  }
}

/** The whole tree of a paged root, from its decoded pages (in the root's order): each page checked against its
 *  reference, and the tree as a whole (a file in one page can be a directory in another). */
export function joinPages (root: DirectoryRoot, pages: DirectoryEntry[][]): DirectoryEntry[] {
  if (root.entries !== undefined) return root.entries
  if (pages.length !== root.pages.length) throw new ManifestInvalidError(`${pages.length} pages given, the root has ${root.pages.length}`)
  root.pages.forEach((ref, i) => { assertPageMatches(ref, pages[i]) })
  const entries = pages.flat()
  assertEntries(entries, 'tree')
  return entries
}

/** Index of the page of `root` that holds `path` if the tree has it (by first and last paths), or -1: no page covers
 *  it, or the root has its entries inline. */
export function pageFor (root: DirectoryRoot, path: string): number {
  if (root.pages === undefined) return -1
  let lo = 0
  let hi = root.pages.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const ref = root.pages[mid]
    if (compareMirrorPaths(path, ref.first) < 0) hi = mid - 1
    else if (compareMirrorPaths(path, ref.last) > 0) lo = mid + 1
    else return mid
  }
  return -1
}

/** Indexes of the pages of `root` that may hold entries under directory `dirPath` ('' = all): paths under a directory
 *  are contiguous in the sort order, so these are a run of pages. Empty for an inline root. */
export function pagesUnder (root: DirectoryRoot, dirPath: string): number[] {
  if (root.pages === undefined) return []
  if (dirPath === '') return root.pages.map((_, i) => i)
  assertMirrorPath(dirPath)
  const prefix = `${dirPath}/`
  const found: number[] = []
  root.pages.forEach((ref, i) => {
    const endsBefore = compareMirrorPaths(ref.last, prefix) < 0
    const startsAfter = compareMirrorPaths(ref.first, prefix) > 0 && !ref.first.startsWith(prefix)
    if (!endsBefore && !startsAfter) found.push(i)
  })
  return found
}

/** The entries whose path is under directory `dirPath` ('' = all of them), in the order given. */
export function entriesUnder (entries: DirectoryEntry[], dirPath: string): DirectoryEntry[] {
  if (dirPath === '') return entries.slice()
  assertMirrorPath(dirPath)
  const prefix = `${dirPath}/`
  return entries.filter(entry => entry.path.startsWith(prefix))
}

function assertVersion (version: unknown): void {
  if (typeof version !== 'number') throw new ManifestInvalidError('missing version')
  if (version !== DIRECTORY_MANIFEST_VERSION) throw new ManifestVersionError(version)
}

function assertRoot (root: DirectoryRoot): void {
  assertVersion(root.version)
  assertCount(root.files, MAX_DIRECTORY_FILES, 'root files')
  assertCount(root.bytes, Number.MAX_SAFE_INTEGER, 'root bytes')
  if ((root.entries === undefined) === (root.pages === undefined)) throw new ManifestInvalidError('a root has exactly one of entries and pages')
  if (root.entries !== undefined) {
    if (root.entries.length > MAX_DIRECTORY_PAGE_ENTRIES) throw new ManifestInvalidError(`root holds ${root.entries.length} entries inline, over ${MAX_DIRECTORY_PAGE_ENTRIES}`)
    assertEntries(root.entries, 'root')
    if (root.files !== root.entries.length) throw new ManifestInvalidError(`root says ${root.files} files but holds ${root.entries.length}`)
    const bytes = sumSizes(root.entries)
    if (root.bytes !== bytes) throw new ManifestInvalidError(`root says ${root.bytes} bytes but its entries add up to ${bytes}`)
    return
  }
  const pages = root.pages
  if (pages.length === 0 || pages.length > MAX_DIRECTORY_PAGES) throw new ManifestInvalidError(`root lists ${pages.length} pages, want 1..${MAX_DIRECTORY_PAGES}`)
  let files = 0
  let bytes = 0
  pages.forEach((ref, i) => {
    assertPageRef(ref, `pages[${i}]`)
    if (i > 0 && compareMirrorPaths(pages[i - 1].last, ref.first) >= 0) throw new ManifestInvalidError(`pages[${i}] does not start after pages[${i - 1}] ends`)
    files += ref.files
    bytes += ref.bytes
    if (files > MAX_DIRECTORY_FILES) throw new ManifestInvalidError(`pages hold over ${MAX_DIRECTORY_FILES} files`)
    if (bytes > Number.MAX_SAFE_INTEGER) throw new ManifestInvalidError('pages hold over Number.MAX_SAFE_INTEGER bytes')
  })
  if (root.files !== files) throw new ManifestInvalidError(`root says ${root.files} files but its pages add up to ${files}`)
  if (root.bytes !== bytes) throw new ManifestInvalidError(`root says ${root.bytes} bytes but its pages add up to ${bytes}`)
}

function assertPageRef (ref: PageRef, where: string): void {
  assertCid(ref.cid, where)
  assertCount(ref.files, MAX_DIRECTORY_PAGE_ENTRIES, `${where} files`)
  if (ref.files === 0) throw new ManifestInvalidError(`${where} is an empty page`)
  assertCount(ref.bytes, Number.MAX_SAFE_INTEGER, `${where} bytes`)
  assertMirrorPath(ref.first)
  assertMirrorPath(ref.last)
  const order = compareMirrorPaths(ref.first, ref.last)
  if (ref.files === 1 ? order !== 0 : order >= 0) throw new ManifestInvalidError(`${where}: first and last do not fit ${ref.files} sorted entries`)
}

/** Each entry valid, sorted, no duplicate, and no path that is a file and a directory of another ('a' and 'a/b'). A
 *  page can only check itself: joinPages checks the tree across pages. */
function assertEntries (entries: DirectoryEntry[], where: string): void {
  if (entries.length > MAX_DIRECTORY_FILES) throw new ManifestInvalidError(`${where} holds ${entries.length} entries, over ${MAX_DIRECTORY_FILES}`)
  let total = 0
  entries.forEach((entry, i) => {
    assertEntry(entry, `${where} entries[${i}]`)
    total += entry.size
    if (total > Number.MAX_SAFE_INTEGER) throw new ManifestInvalidError(`${where} holds over Number.MAX_SAFE_INTEGER bytes`)
    if (i === 0) return
    const order = compareMirrorPaths(entries[i - 1].path, entry.path)
    if (order === 0) throw new ManifestInvalidError(`${where} lists ${JSON.stringify(entry.path)} twice`)
    if (order > 0) throw new ManifestInvalidError(`${where} is not sorted by path at entries[${i}]`)
  })
  assertNoFileIsADirectory(entries, where)
}

/** Throws ManifestInvalidError when a path of `entries` is also the directory of another ('a' and 'a/b'): no tree
 *  can hold both. */
function assertNoFileIsADirectory (entries: DirectoryEntry[], where: string): void {
  const files = new Set(entries.map(entry => entry.path))
  for (const { path } of entries) {
    for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      const dir = path.slice(0, slash)
      if (files.has(dir)) throw new ManifestInvalidError(`${where} has ${JSON.stringify(dir)} as a file and as the directory of ${JSON.stringify(path)}`)
    }
  }
}

function assertEntry (entry: DirectoryEntry, where: string): void {
  if (entry === null || typeof entry !== 'object') throw new ManifestInvalidError(`${where} is not a map`)
  assertMirrorPath(entry.path)
  assertCid(entry.cid, where)
  assertCount(entry.size, Number.MAX_SAFE_INTEGER, `${where} size`)
  if (!Number.isInteger(entry.mode) || entry.mode < 0 || entry.mode > 0o777) throw new ManifestInvalidError(`${where} mode must be an integer 0..0o777`)
}

/** A CID as `share` gives it: an edgemirror manifest CID in its canonical string form (base32), nothing else. */
function assertCid (cid: unknown, where: string): void {
  if (typeof cid !== 'string' || cid.length > 128) throw new ManifestInvalidError(`${where} cid is not a CID string`)
  let canonical: string
  try {
    canonical = parseCid(cid).toString()
  } catch (err) {
    throw new ManifestInvalidError(`${where} cid: ${(err as EdgemirrorError).message}`)
  }
  if (canonical !== cid) throw new ManifestInvalidError(`${where} cid is not in its canonical form ${canonical}`)
}

function assertCount (value: unknown, max: number, what: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) throw new ManifestInvalidError(`${what} must be an integer 0..${max}`)
}

function sumSizes (entries: DirectoryEntry[]): number {
  let total = 0
  for (const entry of entries) total += entry.size
  return total
}

/** An upper bound of the encoded bytes of `entry` (see ENTRY_OVERHEAD_BYTES). */
function entryBytesBound (entry: DirectoryEntry): number {
  return ENTRY_OVERHEAD_BYTES + Buffer.byteLength(entry.path) + entry.cid.length
}

function packEntry ({ path, cid, size, mode }: DirectoryEntry): DirectoryEntry {
  return { path, cid, size, mode }
}

function checkedPack (record: Record<string, unknown>, max: number, what: string): Uint8Array {
  const bytes = packr.pack(record)
  if (bytes.byteLength > max) throw new ManifestInvalidError(`encoded ${what} of ${bytes.byteLength} bytes, over ${max}`)
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function unpackMap (bytes: Uint8Array, max: number, what: string): Record<string, unknown> {
  if (bytes.byteLength > max) throw new ManifestInvalidError(`${what} of ${bytes.byteLength} bytes, over ${max}`)
  let value: unknown
  try {
    value = packr.unpack(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  } catch (err) {
    throw new ManifestInvalidError(`${what} is not MessagePack: ${(err as Error).message}`)
  }
  if (!isMap(value)) throw new ManifestInvalidError(`${what} is not a map`)
  return value
}

function isMap (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array)
}

function assertFields (record: Record<string, unknown>, fields: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(record)) {
    if (!fields.has(key)) throw new ManifestInvalidError(`unknown field ${JSON.stringify(key.slice(0, 40))} in ${where}`)
  }
}

function readEntries (value: unknown, where: string): DirectoryEntry[] {
  if (!Array.isArray(value)) throw new ManifestInvalidError(`${where} entries is not a list`)
  if (value.length > MAX_DIRECTORY_PAGE_ENTRIES) throw new ManifestInvalidError(`${where} holds ${value.length} entries, over ${MAX_DIRECTORY_PAGE_ENTRIES}`)
  return value.map((item: unknown, i) => {
    const at = `${where} entries[${i}]`
    if (!isMap(item)) throw new ManifestInvalidError(`${at} is not a map`)
    assertFields(item, ENTRY_FIELDS, at)
    if (typeof item.path !== 'string') throw new ManifestInvalidError(`${at} path is not a string`)
    return { path: item.path as string, cid: item.cid as string, size: item.size as number, mode: item.mode as number }
  })
}

function readPageRef (value: unknown, where: string): PageRef {
  if (!isMap(value)) throw new ManifestInvalidError(`${where} is not a map`)
  assertFields(value, PAGE_REF_FIELDS, where)
  if (typeof value.first !== 'string' || typeof value.last !== 'string') throw new ManifestInvalidError(`${where} first and last must be paths`)
  return { cid: value.cid as string, files: value.files as number, bytes: value.bytes as number, first: value.first as string, last: value.last as string }
}
