// One edgemirror node: the libp2p host, the shard store, the protocol server, and the services behind the control
// API. Composition only; the logic lives in the services it wires together.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import type { CheckResult, ControlApi, RepairResult, FetchStart, FileView, IdResult, PeerView, ShareOptions, ShareResult, StatusResult } from './api/types.ts'
import type { CarbonProvider } from './carbon/index.ts'
import { createCarbonProvider } from './carbon/index.ts'
import type { Manifest } from '../coder/manifest.ts'
import { MAX_EXCHANGED_ADDRESSES, MAX_EXCHANGED_PEERS, PEER_INFO_REFRESH_MS, PUT_ACCEPT_TIMEOUT_MS, SERVICE_STOP_TIMEOUT_MS, STREAM_IDLE_TIMEOUT_MS } from './constants.ts'
import { EdgemirrorError, TimeoutError } from './errors.ts'
import type { DaemonOptions } from './daemon-options.ts'
import { CheckService } from './check/check-service.ts'
import { FetchService } from './fetch/fetch-service.ts'
import { createHost, type Host } from './host.ts'
import { loadOrCreateIdentity } from './identity.ts'
import type { LocatorComponents } from './transfer/locator.ts'
import { ManifestCache } from './manifest-cache.ts'
import { MeshKeeper } from './membership/mesh.ts'
import { RepairService } from './repair/repair-service.ts'
import { Scrubber } from './repair/scrubber.ts'
import { PeerDirectory } from './membership/peer-directory.ts'
import { DEFAULT_WEIGHTS, parseWeights } from './placement/index.ts'
import { askInfo, askPeers, type Dialer } from './transfer/shard-client.ts'
import { ShardServer } from './transfer/shard-server.ts'
import { ShareService } from './share/share-service.ts'
import { FsShardStore } from './store/fs-shard-store.ts'
import type { ShardStore, StoreStats } from './store/shard-store.ts'
import type { KnownPeer, PeerInfoMessage } from './wire/messages.ts'

const log = logger('edgemirror:node')

/** DHT lookups are a fallback for peers we are not connected to; never let one hold up a request for long. */
const DHT_TIMEOUT_MS = 5_000

export class EdgemirrorNode implements ControlApi {
  private readonly manifests: ManifestCache
  private readonly directory: PeerDirectory
  private readonly server: ShardServer
  private readonly sharing: ShareService
  private readonly fetching: FetchService
  private readonly checking: CheckService
  private readonly mesh: MeshKeeper
  private readonly repairs: RepairService
  private readonly scrubber: Scrubber
  private refreshTimer: NodeJS.Timeout | undefined
  private readonly dial: Dialer
  private readonly locator: LocatorComponents

