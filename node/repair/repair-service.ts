// The self-repair loop of one node, with no coordinator. Every heartbeat interval it asks each peer it tracks which
// shards of this node's files it holds (the answer is both the heartbeat and the shard report), updates the failure
// detector and the per-file holder maps, and plans every file. A file short of shards is queued for repair only on the
// peer that ranks first by rendezvous hashing among its live holders; the others watch and take over when that peer
// dies. Extra copies (a peer came back after its shards were rebuilt elsewhere) are collected by their holders,
// never below k + m live indexes. Design: docs/REPAIR.md.
import { randomBytes } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { logger } from '@libp2p/logger'
import { shardSize } from '../../coder/layout.ts'
import type { Manifest } from '../../coder/manifest.ts'
import { rebuildShards } from '../../coder/rebuild.ts'
import { EdgemirrorError, FileDeletedError, NotEnoughPeersError, NotFoundError } from '../errors.ts'
import { failureFields, silentLog, type EventLog } from '../event-log.ts'
import type { ManifestCache } from '../manifest-cache.ts'
import type { Tombstone } from '../ownership.ts'
import { placeShards, type PlacementPeer, type Weights } from '../placement/index.ts'
import { askHas, type Dialer } from '../transfer/shard-client.ts'
import { openShardTargets, writeShards, type PlacedTarget, type ShardTargetRequest } from '../transfer/shard-target.ts'
import type { ShardStore } from '../store/shard-store.ts'
import { proveClaims } from '../transfer/shard-proof.ts'
import { SwarmShardSource } from '../transfer/swarm-shard-source.ts'
import { MAX_HAS_CIDS } from '../constants.ts'
import { DEAD_AFTER_MS, DEFAULT_REPAIR_RATE, HEARTBEAT_INTERVAL_MS, REPAIR_GRACE_MS } from './constants.ts'
import { FailureDetector } from './failure-detector.ts'
import { HolderMap } from './holder-map.ts'
import { shouldRepair } from './leader.ts'
import { RateLimiter } from './rate-limiter.ts'
import { planRepair, type RepairPlan } from './repair-plan.ts'
import { RepairQueue, type CarbonOutlook, type JobStatus } from './repair-queue.ts'
import type { RepairResult, RepairStats, RepairView } from './types.ts'
import { NotEnoughShardsError } from '../../coder/errors.ts'
import type { Startable } from '../startable.ts'
import { monotonicNow } from '../clock.ts'

/** Repair always places one shard per peer (several on one would let one loss cost more than one shard). */
const REPAIR_FEWER_PEERS_HINT = 'repair places one shard per peer: start more peers, or bring the lost holders back'

const log = logger('edgemirror:repair')

export interface RepairComponents {
  selfId: string
  store: ShardStore
  manifests: ManifestCache
  dial: Dialer
  connectedPeers: () => string[]
  /** Peers placement may use, with their facts (this node included). */
  candidates: () => Promise<PlacementPeer[]>
  weights: Weights
  /** RTT to a peer in ms, undefined when unknown: read the nearest survivors. */
  rttOf: (peer: string) => number | undefined
  /** Failure domains of a peer, when known: placement counts survivors against its caps. */
  locate: (peer: string) => { region: string, zone: string } | undefined
  /** Deleted files (the delete service): never planned, repaired or collected; and the tombstones peers report in
   *  their shard reports, handed over so a holder that was away during a delete learns of it. */
  deletes?: { isDeleted: (cid: string) => Promise<boolean>, learn: (cid: string, tombstones: Tombstone[]) => Promise<void> }
  /** Current carbon intensity and forecast, for deferring non-urgent repairs to greener hours. */
  carbon?: () => CarbonOutlook | undefined
  now?: () => number
  /** The operator's log: one line per rebuild and per holder declared dead or back (node/event-log.ts). */
  log?: EventLog
  /** Told when the failure detector declares a peer dead: its connections are closed (a stalled or vanished peer's
   *  connection would otherwise linger, and new streams on it hang until their own timeouts). */
  onPeerDead?: (peer: string) => void
}

