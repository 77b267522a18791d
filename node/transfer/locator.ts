// Finding a file in the swarm: who holds its manifest and which shard indexes, asked of every connected peer
// (the swarms edgemirror targets are a handful to a few hundred peers) plus this node's own store.
import { logger } from '@libp2p/logger'
import type { Tombstone } from '../ownership.ts'
import type { ShardStore } from '../store/shard-store.ts'
import { MAX_HAS_CIDS } from '../constants.ts'
import { askHas, type Dialer } from './shard-client.ts'

const log = logger('edgemirror:locator')

export interface Holders {
  /** Peers that hold the manifest (this node's id included when it does). */
  manifest: string[]
  /** Shard index → peers holding it. */
  shards: Map<number, string[]>
  /** Tombstones the peers reported for the file (has 2.0.0), signatures not yet checked. */
  tombstones: Tombstone[]
}

export interface LocatorComponents {
  selfId: string
  store: Pick<ShardStore, 'hasManifest' | 'listShards'>
  dial: Dialer
  connectedPeers: () => string[]
  /** More peers to ask (e.g. DHT providers of the CID); best effort. */
  findProviders?: (cid: string, signal?: AbortSignal) => Promise<string[]>
}

export interface LocateOptions {
  signal?: AbortSignal
  /** Also ask peers found through the DHT (slow: seconds); default only when connected peers know nothing. */
  providers?: boolean
}

export async function locate (components: LocatorComponents, cid: string, options: LocateOptions = {}): Promise<Holders> {
  const { signal } = options
  const holders = (await locateMany(components, [cid], { signal })).get(cid) as Holders
  // Peers beyond our connections are looked up (DHT providers) only when asked, or when the peers we are connected
  // to know nothing of the file: a lookup can take seconds, and edgemirror swarms are usually fully connected.
  const wanted = options.providers ?? holders.manifest.length === 0
  if (wanted && components.findProviders !== undefined) {
    const asked = new Set([components.selfId, ...components.connectedPeers()])
    const more = await components.findProviders(cid, signal).catch((err: Error) => { log('providers of %s: %s', cid, err.message); return [] })
    await ask(components, [cid], more.filter(p => !asked.has(p)), signal, new Map([[cid, holders]]))
  }
  return holders
}

/**
 * Where each of `cids` is among this node and its connections: one `has` request per peer for up to MAX_HAS_CIDS
 * files, so a follower fetching a version's changed files asks each peer once per batch instead of once per file
 * (node/mirror/follow-service.ts). No DHT: a file that turns out short of holders is located again on its own.
 */
export async function locateMany (components: LocatorComponents, cids: string[], options: { signal?: AbortSignal } = {}): Promise<Map<string, Holders>> {
  const { selfId, store } = components
  const found = new Map<string, Holders>()
  for (const cid of cids) {
    const holders: Holders = { manifest: [], shards: new Map(), tombstones: [] }
    add(holders, selfId, await store.hasManifest(cid), (await store.listShards(cid)).map(s => s.index))
    found.set(cid, holders)
  }
  const peers = components.connectedPeers().filter(p => p !== selfId)
  for (let i = 0; i < cids.length; i += MAX_HAS_CIDS) await ask(components, cids.slice(i, i + MAX_HAS_CIDS), peers, options.signal, found)
  return found
}

function add (holders: Holders, peer: string, manifest: boolean, shards: number[], tombstones: Tombstone[] = []): void {
  if (manifest) holders.manifest.push(peer)
  for (const i of shards) holders.shards.set(i, [...(holders.shards.get(i) ?? []), peer])
  holders.tombstones.push(...tombstones)
}

/** Ask each of `peers` which of `cids` it holds, and add the answers to `found` (peers in a stable order). */
async function ask (components: LocatorComponents, cids: string[], peers: string[], signal: AbortSignal | undefined, found: Map<string, Holders>): Promise<void> {
  const answers = await Promise.all(peers.map(async peer => {
    try {
      return { peer, holdings: await askHas(components.dial, peer, cids, signal) }
    } catch (err) {
      log('has from %s failed: %s', peer, (err as Error).message)
      return { peer, holdings: [] }
    }
  }))
  for (const { peer, holdings } of answers.sort((a, b) => a.peer < b.peer ? -1 : 1)) {
    for (const holding of holdings) {
      const holders = found.get(holding.cid)
      if (holders !== undefined) add(holders, peer, holding.manifest, holding.shards, holding.tombstones.filter(t => t.cid === holding.cid))
    }
  }
}
