// One edgemirror node: the libp2p host, the shard store, the protocol server, and the services behind the control
// API. Wiring only: it builds the components once, hands each service the part it needs, starts and stops them in
// order, and maps the ControlApi onto them; the logic lives in the services (share/, fetch/, check/, repair/,
// membership/, transfer/).
import type { ByteRange } from '../coder/layout.ts'
import type { ByteSource } from '../coder/stripe-reader.ts'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import type { CheckResult, ControlApi, RepairResult, FetchStart, FileView, IdResult, MirrorFetchStart, MirrorView, PeerView, PublishOptions, PublishResult, RmResult, ShareOptions, SharedFile, StatusResult, TreeListing, VersionRecordView } from './api/types.ts'
import type { CarbonProvider } from './carbon/index.ts'
import { createCarbonProvider } from './carbon/index.ts'
import type { Manifest } from '../coder/manifest.ts'
import { CheckService } from './check/check-service.ts'
import { DEFAULT_QUOTA_PER_PEER, MAX_MESH_PEERS, PUT_ACCEPT_TIMEOUT_MS, SERVICE_STOP_TIMEOUT_MS, STREAM_IDLE_TIMEOUT_MS, SWARM_KEY_REFUSED_LOG_INTERVAL_MS } from './constants.ts'
import { EdgemirrorError, TimeoutError } from './errors.ts'
import { silentLog, type EventLog } from './event-log.ts'
import type { DaemonOptions } from './daemon-options.ts'
import { DeleteService } from './delete/delete-service.ts'
import { FetchService, type FetchOptions } from './fetch/fetch-service.ts'
import { openFile, readFile } from './fetch/file-access.ts'
import { EdgeCache } from './gateway/edge-cache.ts'
import { fileUrl, startGateway, type Gateway, type GatewayFiles } from './gateway/gateway-server.ts'
import { NodeMetrics } from './gateway/node-metrics.ts'
import { GATEWAY_IDLE_TIMEOUT_MS } from './gateway/constants.ts'
import { splitHostPort } from './host-port.ts'
import { createHost, type Host } from './host.ts'
import { rateLimitedRefusals } from './swarm-key-refusals.ts'
import { loadOrCreateIdentity } from './identity.ts'
import { ManifestCache } from './manifest-cache.ts'
import { lockRepo, type RepoLock } from './repo-lock.ts'
import { readSwarmKey } from './swarm-key.ts'
import { Membership } from './membership/membership.ts'
import { FollowService } from './mirror/follow-service.ts'
import { MirrorCatalog } from './mirror/mirror-catalog.ts'
import { PublishService } from './mirror/publish-service.ts'
import { RecordBook } from './mirror/record-book.ts'
import { RecordExchange } from './mirror/record-exchange.ts'
import { recordProtocols } from './mirror/record-protocol.ts'
import { TreeReader } from './mirror/tree-reader.ts'
import { signVersionRecord } from './mirror/version-record.ts'
import { signOwnerClaim, signTombstone } from './ownership.ts'
import type { PeerDirectory } from './membership/peer-directory.ts'
import { selfInfo } from './membership/self-info.ts'
import { DEFAULT_WEIGHTS, parseWeights, type Weights } from './placement/index.ts'
import { RepairService } from './repair/repair-service.ts'
import { Scrubber } from './repair/scrubber.ts'
import { fileNameOf, ShareRecords } from './share/share-records.ts'
import { ShareService } from './share/share-service.ts'
import type { Startable } from './startable.ts'
import { FsShardStore } from './store/fs-shard-store.ts'
import { PeerQuota } from './store/peer-quota.ts'
import type { ShardStore, StoreStats } from './store/shard-store.ts'
import { AnnounceQueue } from './transfer/announce-queue.ts'
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
  /** The operator's log (node/event-log.ts): share, fetch, repair, peer join/leave. */
  log: EventLog
}

