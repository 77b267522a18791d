// Keeps the swarm a full mesh (up to MAX_MESH_PEERS): every peer asks the peers it connects to whom they know, and
// dials the ones it is not connected to yet. Joining through one bootstrap peer thus reaches the whole swarm in one
// round, and the holders of a file can always reach each other directly (heartbeats, repair).
import { logger } from '@libp2p/logger'
import { MAX_MESH_PEERS, MESH_EXCHANGE_INTERVAL_MS } from '../constants.ts'
import type { KnownPeer } from '../wire/messages.ts'
import type { Startable } from '../startable.ts'

const log = logger('edgemirror:mesh')

/** Multiaddrs the mesh will dial: plain TCP over IPv4/IPv6 only, so a lying peer cannot steer us to other transports. */
const DIALABLE = /^\/(ip4|ip6)\/[0-9a-fA-F.:]{2,45}\/tcp\/\d{1,5}(\/p2p\/[1-9A-HJ-NP-Za-km-z]{40,60})?$/

export interface MeshComponents {
  selfId: string
  connectedPeers: () => string[]
  /** Ask a connected peer whom it knows (peer exchange protocol). */
  exchange: (peer: string, signal?: AbortSignal) => Promise<KnownPeer[]>
  /** Dial a peer at one of these addresses. */
  dial: (peer: string, addresses: string[], signal?: AbortSignal) => Promise<void>
  /** Dial the configured bootstrap peers again (libp2p dials them once at start and never retries). */
  rejoin?: (signal?: AbortSignal) => Promise<void>
  /** Milliseconds clock, for when the next exchange is due (default Date.now). */
  now?: () => number
}

/** After a membership change the mesh re-asks soon and then backs off (1 s, 2 s, 4 s … up to the interval): peers
 *  that join at once learn of each other within seconds, a quiet swarm costs one exchange per interval. */
const FIRST_FOLLOW_UP_MS = 1000

export class MeshKeeper implements Startable {
  private timer: NodeJS.Timeout | undefined
  private delay = FIRST_FOLLOW_UP_MS
  private dueAt = Infinity
  private running = false
  private readonly dialing = new Set<string>()
  /** Ends every exchange and dial in flight when the keeper stops: without it they ran on (a dial to an unresponsive
   *  address holds for libp2p's dial timeout) past the stop of the host they were using. */
  private controller = new AbortController()
  private readonly inflight = new Set<Promise<void>>()

  constructor (private readonly components: MeshComponents, private readonly intervalMs = MESH_EXCHANGE_INTERVAL_MS) {}

  private now (): number {
    return (this.components.now ?? Date.now)()
  }

  start (): void {
    this.running = true
    this.controller = new AbortController()
    this.schedule(FIRST_FOLLOW_UP_MS)
  }

  /** Resolves once every exchange and dial it started has ended: they are aborted, so this is bounded by how fast
   *  the dialer honours its signal (libp2p: at once). */
  async stop (): Promise<void> {
    this.running = false
    clearTimeout(this.timer)
    this.controller.abort()
    await Promise.allSettled([...this.inflight])
  }

  /** A peer connected: ask it now, and everyone again soon (others may have joined at the same moment). */
  onConnect (peer: string): void {
    if (!this.running) return
    this.track(this.exchangeWith(peer, this.controller.signal))
    this.delay = FIRST_FOLLOW_UP_MS
    if (this.now() + this.delay < this.dueAt) this.schedule(this.delay)
  }

  private schedule (delay: number): void {
    if (!this.running) return
    clearTimeout(this.timer)
    this.dueAt = this.now() + delay
    this.timer = setTimeout(() => {
      this.dueAt = Infinity
      this.delay = Math.min(this.delay * 2, this.intervalMs)
      this.track(this.exchangeAll(this.controller.signal).finally(() => { this.schedule(this.delay) }))
    }, delay)
    this.timer.unref()
  }

  /** Remember work in flight until it settles, so stop() can wait for it. Exchanges log their own failures. */
  private track (work: Promise<void>): void {
    const settled = work.catch((err) => { log('mesh round failed: %s', (err as Error).message) }).finally(() => { this.inflight.delete(settled) })
    this.inflight.add(settled)
  }

  async exchangeAll (signal?: AbortSignal): Promise<void> {
    const peers = this.components.connectedPeers()
    // Alone: the bootstrap peer was down or refused us when we started (or everyone left). Knock again, every round.
    if (peers.length === 0) await this.components.rejoin?.(signal).catch((err) => { log('rejoin failed: %s', (err as Error).message) })
    await Promise.all(peers.map(async p => { await this.exchangeWith(p, signal) }))
  }

  /** Ask `peer` whom it knows and dial whoever is new to us. */
  async exchangeWith (peer: string, signal?: AbortSignal): Promise<void> {
    let known: KnownPeer[]
    try {
      known = await this.components.exchange(peer, signal)
    } catch (err) {
      log('peer exchange with %s failed: %s', peer, (err as Error).message)
      return
    }
    await Promise.all(this.toDial(known).map(async p => { await this.dial(p, signal) }))
  }

  /** The peers of `known` worth dialing: not us, not connected, not being dialed, with usable addresses, up to the cap. */
  toDial (known: KnownPeer[]): KnownPeer[] {
    const connected = new Set(this.components.connectedPeers())
    const room = MAX_MESH_PEERS - connected.size - this.dialing.size
    const out: KnownPeer[] = []
    for (const p of known) {
      if (out.length >= room) break
      if (p.peerId === this.components.selfId || connected.has(p.peerId) || this.dialing.has(p.peerId)) continue
      const addresses = p.addresses.filter(a => DIALABLE.test(a))
      if (addresses.length > 0 && !out.some(o => o.peerId === p.peerId)) out.push({ peerId: p.peerId, addresses })
    }
    return out
  }

  private async dial (peer: KnownPeer, signal?: AbortSignal): Promise<void> {
    this.dialing.add(peer.peerId)
    try {
      await this.components.dial(peer.peerId, peer.addresses, signal)
    } catch (err) {
      log('dial %s failed: %s', peer.peerId, (err as Error).message)
    } finally {
      this.dialing.delete(peer.peerId)
    }
  }
}
