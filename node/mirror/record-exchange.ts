// How version records travel: pushed, and pulled. A publish pushes its record to every connected peer
// (mirror-announce), and a node that accepts a record as the newest of its address passes it on to its own peers, so a
// record floods the mesh in one round trip per hop (a handful of edge sites are one or two hops apart). Pull is the
// safety net: a node asks each peer it meets, and every peer now and then, for the records it lacks (mirror-records),
// so a node that was offline or missed a push catches up. Why not gossipsub: docs/MIRRORS.md, "Announce and resolve".
import { logger } from '@libp2p/logger'
import { MIRROR_ANNOUNCE_TIMEOUT_MS, MIRROR_RECORDS_SYNC_MS } from '../constants.ts'
import type { Startable } from '../startable.ts'
import type { Dialer } from '../transfer/shard-client.ts'
import { announceRecords, askRecords, type RecordHandlers } from './record-protocol.ts'
import type { RecordBook } from './record-book.ts'
import type { VersionRecord } from './version-record.ts'

const log = logger('edgemirror:mirror:exchange')

export interface RecordExchangeComponents {
  book: RecordBook
  dial: Dialer
  connectedPeers: () => string[]
  /** Subscribe to new connections; returns the unsubscribe. */
  onPeerConnect: (listener: (peer: string) => void) => () => void
}

export class RecordExchange implements Startable, RecordHandlers {
  private timer: NodeJS.Timeout | undefined
  private unsubscribe: (() => void) | undefined
  private readonly controller = new AbortController()

  constructor (private readonly components: RecordExchangeComponents, private readonly init: { syncIntervalMs?: number } = {}) {}

  start (): void {
    this.unsubscribe = this.components.onPeerConnect((peer) => { this.pullFromQuietly(peer) })
    for (const peer of this.components.connectedPeers()) this.pullFromQuietly(peer)
    this.timer = setInterval(() => {
      for (const peer of this.components.connectedPeers()) this.pullFromQuietly(peer)
    }, this.init.syncIntervalMs ?? MIRROR_RECORDS_SYNC_MS)
    this.timer.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.timer)
    this.unsubscribe?.()
    this.controller.abort()
  }

  /** Push `record` to every connected peer but `except`; resolves with how many took it. */
  async announce (record: VersionRecord, except?: string): Promise<number> {
    const peers = this.components.connectedPeers().filter(p => p !== except)
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(MIRROR_ANNOUNCE_TIMEOUT_MS)])
    const answers = await Promise.allSettled(peers.map(async peer => { await announceRecords(this.components.dial, peer, [record], signal) }))
    answers.forEach((a, i) => { if (a.status === 'rejected') log('announcing %s to %s failed: %s', record.seq, peers[i], (a.reason as Error).message) })
    return answers.filter(a => a.status === 'fulfilled').length
  }

  /** Records `from` pushed: each one that is the newest of its address now goes on to this node's other peers. */
  async announced (records: VersionRecord[], from: string): Promise<void> {
    for (const record of records) {
      const outcome = await this.components.book.accept(record, 'push')
      if (outcome === 'newest') this.announce(record, from).catch((err: Error) => { log('forwarding a record failed: %s', err.message) })
    }
  }

  since (have: Map<string, number>, max: number): VersionRecord[] {
    return this.components.book.since(have, max)
  }

  /** Ask `peer` for the records this node lacks and keep the valid ones. */
  async pullFrom (peer: string, signal?: AbortSignal): Promise<number> {
    const { book, dial } = this.components
    const records = await askRecords(dial, peer, book.digest(), signal ?? this.controller.signal)
    let kept = 0
    // Oldest first, so each address's newest arrives last and listeners see one switch, not a burst.
    for (const record of [...records].sort((a, b) => a.seq - b.seq)) {
      const outcome = await book.accept(record, 'pull')
      if (outcome === 'newest' || outcome === 'history') kept++
    }
    return kept
  }

  private pullFromQuietly (peer: string): void {
    // A peer without the protocol (an older node) or one that left: the next round or the next peer will do.
    this.pullFrom(peer).catch((err: Error) => { log('pulling records from %s failed: %s', peer, err.message) })
  }
}
