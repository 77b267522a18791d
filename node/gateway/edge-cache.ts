// The edge cache: decoded stripes of the files this node's gateway served, kept on local disk (<repo>/cache) so
// repeat readers get local-disk speed without touching the swarm. Stripes, not files: a range read (video seeking)
// caches what it read, and a whole-file read is the same thing for every stripe.
//
// Policy: least recently used, by bytes, up to --cache-size. A stripe is admitted on its first read (a mirror's
// second reader is the one to serve fast). Every cached stripe is verified against the manifest's block hashes when
// it is read back, so a torn write, a full disk or a flipped bit costs a swarm read, never a wrong byte. The cache
// is not a shard store: repair, check and `status` shard counts never see it. docs/GATEWAY.md.
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { blockMatches, toHex } from '../../coder/hash.ts'
import { stripeBlockSize, stripeDataBytes, stripesForRange, type ByteRange } from '../../coder/layout.ts'
import type { Manifest } from '../../coder/manifest.ts'
import type { FetchReport, FetchStart } from '../fetch/types.ts'
import type { Startable } from '../startable.ts'
import type { GatewayFiles } from './gateway-files.ts'

const log = logger('edgemirror:edge-cache')

/** Stripes larger than this bypass the cache: one is held in memory per response while it is filled (RS(4,2) with
 *  1 MiB blocks is 4 MiB; the largest geometry allowed is far beyond any sane per-response buffer). */
export const MAX_CACHED_STRIPE_BYTES = 64 * 1024 * 1024

/** Stripe reads answered from disk (hits) or the swarm (misses), and the bytes held. */
export interface CacheCounters { hits: number, misses: number, bytes: number, capacity: number }

export interface EdgeCacheInit {
  dir: string
  capacityBytes: number
}

export class EdgeCache implements GatewayFiles, Startable {
  /** Cached stripes by `${cid}/${stripe}`, least recently used first (a Map keeps insertion order). */
  private readonly entries = new Map<string, number>()
  private bytes = 0
  private hits = 0
  private misses = 0

  constructor (private readonly swarm: GatewayFiles, private readonly init: EdgeCacheInit) {}

  /** Take over what an earlier run cached (oldest first by mtime); leftovers of interrupted writes go. */
  async start (): Promise<void> {
    await mkdir(this.init.dir, { recursive: true, mode: 0o700 })
    const found: Array<{ key: string, size: number, mtime: number }> = []
    for (const cid of await readdir(this.init.dir)) {
      const cidDir = join(this.init.dir, cid)
      const names = await readdir(cidDir).catch(() => [] as string[])
      for (const name of names) {
        const path = join(cidDir, name)
        if (!/^\d{1,10}$/.test(name)) {
          await rm(path, { force: true, recursive: true })
          continue
        }
        const s = await stat(path)
        found.push({ key: `${cid}/${name}`, size: s.size, mtime: s.mtimeMs })
      }
    }
    found.sort((a, b) => a.mtime - b.mtime)
    for (const f of found) this.admit(f.key, f.size)
  }

  async stop (): Promise<void> {}

  counters (): CacheCounters {
    return { hits: this.hits, misses: this.misses, bytes: this.bytes, capacity: this.init.capacityBytes }
  }

  async manifest (cid: string, options: { signal?: AbortSignal }): Promise<Manifest> {
    return await this.swarm.manifest(cid, options)
  }

  /**
   * The bytes of `range` (default: the whole file): cached stripes from disk, verified; runs of uncached stripes
   * from the swarm, whole stripes (so they can be cached), cut to the range on the way out.
   */
  async fetch (cid: string, options: { signal?: AbortSignal, range?: ByteRange }): Promise<FetchStart> {
    const manifest = await this.swarm.manifest(cid, options)
    const range = options.range ?? { start: 0, end: manifest.fileSize }
    const stripeBytes = manifest.k * manifest.blockSize
    if (stripeBytes > MAX_CACHED_STRIPE_BYTES || this.init.capacityBytes === 0) return await this.swarm.fetch(cid, options)
    const reports: FetchReport[] = []
    let settle!: { resolve: (r: FetchReport) => void, reject: (e: unknown) => void }
    const done = new Promise<FetchReport>((resolve, reject) => { settle = { resolve, reject } })
    done.catch(() => {}) // the failure reaches the reader through the body
    const cache = this
    async function * body (): AsyncGenerator<Uint8Array> {
      try {
        const { first, end } = stripesForRange(manifest, range)
        let stripe = first
        while (stripe < end) {
          const cached = await cache.read(cid, manifest, stripe)
          if (cached !== undefined) {
            yield cut(cached, stripe * stripeBytes, range)
            stripe++
            continue
          }
          // A run of uncached stripes: one swarm read for all of it.
          let runEnd = stripe + 1
          while (runEnd < end && !cache.entries.has(`${cid}/${runEnd}`)) runEnd++
          yield * cache.fill(cid, manifest, stripe, runEnd, range, options.signal, reports)
          stripe = runEnd
        }
        settle.resolve(mergeReports(reports))
      } catch (err) {
        settle.reject(err)
        throw err
      }
    }
    return { cid, size: manifest.fileSize, sha256: toHex(manifest.fileHash), name: null, body: body(), done }
  }

