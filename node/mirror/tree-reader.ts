// Reading a version's tree: its directory manifest (the root, and its pages for large trees) is stored in the swarm
// like any file, so it is read through the fetch service, which checks every block against the file's manifest and
// that manifest against its CID: a tampered directory manifest never decodes. Decoded trees are kept in a small cache
// by root CID (a root never changes).
import { decodeDirectoryPage, decodeDirectoryRoot, joinPages, MAX_DIRECTORY_PAGE_BYTES, MAX_DIRECTORY_ROOT_BYTES, type DirectoryEntry } from '../../coder/directory-manifest.ts'
import { ManifestInvalidError } from '../../coder/errors.ts'
import type { FetchStart } from '../fetch/types.ts'

/** Trees kept decoded, counted in entries: 200,000 entries are ~60 MiB of heap at most (a path ≤ 300 bytes typical). */
const CACHE_ENTRIES = 200_000

export interface TreeReaderComponents {
  fetch: (cid: string, options: { signal?: AbortSignal }) => Promise<FetchStart>
}

export class TreeReader {
  private readonly cache = new Map<string, DirectoryEntry[]>()
  private cached = 0

  constructor (private readonly components: TreeReaderComponents) {}

  /** Every file of the version whose directory manifest is `root`, sorted by path. */
  async entries (root: string, options: { signal?: AbortSignal } = {}): Promise<DirectoryEntry[]> {
    const hit = this.cache.get(root)
    if (hit !== undefined) return hit
    return (await this.tree(root, options)).entries
  }

  /** The files, and the CIDs of the directory manifest's pages (a version's own storage, besides its files). */
  async tree (root: string, options: { signal?: AbortSignal } = {}): Promise<{ entries: DirectoryEntry[], pages: string[] }> {
    const decoded = decodeDirectoryRoot(await this.read(root, MAX_DIRECTORY_ROOT_BYTES, options.signal))
    const pages: DirectoryEntry[][] = []
    // The root vouches for each page (its CID and summary), each page for its entries; joinPages checks they agree.
    for (const page of decoded.pages ?? []) pages.push(decodeDirectoryPage(await this.read(page.cid, MAX_DIRECTORY_PAGE_BYTES, options.signal)))
    const entries = joinPages(decoded, pages)
    this.remember(root, entries)
    return { entries, pages: (decoded.pages ?? []).map(p => p.cid) }
  }

  private async read (cid: string, max: number, signal?: AbortSignal): Promise<Uint8Array> {
    const start = await this.components.fetch(cid, { signal })
    if (start.size > max) {
      // Not read: a directory manifest is never that large (a tree that big is paged).
      for await (const _ of start.body) break
      throw new ManifestInvalidError(`directory manifest ${cid} is ${start.size} bytes, over ${max}`)
    }
    const bytes = new Uint8Array(start.size)
    let at = 0
    for await (const chunk of start.body) {
      if (at + chunk.byteLength > bytes.byteLength) throw new ManifestInvalidError(`directory manifest ${cid} is longer than its ${start.size} bytes`)
      bytes.set(chunk, at)
      at += chunk.byteLength
    }
    await start.done
    if (at !== bytes.byteLength) throw new ManifestInvalidError(`directory manifest ${cid} ended at ${at} of ${start.size} bytes`)
    return bytes
  }

  private remember (root: string, entries: DirectoryEntry[]): void {
    if (entries.length > CACHE_ENTRIES) return
    this.cache.set(root, entries)
    this.cached += entries.length
    for (const [key, value] of this.cache) {
      if (this.cached <= CACHE_ENTRIES) break
      this.cache.delete(key)
      this.cached -= value.length
    }
  }
}
