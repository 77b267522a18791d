// The DHT as a fallback locator: holders announce the CIDs they can serve, and a reader short of holders among its
// connected peers asks for more (node/transfer/locator.ts). Never let a lookup hold up a request for long.
import { logger } from '@libp2p/logger'
import { parseCid } from '../../coder/manifest.ts'
import type { Host } from '../host.ts'

const log = logger('edgemirror:providers')

/** DHT lookups are a fallback for peers we are not connected to; never let one hold up a request for long. */
const DHT_TIMEOUT_MS = 5_000

export interface ContentProviders {
  /** Announce that this node can serve `cid` (DHT provide, bounded to 6 lookups' time). */
  announce (cid: string): Promise<void>
  /** Peers the DHT says provide `cid`; best effort: a failed or slow lookup gives what it found (logged). */
  findProviders (cid: string, signal?: AbortSignal): Promise<string[]>
}

export function dhtProviders (host: Pick<Host, 'contentRouting'>): ContentProviders {
  return {
    announce: async (cid) => {
      await host.contentRouting.provide(parseCid(cid), { signal: AbortSignal.timeout(DHT_TIMEOUT_MS * 6) })
    },
    findProviders: async (cid, signal) => {
      const timeout = AbortSignal.timeout(DHT_TIMEOUT_MS)
      const peers: string[] = []
      try {
        for await (const provider of host.contentRouting.findProviders(parseCid(cid), { signal: signal != null ? AbortSignal.any([signal, timeout]) : timeout })) {
          peers.push(provider.id.toString())
        }
      } catch (err) {
        log('findProviders %s: %s', cid, (err as Error).message)
      }
      return peers
    }
  }
}