  private constructor (private readonly options: DaemonOptions, readonly host: Host, private readonly store: ShardStore, private readonly carbon: CarbonProvider) {
    const selfId = host.peerId.toString()
    const connectedPeers = (): string[] => host.getPeers().map(p => p.toString())
    const rttOf = (peer: string): number | undefined => peer === selfId ? 0 : this.directory.get(peer)?.rttMs ?? undefined
    const weights = options.placement !== undefined ? parseWeights(options.placement) : DEFAULT_WEIGHTS
    this.dial = async (peer, protocol, opts) => await host.dialProtocol(peerIdFromString(peer), protocol, { signal: opts?.signal })
    this.manifests = new ManifestCache(store)
    this.directory = new PeerDirectory({
      connectedPeers,
      addresses: (peer) => host.getConnections(peerIdFromString(peer)).map(c => c.remoteAddr.toString()),
      info: async (peer, signal) => await askInfo(this.dial, peer, signal),
      ping: async (peer, signal) => await host.services.ping.ping(peerIdFromString(peer), { signal })
    })
    const locator = this.locator = {
      selfId,
      store,
      dial: this.dial,
      connectedPeers,
      findProviders: async (cid: string, signal?: AbortSignal) => await this.findProviders(cid, signal)
    }
    this.server = new ShardServer({
      registrar: host,
      store,
      manifests: this.manifests,
      info: async () => await this.selfInfo(),
      knownPeers: async () => await this.knownPeers(),
      onCorruptShard: (cid) => { this.repairs.nudge(cid) },
      idleTimeoutMs: options.streamIdleTimeoutMs,
      minBytesPerSecond: options.streamMinBytesPerSecond,
      inboundBudget: { totalBytes: options.inboundBudgetBytes, perConnectionBytes: options.inboundBudgetPerConnectionBytes },
      onShardStored: (cid) => { this.announce(cid).catch(() => {}) }
    })
    this.sharing = new ShareService({
      selfId,
      store,
      manifests: this.manifests,
      directory: this.directory,
      dial: this.dial,
      selfInfo: async () => await this.selfInfo(),
      weights,
      announce: async (cid) => { await this.announce(cid) },
      // Holders that accepted wait idle while a hung one times out: keep two accept timeouts inside their idle timeout.
      // Tests shorten the idle timeout; below 3 s the 1 s floor wins, so a loaded machine does not re-place healthy
      // holders that took a few hundred ms to accept (those tests hang no holder at accept).
      acceptTimeoutMs: Math.min(PUT_ACCEPT_TIMEOUT_MS, Math.max(1000, Math.floor((options.streamIdleTimeoutMs ?? STREAM_IDLE_TIMEOUT_MS) / 3)))
    })
    this.mesh = new MeshKeeper({
      selfId,
      connectedPeers,
      exchange: async (peer, signal) => await askPeers(this.dial, peer, signal),
      dial: async (peer, addresses, signal) => {
        await host.dial(addresses.map(a => multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${peer}`)), { signal })
      },
      rejoin: async (signal) => {
        await Promise.allSettled(options.bootstrap.map(async a => await host.dial(multiaddr(a), { signal })))
      }
    })
    this.fetching = new FetchService({
      ...locator,
      manifests: this.manifests,
      rttOf,
      carbonOf: (peer) => peer === selfId ? carbon.current().gco2PerKwh : this.directory.get(peer)?.carbon,
      onDegraded: (cid) => { this.repairs.nudge(cid) },
      onCorruptShard: (cid) => { this.repairs.nudge(cid) }
    })
    this.checking = new CheckService({
      ...locator,
      manifests: this.manifests,
      domainsOf: (peer) => peer === selfId ? options : this.directory.get(peer),
      repairView: (cid) => this.repairs.view(cid),
      onCorruptShard: (cid) => { this.repairs.nudge(cid) }
    })
    this.repairs = new RepairService({
      selfId,
      store,
      manifests: this.manifests,
      dial: this.dial,
      connectedPeers,
      candidates: async () => await this.sharing.candidates(),
      weights,
      rttOf,
      locate: (peer) => peer === selfId ? options : this.directory.get(peer),
      carbon: () => ({ current: carbon.current().gco2PerKwh, forecast: carbon.forecast() })
    }, { heartbeatMs: options.heartbeatMs, deadAfterMs: options.deadAfterMs, graceMs: options.repairGraceMs, repairRate: options.repairRate })
    this.scrubber = new Scrubber({ store, manifests: this.manifests, onCorrupt: (cid) => { this.repairs.nudge(cid) } }, { bytesPerSecond: options.scrubRate, intervalMs: options.scrubIntervalMs })
  }

  /** Open the repo (identity, store) and build the host; nothing listens until start(). */
  static async create (options: DaemonOptions): Promise<EdgemirrorNode> {
    await mkdir(options.repo, { recursive: true, mode: 0o700 })
    const privateKey = await loadOrCreateIdentity(options.repo)
    const store = new FsShardStore({ dir: join(options.repo, 'store'), capacity: options.capacity })
    const carbon = createCarbonProvider({ carbon: options.carbon, country: options.carbonCountry, file: options.carbonFile, url: options.carbonUrl, log: (message) => { log(message) } })
    const host = await createHost({ privateKey, listen: options.listen, bootstrap: options.bootstrap, mdns: options.mdns })
    return new EdgemirrorNode(options, host, store, carbon)
  }

  get peerId (): string {
    return this.host.peerId.toString()
  }

  get addresses (): string[] {
    return this.host.getMultiaddrs().map(a => a.toString())
  }

  async start (): Promise<void> {
    await this.store.start()
    await this.carbon.start()
    await this.server.start()
    await this.host.start()
    this.host.addEventListener('peer:connect', (evt) => {
      const peer = evt.detail.toString()
      this.directory.refresh(peer).catch(() => {})
      this.mesh.onConnect(peer)
    })
    this.mesh.start()
    this.repairs.start()
    this.scrubber.start()
    this.host.addEventListener('peer:disconnect', (evt) => { this.directory.forget(evt.detail.toString()) })
    this.refreshTimer = setInterval(() => { this.directory.refreshAll().catch(() => {}) }, PEER_INFO_REFRESH_MS)
    this.refreshTimer.unref()
  }

  /**
   * Stop everything, each part within SERVICE_STOP_TIMEOUT_MS whatever it is doing (docs/REPAIR.md, "Stopping"):
   * background work first (it is aborted, not waited out), then the streams being served, the host, the carbon
   * provider and the store. A part that fails or overruns is logged and the rest still stop; the first such failure
   * is thrown at the end (ERR_STOP_FAILED), so the daemon exits non-zero and says why.
   */
  async stop (): Promise<void> {
    clearInterval(this.refreshTimer)
    const failures: string[] = []
    const bounded = async (name: string, stopping: () => Promise<void>): Promise<void> => {
      let timer: NodeJS.Timeout | undefined
      const overrun = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => { reject(new TimeoutError(`stopping the ${name}`, SERVICE_STOP_TIMEOUT_MS)) }, SERVICE_STOP_TIMEOUT_MS)
      })
      try {
        await Promise.race([stopping(), overrun])
      } catch (err) {
        log.error('stopping the %s failed: %s', name, (err as Error).message)
        failures.push(`${name}: ${(err as Error).message}`)
      } finally {
        clearTimeout(timer)
      }
    }
    await Promise.all([
      bounded('mesh keeper', async () => { await this.mesh.stop() }),
      bounded('scrubber', async () => { await this.scrubber.stop() }),
      bounded('repair service', async () => { await this.repairs.stop() })
    ])
    await bounded('shard server', async () => { await this.server.stop() })
    await bounded('libp2p host', async () => { await this.host.stop() })
    await bounded('carbon provider', async () => { await this.carbon.stop() })
    await bounded('shard store', async () => { await this.store.stop() })
    if (failures.length > 0) throw new EdgemirrorError('ERR_STOP_FAILED', `the node did not stop cleanly: ${failures.join('; ')}`, { failures })
  }

  /** The store's counters, reservations included (tests check that a failed share left nothing behind). */
  async storeStats (): Promise<StoreStats> {
    return await this.store.stats()
  }

  /** Dial a peer by multiaddr (tests and the demo wire swarms up directly). */
  async connect (multiaddr: string): Promise<void> {
    const { multiaddr: parse } = await import('@multiformats/multiaddr')
    await this.host.dial(parse(multiaddr))
  }

  /** Connected peers and the addresses they listen on (from identify), for the peer exchange. */
  private async knownPeers (): Promise<KnownPeer[]> {
    const peers: KnownPeer[] = []
    for (const id of this.host.getPeers()) {
      const record = await this.host.peerStore.get(id).catch(() => undefined)
      const addresses = (record?.addresses ?? []).map(a => a.multiaddr.toString()).slice(0, MAX_EXCHANGED_ADDRESSES)
      if (addresses.length > 0) peers.push({ peerId: id.toString(), addresses })
      if (peers.length >= MAX_EXCHANGED_PEERS) break
    }
    return peers
  }

  async selfInfo (): Promise<PeerInfoMessage> {
    const stats = await this.store.stats()
    const reading = this.carbon.current()
    return {
      zone: this.options.zone,
      region: this.options.region,
      carbon: reading.gco2PerKwh,
      carbonSource: reading.source,
      freeBytes: Number.isFinite(stats.freeBytes) ? stats.freeBytes : null,
      usedBytes: stats.bytes + stats.reservedBytes,
      coordinate: this.directory.coordinate
    }
  }

  // ---- ControlApi ------------------------------------------------------------------------------------------------

  async id (): Promise<IdResult> {
    return { peerId: this.peerId, addresses: this.addresses }
  }

  async status (): Promise<StatusResult> {
    const stats = await this.store.stats()
    const reading = this.carbon.current()
    return {
      peerId: this.peerId,
      peers: this.host.getPeers().length,
      shards: stats.shards,
      bytes: stats.bytes,
      manifests: stats.manifests,
      capacity: stats.capacity,
      freeBytes: Number.isFinite(stats.freeBytes) ? stats.freeBytes : null,
      zone: this.options.zone,
      region: this.options.region,
      carbon: { gco2PerKwh: reading.gco2PerKwh, source: reading.source, stale: reading.stale, ...(reading.note !== undefined ? { note: reading.note } : {}) },
      ...this.repairs.counters(),
      repairJobs: this.repairs.jobs(),
      scrub: this.scrubber.counters()
    }
  }

  async peers (): Promise<PeerView[]> {
    await this.directory.refreshAll()
    return this.directory.connected().map(r => ({
      peerId: r.peerId, addresses: r.addresses, zone: r.zone, region: r.region, carbon: r.carbon, rttMs: r.rttMs, rttSource: r.rttSource, freeBytes: r.freeBytes
    }))
  }

  async ls (): Promise<FileView[]> {
    const files: FileView[] = []
    for (const cid of await this.store.listManifests()) {
      try {
        const m = await this.manifests.get(cid)
        if (m !== undefined) files.push({ cid, name: m.name ?? null, size: m.fileSize, k: m.k, m: m.m, codec: m.codec, createdAt: m.createdAt })
      } catch (err) {
        log.error('manifest %s unreadable: %s', cid, (err as Error).message)
      }
    }
    return files
  }

  async share (body: AsyncIterable<Uint8Array>, options: ShareOptions): Promise<ShareResult> {
    return await this.sharing.share(body, options)
  }

  async fetch (cid: string, options: { signal?: AbortSignal } = {}): Promise<FetchStart> {
    return await this.fetching.fetch(cid, options)
  }

  async check (cid: string): Promise<CheckResult> {
    return await this.checking.check(cid)
  }

  async repair (cid: string): Promise<RepairResult> {
    return await this.repairs.repairNow(cid)
  }

  /** The manifest of `cid`, from this node or any holder (checked against the CID). */
  async fetchManifest (cid: string): Promise<Manifest> {
    return await this.fetching.manifest(cid)
  }

  // ---- DHT -------------------------------------------------------------------------------------------------------

  private async announce (cid: string): Promise<void> {
    await this.host.contentRouting.provide(CID.parse(cid), { signal: AbortSignal.timeout(DHT_TIMEOUT_MS * 6) })
  }

  private async findProviders (cid: string, signal?: AbortSignal): Promise<string[]> {
    const timeout = AbortSignal.timeout(DHT_TIMEOUT_MS)
    const peers: string[] = []
    try {
      for await (const provider of this.host.contentRouting.findProviders(CID.parse(cid), { signal: signal != null ? AbortSignal.any([signal, timeout]) : timeout })) {
        peers.push(provider.id.toString())
      }
    } catch (err) {
      log('findProviders %s: %s', cid, (err as Error).message)
    }
    return peers
  }
}

