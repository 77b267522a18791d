// The libp2p host: TCP + Noise + yamux, identify, ping, bootstrap, a LAN kad-dht (server mode, private addresses
// kept, so loopback and LAN swarms route), and mDNS when asked for.
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { identify } from '@libp2p/identify'
import type { PrivateKey } from '@libp2p/interface'
import { kadDHT, removePublicAddressesMapper, type KadDHT } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { ping, type Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p } from 'libp2p'
import { splitLargeXsalsa20Updates } from './swarm-key.ts'
import { guardedPreSharedKey, type SwarmKeyRefusal } from './swarm-key-refusals.ts'
import {
  INBOUND_CONNECTIONS_PER_HOST_PER_SECOND, MAX_CONNECTIONS, MAX_INCOMING_PENDING_CONNECTIONS, MAX_PING_STREAMS, PING_TIMEOUT_MIN_MS, YAMUX_MAX_READ_BUFFER, YAMUX_MAX_STREAM_WINDOW
} from './constants.ts'

export interface HostOptions {
  privateKey: PrivateKey
  listen: string[]
  bootstrap: string[]
  mdns: boolean
  /** A private swarm's key (node/swarm-key.ts): connections without it are refused before any handshake. */
  swarmKey?: Uint8Array
  /** Called for each connection the swarm key turned away (node/swarm-key-refusals.ts). */
  onSwarmKeyRefused?: (refusal: SwarmKeyRefusal) => void
}

export type Host = Libp2p<{ identify: unknown, ping: Ping, dht: KadDHT }>

export async function createHost (options: HostOptions): Promise<Host> {
  const peerDiscovery = []
  if (options.bootstrap.length > 0) peerDiscovery.push(bootstrap({ list: options.bootstrap }))
  if (options.mdns) peerDiscovery.push(mdns())
  if (options.swarmKey !== undefined) splitLargeXsalsa20Updates()
  const guard = options.swarmKey !== undefined ? guardedPreSharedKey(options.swarmKey, options.onSwarmKeyRefused ?? (() => {})) : undefined
  return await createLibp2p({
    privateKey: options.privateKey,
    ...(guard !== undefined ? { connectionProtector: guard.connectionProtector } : {}),
    addresses: { listen: options.listen },
    transports: [tcp()],
    connectionEncrypters: [guard !== undefined ? guard.encrypter(noise()) : noise()],
    streamMuxers: [yamux({ streamOptions: { initialStreamWindowSize: YAMUX_MAX_STREAM_WINDOW, maxStreamWindowSize: YAMUX_MAX_STREAM_WINDOW, maxReadBufferLength: YAMUX_MAX_READ_BUFFER } })],
    peerDiscovery,
    // Explicit, at libp2p's defaults (node/constants.ts says why they suffice): a limit a reader of this file can see.
    // Beyond them libp2p refuses the connection before any handshake (logged under DEBUG=libp2p:connection-manager).
    connectionManager: {
      maxConnections: MAX_CONNECTIONS,
      maxIncomingPendingConnections: MAX_INCOMING_PENDING_CONNECTIONS,
      inboundConnectionThreshold: INBOUND_CONNECTIONS_PER_HOST_PER_SECOND
    },
    // The monitor measures RTT but never cuts a connection: a ping that failed under load (the answerer's handler
    // reset it after 10 s behind megabytes of shard data) aborted the connection with every transfer on it
    // (bench:gateway, 16 cold readers). Liveness is the failure detector's (shard reports, --dead-after): a peer it
    // declares dead has its connections closed (edgemirror-node.ts), and every stream has its own timeouts.
    connectionMonitor: { pingTimeout: { minTimeout: PING_TIMEOUT_MIN_MS }, abortConnectionOnPingFailure: false },
    services: {
      identify: identify(),
      ping: ping({ maxOutboundStreams: MAX_PING_STREAMS, maxInboundStreams: MAX_PING_STREAMS }),
      dht: kadDHT({ protocol: '/edgemirror/kad/1.0.0', clientMode: false, peerInfoMapper: removePublicAddressesMapper })
    }
  }) as unknown as Host
}