  /** Read stripes [first, end) from the swarm, hand on what lies in `range`, and cache each stripe as it completes. */
  private async * fill (cid: string, manifest: Manifest, first: number, end: number, range: ByteRange, signal: AbortSignal | undefined, reports: FetchReport[]): AsyncGenerator<Uint8Array> {
    const stripeBytes = manifest.k * manifest.blockSize
    const runRange = { start: first * stripeBytes, end: Math.min(end * stripeBytes, manifest.fileSize) }
    const start = await this.swarm.fetch(cid, { signal, range: runRange })
    let stripe = first
    let buffer = Buffer.allocUnsafe(stripeDataBytes(manifest, stripe))
    let filled = 0
    for await (const chunk of start.body) {
      let used = 0
      while (used < chunk.byteLength) {
        const n = Math.min(chunk.byteLength - used, buffer.byteLength - filled)
        buffer.set(chunk.subarray(used, used + n), filled)
        const out = cut(chunk.subarray(used, used + n), stripe * stripeBytes + filled, range)
        filled += n
        used += n
        if (filled === buffer.byteLength) {
          // Cached before its last bytes go out: once a reader has the whole stripe, so has the cache.
          this.misses++
          await this.write(cid, stripe, buffer)
          stripe++
          filled = 0
          if (stripe < end) buffer = Buffer.allocUnsafe(stripeDataBytes(manifest, stripe))
        }
        if (out.byteLength > 0) yield out
      }
    }
    reports.push(await start.done)
  }

  /** A cached stripe, verified block by block against the manifest; undefined (and dropped) when absent or bad. */
  private async read (cid: string, manifest: Manifest, stripe: number): Promise<Buffer | undefined> {
    const key = `${cid}/${stripe}`
    if (!this.entries.has(key)) return undefined
    const size = stripeDataBytes(manifest, stripe)
    let data: Buffer | undefined
    try {
      const handle = await open(this.path(key), 'r')
      try {
        // The size on disk is untrusted: read no more than the stripe holds, and refuse anything else.
        const { size: onDisk } = await handle.stat()
        if (onDisk === size) {
          data = Buffer.allocUnsafe(size)
          const { bytesRead } = await handle.read(data, 0, size, 0)
          if (bytesRead !== size) data = undefined
        }
      } finally {
        await handle.close()
      }
    } catch (err) {
      log('cached stripe %s unreadable: %s', key, (err as Error).message)
    }
    if (data === undefined || !stripeMatches(manifest, stripe, data)) {
      log.error('cached stripe %s failed verification: dropped, read from the swarm', key)
      this.drop(key)
      return undefined
    }
    this.hits++
    this.entries.delete(key)
    this.entries.set(key, size)
    return data
  }

  /** Write a stripe (temp file, then rename: a crash leaves the old state or the new, never half a stripe under its
   *  name; no fsync, the read-back check catches what a crash corrupts). A failed write only costs the cache entry. */
  private async write (cid: string, stripe: number, data: Buffer): Promise<void> {
    if (data.byteLength > this.init.capacityBytes) return
    const key = `${cid}/${stripe}`
    const path = this.path(key)
    const temp = `${path}.tmp-${process.pid}`
    try {
      await mkdir(join(this.init.dir, cid), { recursive: true, mode: 0o700 })
      const handle = await open(temp, 'w', 0o600)
      try {
        await handle.write(data)
      } finally {
        await handle.close()
      }
      await rename(temp, path)
      this.admit(key, data.byteLength)
    } catch (err) {
      log('caching stripe %s failed: %s', key, (err as Error).message)
      await rm(temp, { force: true })
    }
  }

  private admit (key: string, size: number): void {
    const previous = this.entries.get(key)
    if (previous !== undefined) {
      this.entries.delete(key)
      this.bytes -= previous
    }
    this.entries.set(key, size)
    this.bytes += size
    for (const [oldest] of this.entries) {
      if (this.bytes <= this.init.capacityBytes) break
      this.drop(oldest)
    }
  }

  private drop (key: string): void {
    const size = this.entries.get(key)
    if (size === undefined) return
    this.entries.delete(key)
    this.bytes -= size
    rm(this.path(key), { force: true }).catch((err: Error) => { log('evicting %s: %s', key, err.message) })
  }

  private path (key: string): string {
    return join(this.init.dir, key)
  }
}

/** The part of `data` (which starts at file offset `at`) that lies inside `range`. */
function cut (data: Uint8Array, at: number, range: ByteRange): Uint8Array {
  const from = Math.max(0, range.start - at)
  const to = Math.min(data.byteLength, range.end - at)
  return to > from ? data.subarray(from, to) : data.subarray(0, 0)
}

/** Whether a stripe's data matches the manifest: each of its k data blocks (the last zero-padded) against its hash. */
function stripeMatches (manifest: Manifest, stripe: number, data: Buffer): boolean {
  const size = stripeBlockSize(manifest, stripe)
  for (let i = 0; i < manifest.k; i++) {
    let block = data.subarray(i * size, (i + 1) * size)
    if (block.byteLength < size) {
      const padded = Buffer.alloc(size)
      padded.set(block)
      block = padded
    }
    if (!blockMatches(block, manifest.shardHashes[i], stripe)) return false
  }
  return true
}

function mergeReports (reports: FetchReport[]): FetchReport {
  const indexes = (pick: (r: FetchReport) => number[]): number[] => [...new Set(reports.flatMap(pick))].sort((a, b) => a - b)
  return {
    missing: indexes(r => r.missing),
    corrupt: indexes(r => r.corrupt),
    rebuilt: indexes(r => r.rebuilt),
    hedged: reports.reduce((sum, r) => sum + r.hedged, 0),
    badHolders: [...new Set(reports.flatMap(r => r.badHolders))].sort()
  }
}
