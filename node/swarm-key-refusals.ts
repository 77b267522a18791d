// Say when the swarm key turns a connection away (#19 item 1). pnet never fails by itself: both sides swap nonces and
// then read each other's bytes through different keys, so a peer with another key, or none, shows up as a connection
// whose upgrade (multistream-select, then Noise) dies on garbage or times out, inside libp2p's upgrader, which emits
// nothing for it. So the protector is wrapped to watch each raw connection it protects, the encrypter to mark the
// ones whose Noise handshake succeeded; a protected connection that closes unsecured was refused by the key (or its
// peer vanished mid-handshake, which a swarm-key refusal cannot be told apart from). docs/LOGS.md, `swarm.key.refused`.
import type { ConnectionEncrypter, ConnectionProtector, MessageStream, MultiaddrConnection } from '@libp2p/interface'
import { preSharedKey } from '@libp2p/pnet'

export interface SwarmKeyRefusal {
  /** The remote address of the refused connection, e.g. /ip4/10.0.0.7/tcp/41234. */
  address: string
  /** `inbound`: a peer dialled this node; `outbound`: this node dialled a peer. */
  direction: 'inbound' | 'outbound'
}

type Factory<T> = (components: any) => T

export interface SwarmKeyGuard {
  connectionProtector: Factory<ConnectionProtector>
  /** Wrap the connection encrypter (noise()) so the guard knows which protected connections were secured. */
  encrypter: (inner: Factory<ConnectionEncrypter>) => Factory<ConnectionEncrypter>
}

/** libp2p pnet with `psk`, calling `onRefused` for every protected connection that closed before it was secured. */
export function guardedPreSharedKey (psk: Uint8Array, onRefused: (refusal: SwarmKeyRefusal) => void): SwarmKeyGuard {
  // The protected streams (what the encrypter is handed) whose handshake succeeded; weak, so nothing is kept alive.
  const secured = new WeakSet<MessageStream>()
  const protector = preSharedKey({ psk })
  return {
    connectionProtector: () => {
      const inner = protector()
      return {
        [Symbol.toStringTag]: '@libp2p/pnet',
        protect: async (raw, options) => {
          const address = (raw as Partial<MultiaddrConnection>).remoteAddr?.toString() ?? 'unknown'
          const direction = raw.direction
          let protectedStream: MessageStream | undefined
          raw.addEventListener('close', () => {
            if (protectedStream === undefined || !secured.has(protectedStream)) onRefused({ address, direction })
          }, { once: true })
          protectedStream = await inner.protect(raw, options)
          return protectedStream
        }
      } satisfies ConnectionProtector & { [Symbol.toStringTag]: string }
    },
    encrypter: (factory) => (components) => {
      const inner = factory(components)
      const wrapped: ConnectionEncrypter = Object.create(inner)
      wrapped.secureInbound = async (connection, options) => {
        const result = await inner.secureInbound(connection, options)
        secured.add(connection)
        return result
      }
      wrapped.secureOutbound = async (connection, options) => {
        const result = await inner.secureOutbound(connection, options)
        secured.add(connection)
        return result
      }
      return wrapped
    }
  }
}

/**
 * The log line for refusals, bounded: the first one at once, then at most one per `intervalMs` carrying how many were
 * left out since (`suppressed`), so a peer redialling with the wrong key (the mesh keeper retries, or a scan) cannot
 * flood the log.
 */
export function rateLimitedRefusals (report: (refusal: SwarmKeyRefusal, suppressed: number) => void, intervalMs: number, now: () => number = Date.now): (refusal: SwarmKeyRefusal) => void {
  let lastAt = -Infinity
  let suppressed = 0
  return (refusal) => {
    const at = now()
    if (at - lastAt < intervalMs) {
      suppressed++
      return
    }
    report(refusal, suppressed)
    lastAt = at
    suppressed = 0
  }
}
