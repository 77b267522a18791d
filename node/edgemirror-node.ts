// One edgemirror node: the libp2p host, the shard store, the protocol server, and the services behind the control
// API. Wiring only: it builds the components once, hands each service the part it needs, starts and stops them in
// order, and maps the ControlApi onto them; the logic lives in the services (share/, fetch/, check/, repair/,
// membership/, transfer/).
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import type { CheckResult, ControlApi, RepairResult, FetchStart, FileView, IdResult, PeerView, RmResult, ShareOptions, ShareResult, StatusResult } from './api/types.ts'
import type { CarbonProvider } from './carbon/index.ts'
import { createCarbonProvider } from './carbon/index.ts'
import type { Manifest } from '../coder/manifest.ts'
import { CheckService } from './check/check-service.ts'
import { PUT_ACCEPT_TIMEOUT_MS, SERVICE_STOP_TIMEOUT_MS, STREAM_IDLE_TIMEOUT_MS } from './constants.ts'
import { EdgemirrorError, TimeoutError } from './errors.ts'
import type { DaemonOptions } from './daemon-options.ts'
import { DeleteService } from './delete/delete-service.ts'
import { FetchService } from './fetch/fetch-service.ts'
import { createHost, type Host } from './host.ts'
import { loadOrCreateIdentity } from './identity.ts'
import { ManifestCache } from './manifest-cache.ts'
import { Membership } from './membership/membership.ts'
import { signOwnerClaim, signTombstone } from './ownership.ts'
import type { PeerDirectory } from './membership/peer-directory.ts'
import { selfInfo } from './membership/self-info.ts'
import { DEFAULT_WEIGHTS, parseWeights, type Weights } from './placement/index.ts'
import { RepairService } from './repair/repair-service.ts'
import { Scrubber } from './repair/scrubber.ts'
import { ShareService } from './share/share-service.ts'
import type { Startable } from './startable.ts'
import { FsShardStore } from './store/fs-shard-store.ts'
import type { ShardStore, StoreStats } from './store/shard-store.ts'
import { dhtProviders } from './transfer/providers.ts'
import type { Dialer } from './transfer/shard-client.ts'
import { ShardServer } from './transfer/shard-server.ts'
import type { PeerInfoMessage } from './wire/messages.ts'

const log = logger('edgemirror:node')

/** What the services are built from; each service's own Components type is a part of it (they import nothing from
 *  here). */
interface NodeComponents {
  selfId: string
  store: ShardStore
  manifests: ManifestCache
  directory: PeerDirectory
  dial: Dialer
  connectedPeers: () => string[]
  /** More holders of a CID (DHT providers), for the locator. */
  findProviders: (cid: string, signal?: AbortSignal) => Promise<string[]>
  /** This node's facts as peers see them (info protocol), and as placement counts them. */
  selfInfo: () => Promise<PeerInfoMessage>
  weights: Weights
  /** RTT to a peer in ms (0 for this node), undefined when unknown. */
  rttOf: (peer: string) => number | undefined
  /** Failure domains of a peer (this node included), when known. */
  domainsOf: (peer: string) => { region: string, zone: string } | undefined
  /** A shard of this node's was found bad and quarantined (by a read, a proof or the scrubber): repair looks at the
   *  file in its next round. */
  onCorruptShard: (cid: string) => void
}

export class EdgemirrorNode implements ControlApi {
  private readonly manifests: ManifestCache
  private readonly membership: Membership
  private readonly server: ShardServer
  private readonly sharing: ShareService
  private readonly fetching: FetchService
  private readonly checking: CheckService
  private readonly repairs: RepairService
  private readonly scrubber: Scrubber
  private readonly deletes: DeleteService
  /** This node's facts as its peers get them (info protocol). */
  readonly selfInfo: () => Promise<PeerInfoMessage>
  /** Background work, stopped first and together (it is aborted, not waited out). */
  private readonly background: Array<[name: string, part: Startable]>

