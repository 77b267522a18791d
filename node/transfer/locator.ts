// Finding a file in the swarm: who holds its manifest and which shard indexes, asked of every connected peer
// (the swarms edgemirror targets are a handful to a few hundred peers) plus this node's own store.
import { logger } from '@libp2p/logger'
import type { Tombstone } from '../ownership.ts'
import type { ShardStore } from '../store/shard-store.ts'
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
  const { selfId, store } = components
  const holders: Holders = { manifest: [], shards: new Map(), tombstones: [] }
  const add = (peer: string, manifest: boolean, shards: number[], tombstones: Tombstone[] = []): void => {
    if (manifest) holders.manifest.push(peer)
    for (const i of shards) holders.shards.set(i, [...(holders.shards.get(i) ?? []), peer])
    holders.tombstones.push(...tombstones)
  }
  add(selfId, await store.hasManifest(cid), (await store.listShards(cid)).map(s => s.index))
  const asked = new Set([selfId])
  await ask(components, cid, components.connectedPeers().filter(p => !asked.has(p)), asked, add, signal)
  // Peers beyond our connections are looked up (DHT providers) only when asked, or when the peers we are connected
  // to know nothing of the file: a lookup can take seconds, and edgemirror swarms are usually fully connected.
  const wanted = options.providers ?? holders.manifest.length === 0
  if (wanted && components.findProviders !== undefined) {
    const more = await components.findProviders(cid, signal).catch((err: Error) => { log('providers of %s: %s', cid, err.message); return [] })
    await ask(components, cid, more.filter(p => !asked.has(p)), asked, add, signal)
  }
  return holders
}

async function ask (components: LocatorComponents, cid: string, peers: string[], asked: Set<string>, add: (peer: string, manifest: boolean, shards: number[], tombstones: Tombstone[]) => void, signal?: AbortSignal): Promise<void> {
  for (const p of peers) asked.add(p)
  const answers = await Promise.all(peers.map(async peer => {
    try {
      return { peer, holding: (await askHas(components.dial, peer, [cid], signal))[0] }
    } catch (err) {
      log('has from %s failed: %s', peer, (err as Error).message)
      return { peer, holding: undefined }
    }
  }))
  for (const { peer, holding } of answers.sort((a, b) => a.peer < b.peer ? -1 : 1)) {
    if (holding !== undefined && holding.cid === cid) add(peer, holding.manifest, holding.shards, holding.tombstones.filter(t => t.cid === cid))
  }
}
