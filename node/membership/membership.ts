// Membership: who this node is connected to and what it knows about them. Wires the peer directory (facts and RTT
// per peer, refreshed when a peer connects and every PEER_INFO_REFRESH_MS) and the mesh keeper (peer exchange) to the
// libp2p host's connection events, and answers the peer exchange with the peers this node knows.
import { logger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { MAX_EXCHANGED_ADDRESSES, MAX_EXCHANGED_PEERS, PEER_INFO_REFRESH_MS } from '../constants.ts'
import { silentLog, type EventLog } from '../event-log.ts'
import type { Host } from '../host.ts'
import type { Startable } from '../startable.ts'
import { askInfo, askPeers, type Dialer } from '../transfer/shard-client.ts'
import type { KnownPeer } from '../wire/messages.ts'
import { MeshKeeper } from './mesh.ts'
import { PeerDirectory } from './peer-directory.ts'

const log = logger('edgemirror:membership')

export interface MembershipComponents {
  host: Pick<Host, 'peerId' | 'getPeers' | 'getConnections' | 'dial' | 'peerStore' | 'services' | 'addEventListener' | 'removeEventListener'>
  dial: Dialer
  /** Multiaddrs of the bootstrap peers, dialled again when the mesh finds itself alone. */
  bootstrap: string[]
  /** The operator's log: one line per peer joining (first connection) and leaving (last connection closed). */
  log?: EventLog
}

export class Membership implements Startable {
  readonly directory: PeerDirectory
  readonly mesh: MeshKeeper
  private refreshTimer: NodeJS.Timeout | undefined

  constructor (private readonly components: MembershipComponents) {
    const { host, dial } = components
    const connectedPeers = (): string[] => host.getPeers().map(p => p.toString())
    this.directory = new PeerDirectory({
      connectedPeers,
      addresses: (peer) => this.addressesOf(peer),
      info: async (peer, signal) => await askInfo(dial, peer, signal),
      ping: async (peer, signal) => await host.services.ping.ping(peerIdFromString(peer), { signal })
    })
    this.mesh = new MeshKeeper({
      selfId: host.peerId.toString(),
      connectedPeers,
      exchange: async (peer, signal) => await askPeers(dial, peer, signal),
      dial: async (peer, addresses, signal) => {
        await host.dial(addresses.map(a => multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${peer}`)), { signal })
      },
      rejoin: async (signal) => {
        await Promise.allSettled(components.bootstrap.map(async a => await host.dial(multiaddr(a), { signal })))
      }
    })
  }

  private readonly onConnect = (evt: CustomEvent<{ toString: () => string }>): void => {
    const peer = evt.detail.toString()
    const { host, log: events = silentLog } = this.components
    events.info('peer.join', { peer, addresses: this.addressesOf(peer), peers: host.getPeers().length })
    this.directory.refresh(peer).catch((err) => { log('refreshing %s on connect failed: %s', peer, (err as Error).message) })
    this.mesh.onConnect(peer)
  }

  private addressesOf (peer: string): string[] {
    return this.components.host.getConnections(peerIdFromString(peer)).map(c => c.remoteAddr.toString())
  }

  private readonly onDisconnect = (evt: CustomEvent<{ toString: () => string }>): void => {
    const peer = evt.detail.toString()
    this.directory.forget(peer)
    const { host, log: events = silentLog } = this.components
    events.info('peer.leave', { peer, peers: host.getPeers().length })
  }

  start (): void {
    this.components.host.addEventListener('peer:connect', this.onConnect)
    this.mesh.start()
    this.components.host.addEventListener('peer:disconnect', this.onDisconnect)
    this.refreshTimer = setInterval(() => {
      this.directory.refreshAll().catch((err) => { log('refreshing the peer directory failed: %s', (err as Error).message) })
    }, PEER_INFO_REFRESH_MS)
    this.refreshTimer.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.refreshTimer)
    this.components.host.removeEventListener('peer:connect', this.onConnect)
    this.components.host.removeEventListener('peer:disconnect', this.onDisconnect)
    await this.mesh.stop()
  }

  /** Connected peers and the addresses they listen on (from identify), for the peer exchange. */
  async knownPeers (): Promise<KnownPeer[]> {
    const { host } = this.components
    const peers: KnownPeer[] = []
    for (const id of host.getPeers()) {
      const record = await host.peerStore.get(id).catch(() => undefined) // no record yet (identify still running): no addresses to give
      const addresses = (record?.addresses ?? []).map(a => a.multiaddr.toString()).slice(0, MAX_EXCHANGED_ADDRESSES)
      if (addresses.length > 0) peers.push({ peerId: id.toString(), addresses })
      if (peers.length >= MAX_EXCHANGED_PEERS) break
    }
    return peers
  }
}
