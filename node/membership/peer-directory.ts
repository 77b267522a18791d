// What this node knows about its peers: placement labels, carbon intensity and free space (from the info
// protocol), and round-trip time (from ping). Refreshed when a peer connects and then periodically.
import { logger } from '@libp2p/logger'
import { REQUEST_TIMEOUT_MS } from '../constants.ts'
import { estimateRtt, newCoordinate, updateCoordinate, type VivaldiCoordinate } from '../placement/index.ts'
import type { PeerInfoMessage } from '../wire/messages.ts'

const log = logger('edgemirror:peers')

export interface PeerRecord extends PeerInfoMessage {
  peerId: string
  addresses: string[]
  rttMs: number | null
  rttSource: 'measured' | 'estimated' | null
  /** ms epoch of the last successful info exchange. */
  seenAt: number
}

/** How the directory reaches the network: injected so the logic is testable without sockets. */
export interface PeerProbe {
  connectedPeers (): string[]
  addresses (peer: string): string[]
  info (peer: string, signal?: AbortSignal): Promise<PeerInfoMessage>
  ping (peer: string, signal?: AbortSignal): Promise<number>
}

export class PeerDirectory {
  private readonly records = new Map<string, PeerRecord>()
  /** This node's Vivaldi coordinate, moved by every measured RTT; peers learn it through the info protocol. */
  private own: VivaldiCoordinate = newCoordinate()
  private readonly inFlight = new Map<string, Promise<PeerRecord | undefined>>()

  constructor (private readonly probe: PeerProbe, private readonly clock: () => number = Date.now) {}

  /** Ask a peer for its facts and RTT; keeps the last good record on failure. */
  async refresh (peer: string, signal?: AbortSignal): Promise<PeerRecord | undefined> {
    const running = this.inFlight.get(peer)
    if (running !== undefined) return await running
    // Every refresh is bounded: a peer that accepts a stream and never answers must not hold up `peers` or a share.
    const bounded = signal !== undefined ? AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) : AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    const work = (async () => {
      try {
        const info = await this.probe.info(peer, bounded)
        const rtt = await this.probe.ping(peer, bounded).catch(() => null) // not pingable now: estimated below, and said so (rttSource)
        const theirs = info.coordinate !== undefined && info.coordinate.vec.length === this.own.vec.length ? info.coordinate : undefined
        if (rtt != null && theirs !== undefined) this.own = updateCoordinate(this.own, theirs, rtt)
        // Not pingable right now (ping refused or timed out) but placed in the coordinate space: estimate.
        const estimate = rtt == null && theirs !== undefined ? estimateRtt(this.own, theirs) : null
        const record: PeerRecord = {
          ...info,
          peerId: peer,
          addresses: this.probe.addresses(peer),
          rttMs: rtt ?? estimate,
          rttSource: rtt != null ? 'measured' : estimate != null ? 'estimated' : null,
          seenAt: this.clock()
        }
        this.records.set(peer, record)
        return record
      } catch (err) {
        log('info from %s failed: %s', peer, (err as Error).message)
        return this.records.get(peer)
      } finally {
        this.inFlight.delete(peer)
      }
    })()
    this.inFlight.set(peer, work)
    return await work
  }

  /** Refresh every connected peer (in parallel). */
  async refreshAll (signal?: AbortSignal): Promise<void> {
    await Promise.all(this.probe.connectedPeers().map(async p => await this.refresh(p, signal)))
  }

  /** This node's network coordinate, for its own info answers. */
  get coordinate (): VivaldiCoordinate {
    return this.own
  }

  forget (peer: string): void {
    this.records.delete(peer)
  }

  get (peer: string): PeerRecord | undefined {
    return this.records.get(peer)
  }

  /** Connected peers with known facts, sorted by peer id (stable output). */
  connected (): PeerRecord[] {
    const live = new Set(this.probe.connectedPeers())
    return [...this.records.values()].filter(r => live.has(r.peerId)).sort((a, b) => a.peerId < b.peerId ? -1 : 1)
  }
}
