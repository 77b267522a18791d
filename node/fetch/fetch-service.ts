// Fetching a file: find its manifest and holders, stream k shards from the best holders in parallel, verify every
// block, fall back to other holders (or other shards) on error, stall or hash mismatch, and rebuild what is missing.
import { decodeFile } from '../../coder/decoder.ts'
import { toHex } from '../../coder/hash.ts'
import { stripesForRange, type ByteRange } from '../../coder/layout.ts'
import { manifestName, parseCid, type Manifest } from '../../coder/manifest.ts'
import type { FetchReport, FetchStart } from './types.ts'
import { Channel } from './channel.ts'
import { failureFields, logOutcome, silentLog, type EventLog } from '../event-log.ts'
import { findFile, loadManifest, type FindFileComponents } from '../transfer/find-file.ts'
import { locateMany, type Holders } from '../transfer/locator.ts'
import type { ManifestCache } from '../manifest-cache.ts'
import type { Dialer } from '../transfer/shard-client.ts'
import type { ShardStore } from '../store/shard-store.ts'
import { SwarmShardSource } from '../transfer/swarm-shard-source.ts'
import { HedgeTimer } from './hedge-timer.ts'
import { RecentHolders } from './recent-holders.ts'

/** A holder whose RTT was never measured ranks behind any measured one (1 s is slower than any usable edge link). */
const UNKNOWN_RTT_MS = 1000

export interface FetchComponents extends FindFileComponents {
  store: ShardStore
  manifests: ManifestCache
  dial: Dialer
  /** RTT to a peer in ms (0 for this node), undefined when unknown: orders holders nearest first. */
  rttOf: (peer: string) => number | undefined
  /** Carbon intensity of a peer's electricity, gCO2/kWh: among equally near holders, read from the cleaner one. */
  carbonOf?: (peer: string) => number | undefined
  /** The time in ms (where the last fetch found a file's holders is trusted for a few seconds); default Date.now. */
  now?: () => number
  /** Told which shards a read found missing or corrupt (heal on read). */
  onDegraded?: (cid: string, report: FetchReport) => void
  /** Told when this node's own copy of a shard was found bad while reading it, after it was quarantined. */
  onCorruptShard?: (cid: string, index: number) => void
  /** The operator's log: one line per fetch, once its last byte is out or it failed (node/event-log.ts). */
  log?: EventLog
}

export interface FetchOptions {
  signal?: AbortSignal
  range?: ByteRange
  /** Where the file was found moments ago (locateMany), to skip the lookup. */
  holders?: Holders
}

export class FetchService {
  private readonly recent: RecentHolders

  constructor (private readonly components: FetchComponents) {
    this.recent = new RecentHolders(components.now)
  }

  /** The manifest of `cid`: from this node's store, else from a holder, always checked against the CID. */
  async manifest (cid: string, options: { signal?: AbortSignal } = {}): Promise<Manifest> {
    return await loadManifest(this.components, cid, undefined, options.signal)
  }

  /** Where each of `cids` is among this node's connections, one `has` per peer per batch: a caller about to read many
   *  files (a mirror sync) hands each read its holders (`fetch(cid, { holders })`) instead of a lookup per file. */
  async locateMany (cids: string[], options: { signal?: AbortSignal } = {}): Promise<Map<string, Holders>> {
    return await locateMany(this.components, cids, options)
  }

  /** The file's bytes, or only `range` of them (then only the stripes that hold the range are read). `holders`: where
   *  the file was found moments ago (locateMany); a file they hold fewer than k shards of is looked up afresh. */
  async fetch (cid: string, options: FetchOptions = {}): Promise<FetchStart> {
    const log = this.components.log ?? silentLog
    const started = Date.now()
    let start: FetchStart & { k: number, m: number }
    try {
      start = await this.start(cid, options)
    } catch (err) {
      log.error('fetch', { cid, ms: Date.now() - started, ...failureFields(err) })
      throw err
    }
    const { k, m, ...fetching } = start
    const range = options.range !== undefined ? { range: `${options.range.start}-${options.range.end - 1}` } : {}
    const done = logOutcome(log, 'fetch', { cid, size: start.size, k, m, ...range }, async () => await start.done, r => ({ rebuilt: r.rebuilt.length > 0 ? r.rebuilt : undefined, corrupt: r.corrupt.length > 0 ? r.corrupt : undefined }), started)
    done.catch(() => {}) // the failure reaches the caller through the body
    return { ...fetching, done }
  }

