// Fetching a file: find its manifest and holders, stream k shards from the best holders in parallel, verify every
// block, fall back to other holders (or other shards) on error, stall or hash mismatch, and rebuild what is missing.
import { logger } from '@libp2p/logger'
import { decodeFile, type ShardSource } from '../coder/decoder.ts'
import { toHex } from '../coder/hash.ts'
import { blockOffset, stripeBlockSize, stripeCount } from '../coder/layout.ts'
import { decodeManifestFor, parseCid, type Manifest } from '../coder/manifest.ts'
import type { FetchReport, FetchStart } from './api/types.ts'
import { Channel } from './channel.ts'
import { NotFoundError } from './errors.ts'
import { locate, type Holders, type LocatorComponents } from './locator.ts'
import type { ManifestCache } from './manifest-cache.ts'
import { fetchManifestBytes, getShardBlocks, type Dialer } from './shard-client.ts'
import type { ShardStore } from './store/shard-store.ts'

const log = logger('edgemirror:fetch')

/** Decoding one 1 MiB stripe of RS(4,2) with rs-wasm costs a few ms on this class of machine (bench/coder.ts), so a
 *  parity shard is worth reading instead of a data shard only when its holder is that much nearer. */
const PARITY_PENALTY_MS = 5
/** A holder whose RTT was never measured ranks behind any measured one (1 s is slower than any usable edge link). */
const UNKNOWN_RTT_MS = 1000

export interface FetchComponents extends LocatorComponents {
  store: ShardStore
  manifests: ManifestCache
  dial: Dialer
  /** RTT to a peer in ms (0 for this node), undefined when unknown: orders holders nearest first. */
  rttOf: (peer: string) => number | undefined
  /** Told which shards a read found missing or corrupt (heal on read). */
  onDegraded?: (cid: string, report: FetchReport) => void
}

export class FetchService {
  constructor (private readonly components: FetchComponents) {}

  /** The manifest of `cid`: from this node's store, else from a holder, always checked against the CID. */
  async manifest (cid: string, holders?: Holders, signal?: AbortSignal): Promise<Manifest> {
    parseCid(cid)
    const local = await this.components.manifests.get(cid)
    if (local !== undefined) return local
    const found = holders ?? await locate(this.components, cid, { signal })
    for (const peer of found.manifest) {
      if (peer === this.components.selfId) continue
      try {
        const bytes = await fetchManifestBytes(this.components.dial, peer, cid, signal)
        const manifest = await decodeManifestFor(cid, bytes)
        await this.components.store.putManifest(cid, bytes)
        this.components.manifests.remember(cid, manifest)
        return manifest
      } catch (err) {
        log('manifest %s from %s failed: %s', cid, peer, (err as Error).message)
      }
    }
    throw new NotFoundError(`no reachable peer holds ${cid}`, { cid })
  }

  async fetch (cid: string, options: { signal?: AbortSignal } = {}): Promise<FetchStart> {
    const { signal } = options
    parseCid(cid)
    let holders = await locate(this.components, cid, { signal })
    const manifest = await this.manifest(cid, holders, signal)
    // Fewer than k shards among the peers we are connected to: look further (DHT providers) before giving up.
    if (holders.shards.size < manifest.k) holders = await locate(this.components, cid, { signal, providers: true })
    const unheld = Array.from({ length: manifest.k + manifest.m }, (_, i) => i).filter(i => (holders.shards.get(i) ?? []).length === 0)
    const source = new SwarmShardSource(this.components, cid, manifest, this.rank(holders), signal)
    const preference = this.preference(manifest, holders)
    const body = new Channel<Uint8Array>()
    const done = (async (): Promise<FetchReport> => {
      try {
        const decoded = await decodeFile(manifest, source, async chunk => { await body.send(chunk) }, { preference, signal })
        // The decoder may also reconstruct a data shard it chose not to read (a nearer parity shard was cheaper);
        // what counts as rebuilt for the user is a data shard that was lost: unheld, unreadable or corrupt.
        const missing = [...new Set([...unheld, ...decoded.missing])].sort((a, b) => a - b)
        const lost = new Set([...missing, ...decoded.corrupt])
        const report = { missing, corrupt: decoded.corrupt, rebuilt: decoded.rebuilt.filter(i => lost.has(i)) }
        body.close()
        if (report.missing.length > 0 || report.corrupt.length > 0) this.components.onDegraded?.(cid, report)
        return report
      } catch (err) {
        body.fail(err)
        throw err
      } finally {
        await source.close()
      }
    })()
    done.catch(() => {}) // the failure reaches the caller through the body
    return { cid, size: manifest.fileSize, sha256: toHex(manifest.fileHash), name: manifest.name ?? null, body, done }
  }

