// The surroundings of a MirrorDirectory in tests: a fetcher that writes bytes from memory by CID and counts its calls,
// and trees described as { path: [content, mode] }.
import { createHash } from 'node:crypto'
import { lstat, open, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import type { DirectoryEntry } from '../../../coder/directory-manifest.ts'
import type { VersionFetcher } from '../../../node/mirror/mirror-directory.ts'

export type TreeSpec = Record<string, [content: string, mode: number]>

export function cidOf (content: string): string {
  return `cid-${createHash('sha256').update(content).digest('hex').slice(0, 32)}`
}

/** The entries of a tree, and the bytes of every CID in it (added to `blobs`). */
export function entriesOf (spec: TreeSpec, blobs: Map<string, Uint8Array>): DirectoryEntry[] {
  return Object.entries(spec).map(([path, [content, mode]]) => {
    const bytes = Buffer.from(content)
    const cid = cidOf(content)
    blobs.set(cid, bytes)
    return { path, cid, size: bytes.byteLength, mode }
  })
}

export interface FakeFetcherOptions {
  /** Throw instead of fetching once this many files were fetched. */
  failAfter?: number
  /** Wait this long before writing each file. */
  delayMs?: number
  /** CIDs written with one byte too many. */
  wrongSize?: Set<string>
}

export class FakeFetcher implements VersionFetcher {
  readonly calls: string[] = []

  constructor (readonly blobs: Map<string, Uint8Array>, readonly options: FakeFetcherOptions = {}) {}

  async fetchTo (cid: string, size: number, path: string, options: { signal?: AbortSignal }): Promise<void> {
    options.signal?.throwIfAborted()
    if (this.options.failAfter !== undefined && this.calls.length >= this.options.failAfter) throw new Error('simulated failure: the fetcher died')
    this.calls.push(cid)
    const bytes = this.blobs.get(cid)
    if (bytes === undefined || bytes.byteLength !== size) throw new Error(`no blob of ${size} bytes for ${cid}`)
    if (this.options.delayMs !== undefined) await delay(this.options.delayMs, undefined, { signal: options.signal })
    const handle = await open(path, 'wx')
    try {
      await handle.writeFile(bytes)
      if (this.options.wrongSize?.has(cid) === true) await handle.writeFile('!')
    } finally {
      await handle.close()
    }
  }
}

/** Every regular file under `dir` (following `dir` itself when it is a symlink): path → [content, mode]. Throws on
 *  anything that is neither a file nor a directory. */
export async function readTree (dir: string): Promise<TreeSpec> {
  const tree: TreeSpec = {}
  const walk = async (prefix: string): Promise<void> => {
    for (const name of await readdir(prefix === '' ? dir : join(dir, prefix))) {
      const rel = prefix === '' ? name : `${prefix}/${name}`
      const info = await lstat(join(dir, rel))
      if (info.isDirectory()) await walk(rel)
      else if (info.isFile()) tree[rel] = [await readFile(join(dir, rel), 'utf8'), info.mode & 0o7777]
      else throw new Error(`${rel} is neither a file nor a directory`)
    }
  }
  await walk('')
  return tree
}