  private async start (cid: string, options: FetchOptions): Promise<FetchStart & { k: number, m: number }> {
    const { signal, range } = options
    parseCid(cid)
    // Fewer than k shards among the peers we are connected to: look further (DHT providers) before giving up.
    // The lookup may be shared with reads that started at the same time, so it does not take this read's signal (its
    // requests are bounded by REQUEST_TIMEOUT_MS); this read's own streams do.
    const { manifest, holders } = await this.recent.locate(cid, async () => {
      const given = options.holders
      if (given === undefined || given.manifest.length === 0) return await findFile(this.components, cid, m => m.k)
      const manifest = await loadManifest(this.components, cid, given, signal)
      return given.shards.size >= manifest.k ? { manifest, holders: given } : await findFile(this.components, cid, m => m.k)
    })
    signal?.throwIfAborted()
    const unheld = Array.from({ length: manifest.k + manifest.m }, (_, i) => i).filter(i => (holders.shards.get(i) ?? []).length === 0)
    const stripeEnd = range === undefined ? undefined : stripesForRange(manifest, range).end
    const source = new SwarmShardSource(this.components, cid, manifest, this.rank(holders), signal, stripeEnd)
    const preference = this.preference(manifest, holders)
    const body = new Channel<Uint8Array>()
    const done = (async (): Promise<FetchReport> => {
      try {
        const decoded = await decodeFile(manifest, source, async chunk => { await body.send(chunk) }, { preference, signal, range, hedge: new HedgeTimer() })
        // The decoder may also reconstruct a data shard it chose not to read (a nearer parity shard was cheaper);
        // what counts as rebuilt for the user is a data shard that was lost: unheld, unreadable or corrupt.
        const missing = [...new Set([...unheld, ...decoded.missing])].sort((a, b) => a - b)
        const lost = new Set([...missing, ...decoded.corrupt])
        const report = { missing, corrupt: decoded.corrupt, rebuilt: decoded.rebuilt.filter(i => lost.has(i)), hedged: decoded.hedged, badHolders: source.badHolders() }
        body.close()
        if (report.missing.length > 0 || report.corrupt.length > 0 || report.badHolders.length > 0) this.recent.forget(cid)
        if (report.missing.length > 0 || report.corrupt.length > 0) this.components.onDegraded?.(cid, report)
        return report
      } catch (err) {
        this.recent.forget(cid)
        body.fail(err)
        throw err
      } finally {
        await source.close()
      }
    })()
    done.catch(() => {}) // the failure reaches the caller through the body
    return { cid, size: manifest.fileSize, sha256: toHex(manifest.fileHash), name: manifestName(manifest) ?? null, body, done, k: manifest.k, m: manifest.m }
  }

  /** Holders of each shard, nearest first (this node, then measured RTT, then unknown). */
  private rank (holders: Holders): Map<number, string[]> {
    const cost = (peer: string): number => this.components.rttOf(peer) ?? UNKNOWN_RTT_MS
    const ranked = new Map<number, string[]>()
    const carbon = (peer: string): number => this.components.carbonOf?.(peer) ?? Infinity
    for (const [index, peers] of holders.shards) ranked.set(index, [...peers].sort((a, b) => cost(a) - cost(b) || carbon(a) - carbon(b) || (a < b ? -1 : 1)))
    return ranked
  }

  /**
   * Shard indexes in the order to read them: every held data shard, then held parity shards, then the unheld; nearest
   * holder first within each group. A parity shard replaces a data shard only when one is missing, corrupt or slow
   * (the decoder's hedging): reading parity means decoding every stripe, a CPU cost per stripe that a nearer holder
   * saves only once (its RTT), and a stream from a farther holder runs as fast once it flows. (A per-file RTT
   * penalty of 5 ms had a loaded reader decoding every stripe of healthy fetches, docs/BENCHMARKS.md.)
   */
  private preference (manifest: Manifest, holders: Holders): number[] {
    const n = manifest.k + manifest.m
    const rank = (i: number): [number, number] => {
      const peers = holders.shards.get(i) ?? []
      if (peers.length === 0) return [2, 0]
      return [i < manifest.k ? 0 : 1, Math.min(...peers.map(p => this.components.rttOf(p) ?? UNKNOWN_RTT_MS))]
    }
    return Array.from({ length: n }, (_, i) => i).sort((a, b) => {
      const [ga, ra] = rank(a)
      const [gb, rb] = rank(b)
      return ga - gb || ra - rb || a - b
    })
  }
}