  /** Holders of each shard, nearest first (this node, then measured RTT, then unknown). */
  private rank (holders: Holders): Map<number, string[]> {
    const cost = (peer: string): number => this.components.rttOf(peer) ?? UNKNOWN_RTT_MS
    const ranked = new Map<number, string[]>()
    for (const [index, peers] of holders.shards) ranked.set(index, [...peers].sort((a, b) => cost(a) - cost(b) || (a < b ? -1 : 1)))
    return ranked
  }

  /** Shard indexes in the order to read them: held ones first, by their nearest holder, a parity shard costing
   *  PARITY_PENALTY_MS more than a data shard (reading parity means decoding). */
  private preference (manifest: Manifest, holders: Holders): number[] {
    const n = manifest.k + manifest.m
    const cost = (i: number): number => {
      const peers = holders.shards.get(i) ?? []
      if (peers.length === 0) return Infinity
      const rtt = Math.min(...peers.map(p => this.components.rttOf(p) ?? UNKNOWN_RTT_MS))
      return rtt + (i < manifest.k ? 0 : PARITY_PENALTY_MS)
    }
    return Array.from({ length: n }, (_, i) => i).sort((a, b) => (cost(a) - cost(b)) || a - b)
  }
}

interface Cursor { peer: string, next: number, blocks: AsyncGenerator<Uint8Array> }

/** Blocks of each shard, streamed from one holder at a time; a failing holder is dropped for the next one. */
class SwarmShardSource implements ShardSource {
  private readonly cursors = new Map<number, Cursor>()
  private readonly failed = new Map<number, Set<string>>()

  constructor (private readonly components: FetchComponents, private readonly cid: string, private readonly manifest: Manifest,
    private readonly holders: Map<number, string[]>, private readonly signal?: AbortSignal) {}

  async readBlock (index: number, stripe: number): Promise<Uint8Array | null> {
    for (const peer of this.holders.get(index) ?? []) {
      if (this.failed.get(index)?.has(peer) === true) continue
      let cursor = this.cursors.get(index)
      if (cursor === undefined || cursor.peer !== peer || cursor.next !== stripe) {
        await cursor?.blocks.return(undefined).catch(() => {})
        cursor = { peer, next: stripe, blocks: this.open(peer, index, stripe) }
        this.cursors.set(index, cursor)
      }
      try {
        const result = await cursor.blocks.next()
        if (result.done === true) throw new Error('shard ended early')
        cursor.next++
        return result.value
      } catch (err) {
        log('shard %d of %s from %s failed: %s', index, this.cid, peer, (err as Error).message)
        this.drop(index, peer)
      }
    }
    return null
  }

  reportCorrupt (index: number, stripe: number): void {
    const cursor = this.cursors.get(index)
    if (cursor === undefined) return
    // Our own copy is bad: take it out of service now (a remote holder does this itself when it serves a bad block).
    if (cursor.peer === this.components.selfId) {
      this.components.store.quarantineShard(this.cid, index, `block ${stripe} failed its hash during a fetch`)
        .catch((err) => { log.error('quarantine of shard %d of %s failed: %s', index, this.cid, (err as Error).message) })
    }
    this.drop(index, cursor.peer)
  }

  async close (): Promise<void> {
    await Promise.all([...this.cursors.values()].map(async c => await c.blocks.return(undefined).catch(() => {})))
    this.cursors.clear()
  }

  private drop (index: number, peer: string): void {
    const set = this.failed.get(index) ?? new Set()
    set.add(peer)
    this.failed.set(index, set)
    const cursor = this.cursors.get(index)
    if (cursor?.peer === peer) {
      this.cursors.delete(index)
      cursor.blocks.return(undefined).catch(() => {})
    }
  }

  private open (peer: string, index: number, from: number): AsyncGenerator<Uint8Array> {
    const to = stripeCount(this.manifest)
    if (peer === this.components.selfId) return localBlocks(this.components.store, this.cid, index, this.manifest, from, to)
    return getShardBlocks(this.components.dial, peer, this.cid, index, this.manifest, from, to, this.signal)
  }
}

async function * localBlocks (store: ShardStore, cid: string, index: number, manifest: Manifest, from: number, to: number): AsyncGenerator<Uint8Array> {
  for (let s = from; s < to; s++) {
    const length = stripeBlockSize(manifest, s)
    const chunks: Uint8Array[] = []
    for await (const chunk of store.readShard(cid, index, { offset: blockOffset(manifest, s), length, chunkSize: length })) chunks.push(chunk)
    yield chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)
  }
}