/** What a node is given besides its settings. */
export interface NodeRuntime {
  /** Where the operator's log lines go; default nowhere (the daemon passes one on stderr). */
  log?: EventLog
}

export class EdgemirrorNode implements ControlApi {
  private readonly manifests: ManifestCache
  private readonly membership: Membership
  private readonly server: ShardServer
  private readonly quota: PeerQuota
  private readonly events: EventLog
  private readonly sharing: ShareService
  private readonly shareRecords: ShareRecords
  private readonly fetching: FetchService
  private readonly checking: CheckService
  private readonly repairs: RepairService
  private readonly scrubber: Scrubber
  private readonly deletes: DeleteService
  private readonly records: RecordBook
  private readonly announces: AnnounceQueue
  private readonly exchange: RecordExchange
  private readonly publishing: PublishService
  private readonly follows: FollowService
  private readonly catalog: MirrorCatalog
  /** This node's facts as its peers get them (info protocol). */
  readonly selfInfo: () => Promise<PeerInfoMessage>
  /** What the gateway reads through: the edge cache in front of the fetch service (or the service alone). */
  private readonly gatewayFiles: GatewayFiles
  private readonly cache: EdgeCache | undefined
  private gateway: Gateway | undefined
  /** Background work, stopped first and together (it is aborted, not waited out). */
  private readonly background: Array<[name: string, part: Startable]>