export interface RepairInit {
  heartbeatMs?: number
  deadAfterMs?: number
  /** Extra wait after a holder is declared dead before its shards are rebuilt (it may just be rebooting). */
  graceMs?: number
  /** Bytes per second of rebuilt shards pushed to new holders. */
  repairRate?: number
}

export class RepairService implements Startable {
  readonly detector: FailureDetector
  private readonly queue: RepairQueue
  private readonly limiter: RateLimiter
  private readonly maps = new Map<string, HolderMap>()
  private readonly plans = new Map<string, { plan: RepairPlan, leader: boolean }>()
  private readonly stats = { repairsDone: 0, repairsFailed: 0, bytesRepaired: 0, copiesCollected: 0, copiesKept: 0 }
  private readonly heartbeatMs: number
  private readonly graceMs: number
  private readonly now: () => number
  private timer: NodeJS.Timeout | undefined
  private controller = new AbortController()
  private ticking: Promise<void> | undefined
  private working: Promise<void> | undefined
  /** Files to look at again at once (a fetch or the scrubber found a bad or missing shard). */
  private readonly nudged = new Set<string>()

  constructor (private readonly components: RepairComponents, init: RepairInit = {}) {
    // Grace periods, backoff and failure detection are durations: a clock that never steps (node/clock.ts).
    this.now = components.now ?? monotonicNow
    this.heartbeatMs = init.heartbeatMs ?? HEARTBEAT_INTERVAL_MS
    this.graceMs = init.graceMs ?? REPAIR_GRACE_MS
    const deadAfterMs = init.deadAfterMs ?? DEAD_AFTER_MS
    this.detector = new FailureDetector({
      now: this.now,
      heartbeatIntervalMs: this.heartbeatMs,
      deadAfterMs,
      acceptablePauseMs: this.heartbeatMs,
      minStdDeviationMs: Math.max(1, this.heartbeatMs / 10),
      maxSampledIntervalMs: deadAfterMs
    })
    this.queue = new RepairQueue({ carbon: components.carbon, backoffBaseMs: Math.min(10_000, this.heartbeatMs * 2) })
    this.limiter = new RateLimiter({ bytesPerSecond: init.repairRate ?? DEFAULT_REPAIR_RATE })
  }

  start (): void {
    this.controller = new AbortController()
    // One listener per peer asked in a round (AbortSignal.any): more than Node's warning threshold of 10 is normal.
    setMaxListeners(Infinity, this.controller.signal)
    const loop = (): void => {
      if (this.controller.signal.aborted) return // stopped while a round was running: no next round
      this.timer = setTimeout(() => {
        this.ticking = this.tick().catch((err) => { log.error('repair round failed: %s', (err as Error).message) }).finally(loop)
      }, this.heartbeatMs)
      this.timer.unref()
    }
    loop()
  }

