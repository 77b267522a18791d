// What this node knows about its peers: placement labels, carbon intensity and free space (from the info
// protocol), and round-trip time (from ping). Refreshed when a peer connects and then periodically.
import { logger } from '@libp2p/logger'
import type { PeerInfoMessage } from './wire/messages.ts'

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
  private readonly inFlight = new Map<string, Promise<PeerRecord | undefined>>()

  constructor (private readonly probe: PeerProbe, private readonly clock: () => number = Date.now) {}

  /** Ask a peer for its facts and RTT; keeps the last good record on failure. */
  async refresh (peer: string, signal?: AbortSignal): Promise<PeerRecord | undefined> {
    const running = this.inFlight.get(peer)
    if (running !== undefined) return await running
    const work = (async () => {
      try {
        const info = await this.probe.info(peer, signal)
        const rtt = await this.probe.ping(peer, signal).catch(() => null)
        const record: PeerRecord = { ...info, peerId: peer, addresses: this.probe.addresses(peer), rttMs: rtt, rttSource: rtt == null ? null : 'measured', seenAt: this.clock() }
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