  private constructor (private readonly options: DaemonOptions, private readonly lock: RepoLock, readonly host: Host, private readonly store: ShardStore, private readonly carbon: CarbonProvider, privateKey: PrivateKey, runtime: NodeRuntime) {
    const selfId = host.peerId.toString()
    const dial: Dialer = async (peer, protocol, opts) => await host.dialProtocol(peerIdFromString(peer), protocol, { signal: opts?.signal })
    const providers = dhtProviders(host)
    this.announces = new AnnounceQueue({
      provide: providers.announce,
      meshFull: () => host.getPeers().length < MAX_MESH_PEERS,
      held: async () => await store.listManifests()
    })
    this.manifests = new ManifestCache(store)
    const events = runtime.log ?? silentLog
    this.events = events
    this.membership = new Membership({ host, dial, bootstrap: options.bootstrap, log: events })
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
      onCorruptShard: nudge,
      log: events
    }
    this.selfInfo = components.selfInfo
    // Owner claims and deletes are signed with the node's identity key: holders verify them against its peer id.
    this.deletes = new DeleteService({
      ...components,
      signTombstone: async (cid, graceMs) => await signTombstone(privateKey, selfId, cid, Date.now(), graceMs)
    }, { graceMs: options.deleteGraceMs })
    this.quota = new PeerQuota({ quotaBytes: options.quotaPerPeer ?? DEFAULT_QUOTA_PER_PEER, dir: join(options.repo, 'store', 'pushers'), store })
    this.server = new ShardServer({
      ...components,
      quota: this.quota,
      registrar: host,
      info: components.selfInfo,
      knownPeers: async () => await this.membership.knownPeers(),
      idleTimeoutMs: options.streamIdleTimeoutMs,
      minBytesPerSecond: options.streamMinBytesPerSecond,
      inboundBudget: { totalBytes: options.inboundBudgetBytes, perConnectionBytes: options.inboundBudgetPerConnectionBytes },
      // Best effort: a holder that cannot announce is still found by peers that ask their connections (the locator).
      onShardStored: (cid) => { this.announces.announce(cid) },
      onDeleteRequest: async (tombstone) => await this.deletes.accept(tombstone),
      requestProtocols: recordProtocols({
        announced: async (records, from) => { await this.exchange.announced(records, from) },
        since: (have, max) => this.exchange.since(have, max)
      })
    })
    this.shareRecords = new ShareRecords(join(options.repo, 'shares'))
    this.sharing = new ShareService({
      ...components,
      records: this.shareRecords,
      announce: async (cid) => { this.announces.announce(cid) },
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
      carbon: () => ({ current: carbon.current().gco2PerKwh, forecast: carbon.forecast() }),
      // libp2p's connection monitor does not cut connections (node/host.ts): liveness is decided here, once.
      onPeerDead: (peer) => { host.hangUp(peerIdFromString(peer)).catch((err: Error) => { log('closing the connections of dead peer %s: %s', peer, err.message) }) }
    }, { heartbeatMs: options.heartbeatMs, deadAfterMs: options.deadAfterMs, graceMs: options.repairGraceMs, repairRate: options.repairRate })
    this.scrubber = new Scrubber({ ...components, onCorrupt: nudge }, { bytesPerSecond: options.scrubRate, intervalMs: options.scrubIntervalMs })
    // Mirror sets (docs/MIRRORS.md): records signed with the identity key, pushed and pulled over the mesh; trees and
    // files read through the fetch service; --keep deletes through the delete service.
    const trusted = new Set(options.trust ?? [])
    const trusts = (publisher: string): boolean => trusted.size === 0 || trusted.has(publisher) || publisher === selfId
    const mirrorsDir = join(options.repo, 'mirrors')
    this.records = new RecordBook({ dir: join(mirrorsDir, 'records'), trusts, log: events })
    this.exchange = new RecordExchange({
      book: this.records,
      dial,
      connectedPeers: components.connectedPeers,
      onPeerConnect: (listener) => {
        const onConnect = (evt: CustomEvent<{ toString: () => string }>): void => { listener(evt.detail.toString()) }
        host.addEventListener('peer:connect', onConnect)
        return () => { host.removeEventListener('peer:connect', onConnect) }
      }
    })
    // Mirror files are named by CID: an encrypted one is refused (ERR_KEY_REQUIRED), never written out as ciphertext.
    const fetchFile = async (cid: string, opts: FetchOptions): Promise<FetchStart> => {
      await openFile(this.fetching, cid, opts)
      return await this.fetching.fetch(cid, opts)
    }
    const trees = new TreeReader({ fetch: fetchFile })
    this.publishing = new PublishService({
      selfId,
      dir: join(mirrorsDir, 'published'),
      share: async (body, opts) => await this.sharing.share(body, opts),
      rm: async (cid, opts) => await this.deletes.rm(cid, opts),
      sign: async (fields) => await signVersionRecord(privateKey, fields),
      book: this.records,
      announce: async (record) => await this.exchange.announce(record),
      trees,
      log: events
    })
    this.follows = new FollowService({ book: this.records, trees, fetchFile, locateMany: async (cids, opts) => await this.fetching.locateMany(cids, opts), trusts, stateFile: join(mirrorsDir, 'follows.json'), log: events })
    this.catalog = new MirrorCatalog({ selfId, book: this.records, trees, follows: this.follows, publishing: this.publishing, trusts, fetchFile })
    this.background = [['mesh keeper', this.membership], ['repair service', this.repairs], ['scrubber', this.scrubber], ['delete service', this.deletes], ['record exchange', this.exchange], ['follow service', this.follows], ['DHT announces', this.announces]]
    const swarmFiles: GatewayFiles = {
      manifest: async (cid, opts) => await this.fetching.manifest(cid, opts),
      fetch: async (cid, opts) => await this.fetching.fetch(cid, opts)
    }
    this.cache = options.cacheSize > 0 ? new EdgeCache(swarmFiles, { dir: join(options.repo, 'cache'), capacityBytes: options.cacheSize }) : undefined
    this.gatewayFiles = this.cache ?? swarmFiles
  }

  /** Lock the repo, open it (identity, store) and build the host; nothing listens until start(). The node holds the
   *  repo's lock until stop(): a second node on the repo, in this process or another, fails here with ERR_REPO_LOCKED
   *  before it reads or writes anything in it. */
  static async create (options: DaemonOptions, runtime: NodeRuntime = {}): Promise<EdgemirrorNode> {
    const lock = await lockRepo(options.repo)
    try {
      const privateKey = await loadOrCreateIdentity(options.repo)
      const store = new FsShardStore({ dir: join(options.repo, 'store'), capacity: options.capacity })
      const events = runtime.log ?? silentLog
      // A broken feed is the operator's business (the node keeps running on the fallback): one line per failed poll,
      // which backs off, and one when it recovers.
      const carbon = createCarbonProvider({ carbon: options.carbon, country: options.carbonCountry, file: options.carbonFile, url: options.carbonUrl, log: (message, level) => { log(message); events[level]('carbon.feed', { message }) } })
      const swarmKey = options.swarmKey !== undefined ? await readSwarmKey(options.swarmKey) : undefined
      const onSwarmKeyRefused = rateLimitedRefusals((refusal, suppressed) => {
        events.warn('swarm.key.refused', { ...refusal, suppressed: suppressed > 0 ? suppressed : undefined })
      }, SWARM_KEY_REFUSED_LOG_INTERVAL_MS)
      const host = await createHost({ privateKey, listen: options.listen, bootstrap: options.bootstrap, mdns: options.mdns, swarmKey, onSwarmKeyRefused })
      return new EdgemirrorNode(options, lock, host, store, carbon, privateKey, runtime)
    } catch (err) {
      await lock.release()
      throw err
    }
  }

  /** create() then start(); a node that fails to start is stopped (the lock released) and the start's error thrown. */
  static async launch (options: DaemonOptions, runtime: NodeRuntime = {}): Promise<EdgemirrorNode> {
    const node = await EdgemirrorNode.create(options, runtime)
    try {
      await node.start()
    } catch (err) {
      // Report the start's failure, not a failure to stop on the way out (which is logged).
      await node.stop().catch((stopErr: Error) => { log.error('stopping after a failed start: %s', stopErr.message) })
      throw err
    }
    return node
  }

  get peerId (): string {
    return this.host.peerId.toString()
  }

  get addresses (): string[] {
    return this.host.getMultiaddrs().map(a => a.toString())
  }

  async start (): Promise<void> {
    await this.store.start()
    await this.quota.start()
    await this.records.load()
    await this.carbon.start()
    await this.server.start()
    await this.host.start()
    for (const [, part] of this.background) await part.start()
    await this.cache?.start()
    if (this.options.gateway !== 'off') {
      const { host, port } = splitHostPort('--gateway', this.options.gateway)
      const cache = this.cache
      const metrics = this.options.metrics ? new NodeMetrics({ status: async () => await this.status(), cache: cache !== undefined ? () => cache.counters() : undefined }) : undefined
      this.gateway = await startGateway({ files: this.gatewayFiles, host, port, maxStreams: this.options.gatewayMaxStreams, idleTimeoutMs: GATEWAY_IDLE_TIMEOUT_MS, observer: metrics, mirrors: this.catalog, log: this.events })
    }
  }

  /** The gateway's base URL (http://HOST:PORT), or null when it is off. */
  get gatewayUrl (): string | null {
    return this.gateway?.url ?? null
  }

  /**
   * Stop everything, each part within SERVICE_STOP_TIMEOUT_MS whatever it is doing (docs/REPAIR.md, "Stopping"):
   * background work first (it is aborted, not waited out), then the streams being served, the host, the carbon
   * provider and the store, and last the repo's lock. A part that fails or overruns is logged and the rest still stop; the first such failure
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
    // Readers first: a gateway response still streaming ends here, with the holder streams it had open.
    await bounded('gateway', async () => { await this.gateway?.stop() })
    await Promise.all(this.background.map(async ([name, part]) => { await bounded(name, async () => { await part.stop() }) }))
    await bounded('shard server', async () => { await this.server.stop() })
    await bounded('libp2p host', async () => { await this.host.stop() })
    await bounded('carbon provider', async () => { await this.carbon.stop() })
    await bounded('shard store', async () => { await this.store.stop() })
    await bounded('repo lock', async () => { await this.lock.release() })
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
      deletes: { ...this.deletes.counters(), bytesReclaimable: await this.deletes.reclaimableBytes() },
      repairJobs: this.repairs.jobs(),
      scrub: this.scrubber.counters(),
      shardsSent: this.server.sentCounters(),
      gateway: this.gatewayUrl,
      cache: this.cache !== undefined ? this.cache.counters() : null
    }
  }

  async peers (): Promise<PeerView[]> {
    const { directory } = this.membership
    await directory.refreshAll()
    return directory.connected().map(r => ({
      peerId: r.peerId, addresses: r.addresses, zone: r.zone, region: r.region, carbon: r.carbon, rttMs: r.rttMs, rttSource: r.rttSource, freeBytes: r.freeBytes
    }))
  }

  /** The files this node shared (its share records) and those whose manifest it holds, by CID. */
  async ls (): Promise<FileView[]> {
    const records = new Map((await this.shareRecords.list()).map(r => [r.cid, r]))
    const cids = [...new Set([...records.keys(), ...await this.store.listManifests()])].sort()
    const files: FileView[] = []
    for (const cid of cids) {
      const record = records.get(cid)
      let manifest: Manifest | undefined
      try {
        manifest = await this.manifests.get(cid)
      } catch (err) {
        log.error('manifest %s unreadable: %s', cid, (err as Error).message)
      }
      const name = fileNameOf(record, manifest)
      if (record !== undefined) {
        files.push({ cid, name, size: record.size, k: record.k, m: record.m, codec: record.codec, shared: true, sharedAt: record.sharedAt })
      } else if (manifest !== undefined) {
        const sharedAt = manifest.version === 1 ? manifest.createdAt : null
        files.push({ cid, name, size: manifest.fileSize, k: manifest.k, m: manifest.m, codec: manifest.codec, shared: false, sharedAt })
      }
    }
    return files
  }

  async share (body: ByteSource, options: ShareOptions): Promise<SharedFile> {
    const result = await this.sharing.share(body, options)
    return { ...result, url: this.gatewayUrl === null ? null : fileUrl(this.gatewayUrl, result.capability ?? result.cid, options.name) }
  }

  /** `target` is a CID, or a capability for an encrypted file (node/fetch/file-access.ts). The name in the answer is
   *  this node's share record's when it shared the file (fetch/ knows only the manifest). */
  async fetch (target: string, options: { signal?: AbortSignal, range?: ByteRange } = {}): Promise<FetchStart> {
    const start = await readFile(this.fetching, target, options)
    const recorded = (await this.shareRecords.get(start.cid).catch(() => undefined))?.name
    return recorded != null ? { ...start, name: recorded } : start
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

  async publish (options: PublishOptions): Promise<PublishResult> {
    return await this.publishing.publish(options)
  }

  async follow (address: string, dir: string): Promise<MirrorView> {
    return await this.follows.follow(address, dir)
  }

  async unfollow (address: string): Promise<MirrorView> {
    return await this.follows.unfollow(address)
  }

  async mirrors (): Promise<MirrorView[]> {
    return await this.catalog.mirrors()
  }

  async versions (address: string): Promise<VersionRecordView[]> {
    return this.catalog.versions(address)
  }

  async listTree (target: string, options: { signal?: AbortSignal } = {}): Promise<TreeListing> {
    return await this.catalog.listTree(target, options)
  }

  async fetchPath (target: string, options: { signal?: AbortSignal } = {}): Promise<MirrorFetchStart> {
    return await this.catalog.fetchPath(target, options)
  }

  /** Resolves once this node's followed copy of `address` shows version `seq` or newer (tests, bench). */
  async mirrorSynced (address: string, seq: number, signal?: AbortSignal): Promise<void> {
    await this.follows.synced(address, seq, signal)
  }

  /** The manifest of `cid`, from this node or any holder (checked against the CID). */
  async fetchManifest (cid: string): Promise<Manifest> {
    return await this.fetching.manifest(cid)
  }
}