  async stop (): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    this.controller.abort()
    await this.ticking
    await this.working
  }

  /** A fetch or the scrubber found a shard of `cid` missing or bad: look at the file in the next round. */
  nudge (cid: string): void {
    this.nudged.add(cid)
  }

  counters (): RepairStats {
    const now = this.now()
    const jobs = this.queue.snapshot(now)
    return {
      repairsQueued: jobs.filter(j => j.state !== 'lost' && j.state !== 'parked').length,
      ...this.stats,
      filesLost: jobs.filter(j => j.state === 'lost').length
    }
  }

  jobs (): JobStatus[] {
    return this.queue.snapshot(this.now())
  }

  view (cid: string): RepairView | undefined {
    const known = this.plans.get(cid)
    if (known === undefined) return undefined
    return { generation: this.maps.get(cid)?.generation ?? 0, health: known.plan.health, leader: known.leader, job: this.queue.snapshot(this.now()).find(j => j.cid === cid) }
  }

  /** One round: shard reports (heartbeats), detector, plans, and at most one repair started. */
  async tick (): Promise<void> {
    const cids = await this.components.store.listManifests()
    await this.collectReports(cids)
    for (const change of this.detector.poll()) {
      log('peer %s: %s -> %s', change.peer, change.from, change.to)
      if (change.to === 'dead') {
        this.events.warn('peer.dead', { peer: change.peer })
        this.components.onPeerDead?.(change.peer)
      }
      else if (change.from === 'dead') this.events.info('peer.alive', { peer: change.peer })
    }
    for (const cid of cids) {
      try {
        if (await this.skipDeleted(cid)) continue
        await this.evaluate(cid)
      } catch (err) {
        log.error('planning %s failed: %s', cid, (err as Error).message)
      }
    }
    this.nudged.clear()
    this.startNextJob()
  }

  /** Repair `cid` now on this node, whoever leads it (the CLI's `repair`). */
  async repairNow (cid: string, options: { signal?: AbortSignal } = {}): Promise<RepairResult> {
    // The caller's signal (the control API's request: a client that goes away) as well as the node stopping.
    const signal = options.signal !== undefined ? AbortSignal.any([this.controller.signal, options.signal]) : this.controller.signal
    // A holder that did not answer just now counts as down for this repair, as it does for `check` (which counts only
    // holders that answer and prove): the failure detector would call it alive until --dead-after, and repair used to
    // say "healthy, nothing to rebuild" right after a holder died while check said degraded (issue #15).
    const silent = await this.collectReports([cid])
    const rebuilt = await this.loggedRepair(cid, signal, silent)
    const { plan } = await this.evaluate(cid, silent)
    return { cid, rebuilt, live: plan.live, healthy: plan.health === 'healthy' }
  }

  // ---- reports -----------------------------------------------------------------------------------------------------

  /** Ask every tracked peer for its shards of `cids`; returns the peers that did not answer. */
  private async collectReports (cids: string[]): Promise<Set<string>> {
    const { selfId, store, connectedPeers } = this.components
    const own = new Map<string, number[]>()
    for (const s of await store.listShards()) own.set(s.cid, [...(own.get(s.cid) ?? []), s.index])
    for (const cid of cids) this.applyReport(selfId, cid, own.get(cid) ?? [])
    // Every connected peer, and every holder we knew of even if the connection is gone (it may come back).
    const peers = new Set([...connectedPeers(), ...this.detector.peers()])
    peers.delete(selfId)
    const silent = new Set<string>()
    await Promise.all([...peers].map(async peer => { if (!await this.askPeer(peer, cids)) silent.add(peer) }))
    return silent
  }

  /** True when `peer` answered. */
  private async askPeer (peer: string, cids: string[]): Promise<boolean> {
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(Math.max(this.heartbeatMs, 1000))])
    try {
      const holdings = new Map<string, number[]>()
      const tombstones = new Map<string, Tombstone[]>()
      for (let i = 0; i < cids.length || i === 0; i += MAX_HAS_CIDS) {
        for (const h of await askHas(this.components.dial, peer, cids.slice(i, i + MAX_HAS_CIDS), signal)) {
          holdings.set(h.cid, h.shards)
          if (h.tombstones.length > 0) tombstones.set(h.cid, h.tombstones)
        }
      }
      this.detector.heartbeat(peer)
      for (const cid of cids) this.applyReport(peer, cid, holdings.get(cid) ?? [])
      for (const [cid, reported] of tombstones) {
        if (cids.includes(cid)) await this.components.deletes?.learn(cid, reported).catch((err: Error) => { log.error('tombstones of %s from %s: %s', cid, peer, err.message) })
      }
      return true
    } catch (err) {
      log.trace('no report from %s: %s', peer, (err as Error).message)
      return false
    }
  }

  /** `peer` holds exactly `indexes` of `cid`: add what is new, remove what it no longer reports. */
  private applyReport (peer: string, cid: string, indexes: number[]): void {
    let map = this.maps.get(cid)
    if (map === undefined) {
      if (indexes.length === 0) return
      map = new HolderMap(cid)
      this.maps.set(cid, map)
    }
    const { selfId } = this.components
    const held = new Set(indexes)
    for (const [index, peers] of map.shards()) {
      if (peers.includes(peer) && !held.has(index)) map.remove(index, peer, selfId)
    }
    for (const index of held) map.add(index, peer, selfId)
  }

  // ---- planning ----------------------------------------------------------------------------------------------------

  /** A deleted file is left alone: no plan, no job, no extra-copy collection (the delete service removes it). */
  private async skipDeleted (cid: string): Promise<boolean> {
    if (this.components.deletes === undefined || !(await this.components.deletes.isDeleted(cid))) return false
    this.queue.remove(cid)
    this.plans.delete(cid)
    this.maps.delete(cid)
    return true
  }

  private isAlive = (peer: string): boolean => peer === this.components.selfId || this.detector.state(peer) !== 'dead'

  /** Alive by the detector and not among `silent` (peers that did not answer a report asked just now). */
  private aliveExcept (silent: Set<string>): (peer: string) => boolean {
    return silent.size === 0 ? this.isAlive : (peer: string) => this.isAlive(peer) && !silent.has(peer)
  }

  private async plan (cid: string, silent = new Set<string>()): Promise<{ manifest: Manifest, plan: RepairPlan }> {
    const manifest = await this.components.manifests.get(cid)
    if (manifest === undefined) throw new NotFoundError(`manifest ${cid} on this node`, { cid })
    const shards = this.maps.get(cid)?.shards() ?? new Map()
    for (const peers of shards.values()) for (const p of peers) if (p !== this.components.selfId) this.detector.track(p)
    const plan = planRepair({
      cid,
      k: manifest.k,
      m: manifest.m,
      shards,
      isAlive: this.aliveExcept(silent),
      self: this.components.selfId,
      distance: this.components.rttOf,
      locate: this.components.locate
    })
    return { manifest, plan }
  }

  private async evaluate (cid: string, silent = new Set<string>()): Promise<{ plan: RepairPlan, leader: boolean }> {
    const { selfId } = this.components
    const { manifest, plan } = await this.plan(cid, silent)
    const holders = [...new Set(plan.existing.map(e => e.peerId))]
    const leader = shouldRepair(selfId, cid, holders, this.aliveExcept(silent))
    this.plans.set(cid, { plan, leader })
    const now = this.now()
    if (plan.health === 'healthy') {
      this.queue.remove(cid)
      await this.collectExcess(plan, manifest)
    } else if (leader || plan.health === 'lost') {
      const urgent = this.nudged.has(cid) ? 0 : this.graceMs
      this.queue.add({ cid, k: manifest.k, n: manifest.k + manifest.m, live: plan.live, notBefore: now + urgent, reason: `shards ${plan.missing.join(', ')} have no live holder` }, now)
    } else {
      this.queue.remove(cid) // another live holder leads this file; it repairs, we watch
    }
    return { plan, leader }
  }

  /** Delete this node's copies that others also hold (every holder computes the same keeper), once the keeper has
   *  proved it holds the shard: holder maps come from `has` answers, and a peer that claims every shard and holds none
   *  would otherwise have honest holders delete the only real copies (issue #13). */
  private async collectExcess (plan: RepairPlan, manifest: Manifest): Promise<void> {
    const { selfId, store } = this.components
    for (const extra of plan.excess) {
      if (extra.peerId !== selfId) continue
      const [proof] = await proveClaims(this.components, plan.cid, manifest, [{ index: extra.index, peer: extra.keep }], { signal: this.controller.signal })
      if (proof !== 'ok') {
        log.error('%s: shard %d is claimed by %s too, which could not prove its copy (%s): keeping this one', plan.cid, extra.index, extra.keep, proof)
        this.stats.copiesKept++
        continue
      }
      log('%s: shard %d is also on %s (proved), deleting this copy', plan.cid, extra.index, extra.keep)
      await store.deleteShard(plan.cid, extra.index)
      this.maps.get(plan.cid)?.remove(extra.index, selfId, selfId)
      this.stats.copiesCollected++
    }
  }

  // ---- repairing ---------------------------------------------------------------------------------------------------

  private startNextJob (): void {
    if (this.working !== undefined || this.controller.signal.aborted) return
    const job = this.queue.next(this.now())
    if (job === undefined) return
    this.working = (async () => {
      try {
        await this.loggedRepair(job.cid, this.controller.signal)
        this.queue.done(job.cid)
      } catch (err) {
        if (err instanceof FileDeletedError) return // skipDeleted dropped the job: nothing failed
        this.stats.repairsFailed++
        const outcome = this.queue.failed(job.cid, this.now(), (err as Error).message)
        log('repair of %s failed (%s): %s', job.cid, outcome, (err as Error).message)
      } finally {
        this.working = undefined
      }
    })()
  }

  /** repairFile with its line in the operator's log, when it rebuilt something or failed (a healthy file is quiet). */
  private async loggedRepair (cid: string, signal: AbortSignal, silent?: Set<string>): Promise<Array<{ index: number, peer: string }>> {
    const started = Date.now()
    try {
      const rebuilt = await this.repairFile(cid, signal, silent)
      if (rebuilt.length > 0) this.events.info('repair', { cid, shards: rebuilt.map(r => r.index), peers: [...new Set(rebuilt.map(r => r.peer))], ms: Date.now() - started })
      return rebuilt
    } catch (err) {
      this.events.error('repair', { cid, ms: Date.now() - started, ...failureFields(err) })
      throw err
    }
  }

  private get events (): EventLog {
    return this.components.log ?? silentLog
  }

  /** Rebuild the missing shards of `cid` and push them to new holders chosen by placement. */
  private async repairFile (cid: string, signal: AbortSignal, silent?: Set<string>): Promise<Array<{ index: number, peer: string }>> {
    const { components } = this
    // Fresh reports first: they also carry tombstones, and a holder back from an outage may have planned this job
    // before it could reach anyone who knew the file was deleted (docs/REPAIR.md, "Deleted files"). `repair CID`
    // (repairNow) has just collected them, and counts the peers that did not answer as down, as check does.
    if (silent === undefined) await this.collectReports([cid])
    const down = silent ?? new Set<string>()
    if (await this.skipDeleted(cid)) throw new FileDeletedError(cid)
    const { manifest, plan } = await this.plan(cid, down)
    if (plan.health === 'healthy') return []
    if (plan.health === 'lost') throw new NotEnoughShardsError(plan.live, manifest.k, { cid, missing: plan.missing })
    const manifestBytes = await components.store.getManifest(cid)
    if (manifestBytes === undefined) throw new NotFoundError(`manifest ${cid} on this node`, { cid })
    const alive = this.aliveExcept(down)
    const candidates = (await components.candidates()).filter(p => alive(p.peerId))
    // placeShards takes one existing copy per index, but a degraded file can hold an index twice (a holder came back
    // after its shard was rebuilt elsewhere; extra copies are collected only once the file is healthy), and then it
    // threw on every attempt until the job was parked. Give it the first copy of each index and exclude the holders
    // of the others, so they are not handed a missing index as well.
    const seen = new Set<number>()
    const existing = plan.existing.filter(e => !seen.has(e.index) && seen.add(e.index) !== undefined)
    const doubled = plan.existing.filter(e => !existing.includes(e)).map(e => e.peerId)
    // Called again without the peers that refused a put (openTargets).
    const place = (refused: string[]): Array<{ index: number, peerId: string }> => {
      let placement
      try {
        placement = placeShards({
          key: cid, k: manifest.k, m: manifest.m, shardSize: shardSize(manifest), indexes: plan.missing, existing, exclude: [...plan.exclude, ...doubled, ...refused]
        }, candidates, components.weights)
      } catch (err) {
        // placeShards' message names share's --allow-fewer-peers, which repair does not have.
        if (err instanceof NotEnoughPeersError) throw new NotEnoughPeersError(Number(err.details.available), Number(err.details.needed), { ...err.details, cid, refused }, REPAIR_FEWER_PEERS_HINT)
        throw err
      }
      if (placement.multiplePerPeer) throw new NotEnoughPeersError(candidates.length, manifest.k + manifest.m, { cid, refused }, REPAIR_FEWER_PEERS_HINT)
      log('%s: rebuilding %s -> %s', cid, plan.missing.join(','), placement.shards.map(s => `${s.index}@${s.peerId}`).join(' '))
      return placement.shards
    }
    const upload = randomBytes(16).toString('hex')
    const geometry = { k: manifest.k, m: manifest.m, blockSize: manifest.blockSize, fileSize: manifest.fileSize }
    let targets: PlacedTarget[] = []
    // A survivor of ours found bad while reading it is quarantined; look at the file again (it lost one more index).
    const source = new SwarmShardSource({ ...components, onCorruptShard: (c) => { this.nudge(c) } }, cid, manifest, this.readers(plan), signal)
    try {
      targets = await this.openTargets(cid, place, { upload, ...geometry }, signal)
      let pushed = 0
      await writeShards(targets, async (writeStripe) => {
        await rebuildShards(manifest, source, targets.map(t => t.index), async (_stripe, blocks) => {
          const bytes = targets.reduce((sum, t) => sum + (blocks.get(t.index)?.byteLength ?? 0), 0)
          await this.limiter.take(bytes, { signal })
          await writeStripe(t => blocks.get(t.index) as Uint8Array)
          pushed += bytes
        }, { preference: plan.read.map(r => r.index), signal })
        return manifestBytes
      }, { signal, commitSignal: signal, owners: async () => (await components.store.getOwnership(cid))?.owners ?? [] })
      this.stats.repairsDone++
      this.stats.bytesRepaired += pushed
    } finally {
      await source.close()
    }
    const map = this.maps.get(cid)
    for (const t of targets) map?.add(t.index, t.peer, components.selfId)
    return targets.map(t => ({ index: t.index, peer: t.peer }))
  }

  /**
   * Open a put to the new holder of each placed shard. A holder that refuses with an error answer (its quota for this
   * node, its store full, busy) is left out and the shards are placed again, as a share does (PROTOCOLS.md,
   * "Re-placement"): otherwise the same placement would pick it on every attempt until the job is parked. One that
   * cannot be reached or does not answer fails this attempt (retried with backoff). Ends: each round leaves one more
   * peer out, until placement runs out of peers (ERR_NOT_ENOUGH_PEERS).
   */
  private async openTargets (cid: string, place: (refused: string[]) => Array<{ index: number, peerId: string }>, request: Omit<ShardTargetRequest, 'index'>, signal: AbortSignal): Promise<PlacedTarget[]> {
    const refused: string[] = []
    for (;;) {
      try {
        return await openShardTargets(this.components, place(refused), request, signal)
      } catch (err) {
        if (!(err instanceof EdgemirrorError)) throw err
        const peer = err.details.remote === true && typeof err.details.peer === 'string' ? err.details.peer : undefined
        if (peer === undefined || refused.includes(peer)) throw err
        log('%s: %s refused a rebuilt shard (%s), placing it again without that peer', cid, peer, err.message)
        refused.push(peer)
      }
    }
  }

  /** Live holders of each index, the plan's chosen reader first. */
  private readers (plan: RepairPlan): Map<number, string[]> {
    const holders = new Map<number, string[]>()
    for (const e of plan.existing) holders.set(e.index, [...(holders.get(e.index) ?? []), e.peerId])
    for (const r of plan.read) holders.set(r.index, [r.peerId, ...(holders.get(r.index) ?? []).filter(p => p !== r.peerId)])
    return holders
  }
}