  private constructor (private readonly options: DaemonOptions, readonly host: Host, private readonly store: ShardStore, private readonly carbon: CarbonProvider, privateKey: PrivateKey) {
    const selfId = host.peerId.toString()
    const dial: Dialer = async (peer, protocol, opts) => await host.dialProtocol(peerIdFromString(peer), protocol, { signal: opts?.signal })
    const providers = dhtProviders(host)
    this.manifests = new ManifestCache(store)
    this.membership = new Membership({ host, dial, bootstrap: options.bootstrap })
    const { directory } = this.membership
    const nudge = (cid: string): void => { this.repairs.nudge(cid) }
    const components: NodeComponents = {
      selfId,
      store,
      manifests: this.manifests,
      directory,
      dial,
      connectedPeers: () => host.getPeers().map(p => p.toString()),
      findProviders: providers.findProviders,
      selfInfo: async () => await selfInfo({ store, carbon, directory, domains: options }),
      weights: options.placement !== undefined ? parseWeights(options.placement) : DEFAULT_WEIGHTS,
      rttOf: (peer) => peer === selfId ? 0 : directory.get(peer)?.rttMs ?? undefined,
      domainsOf: (peer) => peer === selfId ? options : directory.get(peer),
      onCorruptShard: nudge
    }
    this.selfInfo = components.selfInfo
    // Owner claims and deletes are signed with the node's identity key: holders verify them against its peer id.
    this.deletes = new DeleteService({
      ...components,
      signTombstone: async (cid, graceMs) => await signTombstone(privateKey, selfId, cid, Date.now(), graceMs)
    }, { graceMs: options.deleteGraceMs })
    this.server = new ShardServer({
      ...components,
      registrar: host,
      info: components.selfInfo,
      knownPeers: async () => await this.membership.knownPeers(),
      idleTimeoutMs: options.streamIdleTimeoutMs,
      minBytesPerSecond: options.streamMinBytesPerSecond,
      inboundBudget: { totalBytes: options.inboundBudgetBytes, perConnectionBytes: options.inboundBudgetPerConnectionBytes },
      // Best effort: a holder that cannot announce is still found by peers that ask their connections (the locator).
      onShardStored: (cid) => { providers.announce(cid).catch((err) => { log('announce %s failed: %s', cid, (err as Error).message) }) },
      onDeleteRequest: async (tombstone) => await this.deletes.accept(tombstone)
    })
    this.sharing = new ShareService({
      ...components,
      announce: providers.announce,
      claimOwnership: async (cid) => await signOwnerClaim(privateKey, selfId, cid, Date.now()),
      // Holders that accepted wait idle while a hung one times out: keep two accept timeouts inside their idle timeout.
      // Tests shorten the idle timeout; below 3 s the 1 s floor wins, so a loaded machine does not re-place healthy
      // holders that took a few hundred ms to accept (those tests hang no holder at accept).
      acceptTimeoutMs: Math.min(PUT_ACCEPT_TIMEOUT_MS, Math.max(1000, Math.floor((options.streamIdleTimeoutMs ?? STREAM_IDLE_TIMEOUT_MS) / 3)))
    })
    this.fetching = new FetchService({
      ...components,
      carbonOf: (peer) => peer === selfId ? carbon.current().gco2PerKwh : directory.get(peer)?.carbon,
      onDegraded: nudge
    })
    this.checking = new CheckService({ ...components, repairView: (cid) => this.repairs.view(cid), deletion: async (cid) => await this.deletes.deletion(cid) })
    this.repairs = new RepairService({
      ...components,
      candidates: async () => await this.sharing.candidates(),
      locate: components.domainsOf,
      deletes: this.deletes,
      carbon: () => ({ current: carbon.current().gco2PerKwh, forecast: carbon.forecast() })
    }, { heartbeatMs: options.heartbeatMs, deadAfterMs: options.deadAfterMs, graceMs: options.repairGraceMs, repairRate: options.repairRate })
    this.scrubber = new Scrubber({ ...components, onCorrupt: nudge }, { bytesPerSecond: options.scrubRate, intervalMs: options.scrubIntervalMs })
    this.background = [['mesh keeper', this.membership], ['repair service', this.repairs], ['scrubber', this.scrubber], ['delete service', this.deletes]]
  }

  /** Open the repo (identity, store) and build the host; nothing listens until start(). */
  static async create (options: DaemonOptions): Promise<EdgemirrorNode> {
    await mkdir(options.repo, { recursive: true, mode: 0o700 })
    const privateKey = await loadOrCreateIdentity(options.repo)
    const store = new FsShardStore({ dir: join(options.repo, 'store'), capacity: options.capacity })
    const carbon = createCarbonProvider({ carbon: options.carbon, country: options.carbonCountry, file: options.carbonFile, url: options.carbonUrl, log: (message) => { log(message) } })
    const host = await createHost({ privateKey, listen: options.listen, bootstrap: options.bootstrap, mdns: options.mdns })
    return new EdgemirrorNode(options, host, store, carbon, privateKey)
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
    for (const [, part] of this.background) await part.start()
  }

  /**
   * Stop everything, each part within SERVICE_STOP_TIMEOUT_MS whatever it is doing (docs/REPAIR.md, "Stopping"):
   * background work first (it is aborted, not waited out), then the streams being served, the host, the carbon
   * provider and the store. A part that fails or overruns is logged and the rest still stop; the first such failure
   * is thrown at the end (ERR_STOP_FAILED), so the daemon exits non-zero and says why.
   */
  async stop (): Promise<void> {
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
    await Promise.all(this.background.map(async ([name, part]) => { await bounded(name, async () => { await part.stop() }) }))
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
      deletes: this.deletes.counters(),
      repairJobs: this.repairs.jobs(),
      scrub: this.scrubber.counters()
    }
  }

  async peers (): Promise<PeerView[]> {
    const { directory } = this.membership
    await directory.refreshAll()
    return directory.connected().map(r => ({
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

  async check (cid: string, options: { signal?: AbortSignal } = {}): Promise<CheckResult> {
    return await this.checking.check(cid, options)
  }

  async repair (cid: string, options: { signal?: AbortSignal } = {}): Promise<RepairResult> {
    return await this.repairs.repairNow(cid, options)
  }

  async rm (cid: string, options: { signal?: AbortSignal } = {}): Promise<RmResult> {
    return await this.deletes.rm(cid, options)
  }

  /** The manifest of `cid`, from this node or any holder (checked against the CID). */
  async fetchManifest (cid: string): Promise<Manifest> {
    return await this.fetching.manifest(cid)
  }
}
